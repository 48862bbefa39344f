from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from neurocontrol.config import from_dict, load_yaml, to_dict
from neurocontrol.errors import ConfigError
from neurocontrol.validation import require_positive


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
