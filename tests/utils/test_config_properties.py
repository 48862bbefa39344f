"""Property tests of the config loader: whatever the input, a package error or an exact round trip.

Random snippets (known and unknown keys, nested mappings and lists, values of
every YAML type, strings that YAML reads as something else, huge and NaN
numbers) go through ``from_dict(ExperimentConfig, ...)`` and, as real files,
through ``load_yaml``. Every failure must be a
:class:`~neurocontrol.errors.NeuroControlError`; every success must come back
unchanged through ``to_dict`` and through the YAML a run saves.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from neurocontrol.errors import ConfigError, NeuroControlError
from neurocontrol.experiment.protocol import EnvConfig, ExperimentConfig, ScheduleEvent
from neurocontrol.utils.config import dump_yaml, from_dict, load_yaml, to_dict
from neurocontrol.utils.registration import ENV_IDS

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: strings YAML 1.1 or 1.2 reads as something other than the string
YAMLISH = [
    "1e-3", "1.0e7", "-2E+5", ".5e2", "1_000", "0x1F", "0o17", "017", "12:30", "1:20:30.5",
    "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "", " ",
    ".inf", "-.inf", ".nan", "NaN", "inf", "2020-01-01", "2020-13-45",
    "2001-12-14t21:59:43.10-05:00",
    "- a", "key: value", "[1, 2", "{a: 1", "&anchor x", "*alias", "!!binary aGk=", "!!str 5",
    "!!python/object:os.system", "'", '"', "# comment", "%YAML 1.2", "---", "...", "@x", "`x",
    "a\tb", "\x00", "\x85", "\u2028", "\ufeff", "line\nbreak", "100000000000000000000000e1",
]  # fmt: skip

KEYS = sorted(
    {
        f.name
        for cls in (ExperimentConfig, EnvConfig, ScheduleEvent)
        for f in dataclasses.fields(cls)
    }
    | {"type", "kind", "strength", "onset", "uniform", "n_neurons"}
)

numbers = (
    st.integers()
    | st.sampled_from([0, -1, 10**30, -(10**400), 10**400])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e-320, math.nan, math.inf, -0.0])
)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=12) | st.sampled_from(YAMLISH)
keys = st.sampled_from(KEYS) | st.text(max_size=8) | st.integers(-3, 3) | st.none()
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """A value of the right shape 19 times in 20, anything else the 20th."""
    return st.integers(0, 19).flatmap(lambda k: values if k == 0 else strategy)


def _mapping(required: dict, optional: dict) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {k: _maybe(v) for k, v in required.items()},
        optional={k: _maybe(v) for k, v in optional.items()},
    )


times = st.floats(0.0, 20.0) | st.integers(0, 20)
perturbation = st.none() | _mapping(
    {"kind": st.sampled_from(["curl_field", "payload", "none", "wind"])},
    {
        "strength": numbers,
        "mass": numbers,
        "onset": numbers | st.fixed_dictionaries({"uniform": st.lists(numbers, max_size=3)}),
    },
)
experiment_snippets = st.fixed_dictionaries(
    {},
    optional={
        "name": _maybe(st.text(max_size=10) | st.sampled_from(YAMLISH)),
        "env": _maybe(
            _mapping({}, {"id": st.sampled_from(ENV_IDS), "kwargs": st.dictionaries(keys, values)})
        ),
        "agents": _maybe(
            st.dictionaries(
                st.text(max_size=6) | st.sampled_from(YAMLISH),
                _maybe(
                    _mapping({"type": st.sampled_from(["osc", "adaptive_rate"])}, {"gain": values})
                ),
                max_size=3,
            )
        ),
        "schedule": _maybe(
            st.lists(
                _maybe(
                    _mapping(
                        {"at": times},
                        {
                            "perturbation": perturbation | st.lists(perturbation, max_size=2),
                            "label": st.text(max_size=6) | st.sampled_from(YAMLISH),
                            "learning": st.none() | st.booleans(),
                        },
                    )
                ),
                max_size=3,
            )
        ),
        "duration": _maybe(times),
        "seeds": _maybe(st.lists(st.integers(0, 2**40), min_size=1, max_size=3)),
        "metric": _maybe(st.sampled_from(["tracking_error", "force_error", "trial_success"])),
        "cycle_duration": _maybe(st.none() | times),
        "trial_block": _maybe(st.integers(1, 100)),
    },
)
snippets = experiment_snippets | st.dictionaries(keys, values, max_size=5) | values


def same(a: Any, b: Any) -> bool:
    """Equal, of the same types, NaN equal to NaN (a config may hold NaN in a free-form spec)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def check_round_trips(config: ExperimentConfig, path) -> None:
    data = to_dict(config)
    assert same(to_dict(from_dict(ExperimentConfig, data)), data)
    path.write_text(dump_yaml(data))
    assert same(to_dict(load_yaml(path, ExperimentConfig)), data)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("configs")


def refused_or_round_trips(read: Any, scratch: Any) -> None:
    """The property: ``read()`` fails only with a package error, or its config round-trips."""
    try:
        config = read()
    except Exception as exc:
        assert isinstance(exc, NeuroControlError), f"{type(exc).__name__}: {exc}"
        event("refused")
        return
    event("accepted")
    check_round_trips(config, scratch / "round-trip.yaml")


@PROPERTY
@given(snippet=snippets)
def test_from_dict_raises_package_errors_or_round_trips(snippet, scratch) -> None:
    refused_or_round_trips(lambda: from_dict(ExperimentConfig, snippet), scratch)


def _as_yaml(data: Any) -> str:
    # a config written by hand: PyYAML's own dumper, so strings like 1e3 stay unquoted
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


files = (
    snippets.map(_as_yaml)
    | experiment_snippets.map(_as_yaml)
    | experiment_snippets.map(dump_yaml)
    | st.lists(
        st.sampled_from(YAMLISH) | st.text(max_size=10),
        max_size=6,
    ).map("\n".join)
    | st.lists(
        st.tuples(st.sampled_from(KEYS) | st.text(max_size=6), st.sampled_from(YAMLISH)),
        max_size=5,
    ).map(lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs))
)


@PROPERTY
@given(text=files)
def test_load_yaml_raises_package_errors_or_round_trips(text, scratch) -> None:
    path = scratch / "experiment.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    refused_or_round_trips(lambda: load_yaml(path, ExperimentConfig), scratch)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: 2020-13-45\n", "has a value YAML cannot read: month must be in 1..12"),
        ("duration: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply|not valid YAML"),
        ("name: x\x00\n", "not valid YAML"),
    ],
)
def test_files_yaml_cannot_construct_are_config_errors(scratch, text, message) -> None:
    path = scratch / "odd.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_yaml(path, ExperimentConfig)
