"""Experiments on the real PlanarReach env with the (non-adaptive) base controllers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.agents.base_controllers import JointPDController, OperationalSpaceController
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig, cycle_table, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.runs import read_csv
from neurocontrol.utils.config import from_dict

from .conftest import RUN_FILES

CONTROLLERS = {"osc": OperationalSpaceController, "joint_pd": JointPDController}


def base_factory(spec, env, seed):
    spec = dict(spec)
    return CONTROLLERS[spec.pop("type")].from_env(env, **spec)


def short_config(**overrides):
    # 3 cycles of 4 targets x (0.3 s + 0.2 s) x 2 (out and back) = 4 s each.
    data = {
        "name": "short",
        "env": {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2}},
        "agents": {"osc": {"type": "osc"}, "pd": {"type": "joint_pd"}},
        "schedule": [
            {
                "at": 4.0,
                "perturbation": {"kind": "curl_field", "strength": 15.0},
                "label": "curl on",
            },
            {"at": 8.0, "perturbation": None, "label": "curl off"},
        ],
        "duration": 12.0,
        "seeds": [0],
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


@pytest.fixture(scope="module")
def result():
    return run_experiment(short_config(), base_factory)


def test_schedule_switches_the_field_on_and_off(result) -> None:
    trace = result.agents["osc"].episodes[0].trace
    time = trace["sim_time"]
    on = (time > 4.0 + 2e-3) & (time <= 8.0)
    assert trace["perturbed"][on].all()
    assert not trace["perturbed"][time < 4.0 - 1e-9].any()
    assert not trace["perturbed"][time > 8.0 + 2e-3].any()


def test_cycles_and_phases(result) -> None:
    starts, _ = cycle_table(result.agents["osc"].episodes[0])
    np.testing.assert_allclose(starts[:3], [0.0, 4.0, 8.0], atol=2e-3)
    assert result.phases() == {
        "before": (0, 0),
        "first perturbed": (1, 1),
        "adapted": (1, 1),
        "after-effect": (2, 2),
    }
    table = result.table()
    for label in ("osc", "pd"):
        # A base controller does not adapt: the field raises its error, and
        # removing it restores the unperturbed error (no after-effect).
        assert table[label]["first perturbed"] > 1.5 * table[label]["before"]
        assert table[label]["after-effect"] == pytest.approx(table[label]["before"], rel=0.1)
    lines = result.format_table()
    assert lines[1].split() == ["before", "first", "perturbed", "adapted", "after-effect"]


def test_write_experiment_outputs(result, tmp_path) -> None:
    run = write_experiment(result, tmp_path)
    assert {p.name for p in run.path.iterdir()} >= RUN_FILES
    summary = json.loads(run.file("summary.json").read_text())
    assert summary["table_m"]["osc"]["before"] == pytest.approx(result.table()["osc"]["before"])
    cycles = read_csv(run.file("cycles.csv"))
    np.testing.assert_allclose(
        cycles["osc_seed0_rms_m"], result.agents["osc"].per_cycle()[0][: len(cycles["cycle"])]
    )
    episodes = read_csv(run.file("episodes.csv"))
    np.testing.assert_array_equal(episodes["agent_index"], [0, 1])
    assert episodes["rms_tracking_error_m"][0] == pytest.approx(
        result.agents["osc"].episodes[0].summary()["rms_tracking_error_m"]
    )
    steps = read_csv(run.file("steps.csv"))
    assert len(steps["sim_time_s"]) == 12000 and "osc_action_1" in steps


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"env": {"id": "neurocontrol/Nope-v0"}},
            r"env.id must be one of neurocontrol/PlanarReach-v0",
        ),
        ({"agents": {}}, "agents must name at least one agent spec"),
        ({"agents": {"a": {"kp": 1}}}, "agents.a must be a mapping with a 'type' key"),
        ({"seeds": []}, "seeds must list at least one seed"),
        ({"seeds": [-1]}, r"seeds\[0\] must be an integer >= 0"),
        ({"duration": 0}, "duration must be a finite number > 0"),
        ({"schedule": [{"at": 5.0}, {"at": 1.0}]}, "schedule must be in time order"),
        ({"schedule": [{"at": -1.0}]}, "at must be a finite number >= 0"),
        ({"env": {"kwargs": {"max_episode_steps": 5}}}, "max_episode_steps is set from duration"),
        (
            {"duration": 8.0},
            r"schedule\[1\] \('curl off'\) at 8 s is not before duration 8 s; an event must "
            r"fall inside the run \(at < duration\)",
        ),
        (
            {"duration": 3.5},
            r"schedule\[0\] \('curl on'\) at 4 s is not before duration 3.5 s",
        ),
        (
            {"schedule": [{"at": 12.0, "learning": False}]},
            r"schedule\[0\] \('learning frozen'\) at 12 s is not before duration 12 s",
        ),
        (
            {
                "schedule": [
                    {"at": 1.0, "perturbation": {"kind": "payload", "mass": 1, "onset": 12}}
                ]
            },
            r"schedule\[0\] \('perturbation on'\).perturbation: the 'payload' onset 12 is not "
            r"before duration 12 s; an onset must fall inside the run",
        ),
        (
            {
                "schedule": [
                    {
                        "at": 1.0,
                        "perturbation": [
                            {"kind": "payload", "mass": 1, "onset": 2.0},
                            {"kind": "curl_field", "strength": 9, "onset": {"uniform": [3, 30]}},
                        ],
                    }
                ]
            },
            r"the 'curl_field' onset \{'uniform': \[3, 30\]\} is not before duration 12 s",
        ),
    ],
)
def test_bad_experiment_configs(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        short_config(**overrides)


def test_window_mean_is_nan_for_seeds_that_stopped_early() -> None:
    from neurocontrol.experiment.protocol import _window_mean

    per_cycle = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_allclose(_window_mean(per_cycle, slice(1, 3)), [2.5, 5.5])
    assert np.isnan(_window_mean(per_cycle, slice(3, 4))).all()


def test_events_and_onsets_inside_the_run_are_accepted() -> None:
    inside = {"kind": "curl_field", "strength": 9, "onset": {"uniform": [3, 11.9]}}
    config = short_config(schedule=[{"at": 0.0, "perturbation": inside}, {"at": 11.999}])
    assert [e.at for e in config.schedule] == [0.0, 11.999]
