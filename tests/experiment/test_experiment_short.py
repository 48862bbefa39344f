"""Short and early-stopped episodes still write a whole run (real env, agents and files)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from neurocontrol.agents.agent import Agent
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig, default_config, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.runs import read_csv
from neurocontrol.utils.config import from_dict
from neurocontrol.viz import plots

from .conftest import RUN_FILES


def small(spec: dict) -> dict:
    """The default config's agent spec with 50-neuron networks (fast to build and step)."""
    spec = dict(spec)
    for side in ("spiking", "dense"):
        if side in spec:
            spec[side] = small(spec[side])
    if spec["type"] in ("adaptive_spiking", "adaptive_rate"):
        spec["n_neurons"] = 50
    return spec


def default_agents_config(duration: float) -> ExperimentConfig:
    base = default_config()
    return dataclasses.replace(
        base,
        agents={label: small(spec) for label, spec in base.agents.items()},
        schedule=[dataclasses.replace(base.schedule[0], at=0.0)],
        duration=duration,
    )


def check_run(run, steps: int, n_cycles: int = 1) -> dict:
    assert {p.name for p in run.path.iterdir()} >= RUN_FILES
    summary = json.loads(run.file("summary.json").read_text())
    assert len(read_csv(run.file("cycles.csv"))["cycle"]) == n_cycles
    assert len(read_csv(run.file("steps.csv"))["sim_time_s"]) == steps
    for name in ("tracking_error.png", "learning_curve.png"):
        assert run.file(name).read_bytes()[:4] == b"\x89PNG"
    return summary


@pytest.mark.parametrize(("duration", "steps"), [(0.001, 1), (0.05, 50)])
def test_default_agents_write_a_run_of_one_step_or_a_few(duration, steps, tmp_path) -> None:
    result = run_experiment(default_agents_config(duration))
    for agent_result in result.agents.values():
        assert [ep.steps for ep in agent_result.episodes] == [steps]
    run = write_experiment(result, tmp_path)
    summary = check_run(run, steps)
    assert summary["phases"] == {"first perturbed": [0, 0], "adapted": [0, 0]}
    assert set(summary["paired"]) == set(list(result.agents)[1:])
    # the raster when the spiking agent spiked: at rest at home few neurons of its sparse
    # code fire (most intercepts are above 0), none in the first step
    spikes = len(next(iter(result.agents.values())).raster[0])
    assert ("spike_raster.png" in {p.name for p in run.path.iterdir()}) == (spikes > 0)
    assert spikes > 0 or steps == 1


class Flail(Agent):
    """Full torque on every joint, whatever it observes: the arm spins into the safety stop."""

    def __init__(self, env, torque: float) -> None:
        self.action = np.full(env.action_space.shape, torque, dtype=np.float32)

    def act(self, obs):
        return self.action


def flail_factory(spec, env, seed):
    return Flail(env, spec["torque"])


def stopping_config(**overrides) -> ExperimentConfig:
    data = {
        "name": "stops",
        "agents": {
            "flail": {"type": "flail", "torque": -1.0},
            "flail again": {"type": "flail", "torque": -1.0},
        },
        "schedule": [
            {"at": 0.0, "perturbation": {"kind": "curl_field", "strength": 15.0}},
            {"at": 0.1, "perturbation": None},
        ],
        "duration": 12.0,
        "seeds": [0, 1],
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


def test_agents_that_all_stop_before_a_cycle_ends_write_a_run(tmp_path) -> None:
    result = run_experiment(stopping_config(), flail_factory)
    episodes = [ep for r in result.agents.values() for ep in r.episodes]
    assert all(ep.terminated and ep.steps < 1000 for ep in episodes)
    # the one partial cycle spans the field's onset and its removal: no phase has a cycle
    assert result.phases() == {}
    assert result.paired() == {} and result.format_paired() == []
    with pytest.raises(ConfigError, match=r"phase must be one of none: .*; got 'adapted'"):
        result.paired("adapted")
    run = write_experiment(result, tmp_path)
    summary = check_run(run, min(ep.steps for ep in result.agents["flail"].episodes[:1]))
    assert summary["paired"] == {} and summary["table"] == {"flail": {}, "flail again": {}}
    assert all(ep["terminated"] for ep in summary["agents"]["flail"]["episodes"])


def test_early_stops_under_the_default_schedule_write_the_phase_they_reached(tmp_path) -> None:
    schedule = [{"at": 6.0, "perturbation": {"kind": "curl_field", "strength": 15.0}}]
    result = run_experiment(stopping_config(schedule=schedule, seeds=[0]), flail_factory)
    assert result.phases() == {"before": (0, 0)}
    assert result.paired()["flail again"]["phase"] == "before"
    check_run(write_experiment(result, tmp_path), result.agents["flail"].episodes[0].steps)


def test_the_smoothed_error_plot_takes_traces_shorter_than_its_window(tmp_path) -> None:
    for steps in (1, 2, 50, 99):
        time = np.arange(1, steps + 1) * 1e-3
        path = plots.plot_tracking_error(
            {"a": (time, np.full(steps, 0.01)), "b": (time, np.linspace(0.0, 0.02, steps))},
            tmp_path / f"error_{steps}.png",
            smooth_s=0.1,
        )
        assert path.read_bytes()[:4] == b"\x89PNG"
