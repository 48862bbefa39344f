from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from neurocontrol.errors import ConfigError
from neurocontrol.utils.config import dump_yaml, from_dict, load_yaml, to_dict
from neurocontrol.utils.validation import require_positive


@dataclass(frozen=True)
class Inner:
    kind: Literal["curl", "payload"] = "curl"
    strength: float = 15.0

    def __post_init__(self) -> None:
        require_positive("strength", self.strength)


@dataclass(frozen=True)
class Outer:
    name: str
    seed: int = 0
    gains: tuple[float, float] = (1.0, 2.0)
    inner: Inner = field(default_factory=Inner)
    schedule: list[Inner] = field(default_factory=list)
    note: str | None = None
    kwargs: dict = field(default_factory=dict)


def test_round_trip_through_plain_data() -> None:
    config = from_dict(
        Outer,
        {
            "name": "a",
            "seed": 3,
            "gains": [0.5, 4],
            "inner": {"kind": "payload", "strength": 1},
            "schedule": [{"strength": 2.0}],
            "kwargs": {"dt": 0.001},
        },
    )
    assert config.inner == Inner("payload", 1.0)
    assert config.gains == (0.5, 4.0)
    assert config.schedule == [Inner("curl", 2.0)]
    assert from_dict(Outer, to_dict(config)) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "a", "sed": 1}, r"config: unknown key 'sed'; allowed keys: gains, inner, kwargs"),
        ({}, r"missing required key 'name'"),
        ({"name": "a", "seed": 1.5}, r"config.seed must be an integer, got 1.5"),
        ({"name": "a", "seed": True}, r"config.seed must be an integer"),
        (
            {"name": "a", "inner": {"kind": "wind"}},
            r"config.inner.kind must be one of 'curl', 'payload'; got 'wind'",
        ),
        (
            {"name": "a", "inner": {"strength": -1}},
            r"config.inner: strength must be a finite number > 0",
        ),
        ({"name": "a", "gains": [1.0]}, r"config.gains must have 2 entries, got 1"),
        (
            {"name": "a", "schedule": [{"strength": "x"}]},
            r"config.schedule\[0\].strength must be a number",
        ),
        ({"name": 5}, r"config.name must be a string"),
        ({"name": "a", "kwargs": [1]}, r"config.kwargs must be a mapping"),
    ],
)
def test_bad_configs_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(Outer, data)


def test_load_yaml_reports_file_errors(tmp_path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: run\nseed: 2\n")
    assert load_yaml(good, Outer) == Outer(name="run", seed=2)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(bad, Outer)
    with pytest.raises(ConfigError, match="cannot read config"):
        load_yaml(tmp_path / "missing.yaml", Outer)
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: run\nsede: 2\n")
    with pytest.raises(ConfigError, match=r"typo.yaml: unknown key 'sede'"):
        load_yaml(typo, Outer)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "is empty"),
        ("# a comment and nothing else\n", "is empty"),
        ("- name: run\n- seed: 2\n", "holds a list at its top level"),
        ("run\n", r"holds a string \('run'\) at its top level"),
        ("3.5\n", r"holds a float \(3.5\) at its top level"),
        ("true\n", r"holds a bool \(True\) at its top level"),
    ],
)
def test_a_config_file_must_hold_a_mapping(tmp_path, text: str, found: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    expected = r"; expected a mapping of config keys to values \(key: value lines\)"
    with pytest.raises(ConfigError, match=rf"config '{path}' {found}{expected}"):
        load_yaml(path, Outer)


def test_a_config_file_that_is_not_text_names_the_file(tmp_path) -> None:
    path = tmp_path / "run.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ConfigError, match=rf"config '{path}' is not UTF-8 text \(byte 6\)"):
        load_yaml(path, Outer)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e-3", 1e-3), ("1.0e7", 1.0e7), ("2E+5", 2e5), ("+1e3", 1e3), (".5e2", 50.0)],
)
def test_exponent_numbers_are_read_as_yaml_1_2_reads_them(tmp_path, text, value) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(f"name: run\ninner: {{strength: {text}}}\nkwargs: {{rate: {text}}}\n")
    config = load_yaml(path, Outer)
    assert config.inner.strength == value and config.kwargs == {"rate": value}
    assert type(config.kwargs["rate"]) is float


def test_exponent_numbers_in_experiment_configs_and_run_files(tmp_path) -> None:
    from neurocontrol.experiment.protocol import ExperimentConfig

    path = tmp_path / "experiment.yaml"
    path.write_text(
        "name: run\nduration: 1.2e1\n"
        "agents: {a: {type: adaptive_rate, learning_rate: 1e-5, n_neurons: 1e3}}\n"
    )
    config = load_yaml(path, ExperimentConfig)
    assert config.duration == 12.0 and config.agents["a"]["learning_rate"] == 1e-5


def test_run_configs_round_trip_exactly_through_yaml(tmp_path) -> None:
    from neurocontrol.experiment.protocol import ExperimentConfig, default_config
    from neurocontrol.experiment.runs import RunDirectory

    # strings that YAML 1.2 would read as numbers stay strings; floats stay floats
    config = from_dict(
        ExperimentConfig,
        to_dict(default_config())
        | {
            "name": "1e3",
            "agents": {"1.0e7": {"type": "osc", "kp": 1e-05, "note": "2E+5", "big": 1e300}},
        },
    )
    path = tmp_path / "config.yaml"
    path.write_text(dump_yaml(to_dict(config)))
    assert load_yaml(path, ExperimentConfig) == config
    run = RunDirectory("round-trip", root=tmp_path)
    assert load_yaml(run.write_config(to_dict(config)), ExperimentConfig) == config


def test_odd_keys_and_huge_numbers_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"config: unknown key 1; allowed keys: gains"):
        from_dict(Outer, {"name": "a", 1: 2, None: 3})  # keys of several types: no sort error
    with pytest.raises(ConfigError, match=r"config.inner.strength must be a number within float"):
        from_dict(Outer, {"name": "a", "inner": {"strength": 10**400}})
