"""The learning-frozen probe: schedule events that switch every agent's learning off and on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.results import experiment_figures
from neurocontrol.experiment.runs import read_csv
from neurocontrol.utils.config import from_dict

CURL = {"kind": "curl_field", "strength": 15.0}


def probe_config(**overrides):
    # cycles of 4 targets x (0.3 s + 0.2 s) x 2 = 4 s: one unperturbed, two learning in the
    # field, one frozen in the field, one learning again
    data = {
        "name": "probe",
        "env": {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2}},
        "agents": {
            # the previous default: one readout at 1e-2 on a dense code, plain OSC base
            "twin": {
                "type": "adaptive_rate",
                "base": {"type": "osc"},
                "learning_rate": 1.0e-2,
                "fast_learning_rate": 0.0,
                "q_radius": 1.0,
                "intercepts": [-1.0, 0.9],
                "tau_synapse": 0.02,
            },
            "base": {"type": "osc"},
        },
        "schedule": [
            {"at": 4.0, "perturbation": CURL, "label": "curl on"},
            {"at": 12.0, "learning": False, "label": "learning frozen"},
            {"at": 16.0, "learning": True},
        ],
        "duration": 20.0,
        "seeds": [0],
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


class Recording:
    """The real agent factory; keeps each agent's decoders at every learning switch."""

    def __init__(self) -> None:
        self.snapshots: list[tuple[bool, np.ndarray]] = []
        self.agents: list = []

    def __call__(self, spec, env, seed):
        agent = make_agent(spec, env, seed)
        if hasattr(agent, "decoders"):
            switch = agent.set_learning

            def recorded(enabled: bool) -> None:
                self.snapshots.append((enabled, agent.decoders.copy()))
                switch(enabled)

            agent.set_learning = recorded
            self.agents.append(agent)
        return agent


@pytest.fixture(scope="module")
def probe():
    factory = Recording()
    return run_experiment(probe_config(), factory), factory


def test_frozen_learning_keeps_the_decoders_and_the_fast_learner_loses_its_compensation(
    probe,
) -> None:
    result, factory = probe
    (frozen_at, at_freeze), (resumed_at, at_resume) = factory.snapshots
    assert frozen_at is False and resumed_at is True
    assert np.linalg.norm(at_freeze) > 0  # it had learned something
    np.testing.assert_array_equal(at_resume, at_freeze)  # nothing moved while frozen
    assert not np.array_equal(factory.agents[0].decoders, at_resume)  # learning resumed

    assert result.phases() == {
        "before": (0, 0),
        "first perturbed": (1, 1),
        "adapted": (2, 2),
        "learning frozen": (3, 3),
    }
    table = result.table()
    twin, base = table["twin"], table["base"]
    assert twin["adapted"] < 0.25 * base["adapted"]  # PES compensated the field ...
    # ... but at 1e-5 as a fast error-driven loop: frozen, most of the excess comes back
    retention = 1 - (twin["learning frozen"] - twin["adapted"]) / (
        base["learning frozen"] - twin["adapted"]
    )
    assert retention < 0.5, retention
    relearned = result.agents["twin"].per_cycle()[0, 4]
    assert relearned < 0.5 * twin["learning frozen"]


def test_the_frozen_phase_is_written_to_the_csv_summary_and_results(probe, tmp_path) -> None:
    result, _ = probe
    run = write_experiment(result, root=tmp_path)
    cycles = read_csv(run.file("cycles.csv"))
    np.testing.assert_array_equal(cycles["learning"][:5], [1, 1, 1, 0, 1])  # (+ a last step)
    steps = read_csv(run.file("steps.csv"))
    time = steps["sim_time_s"]
    assert (steps["learning"][(time > 12.0 + 2e-3) & (time < 16.0 - 2e-3)] == 0).all()
    assert (steps["learning"][(time < 12.0 - 2e-3) | (time > 16.0 + 2e-3)] == 1).all()
    summary = json.loads(run.file("summary.json").read_text())
    assert summary["schedule"][1] == {
        "at": 12.0,
        "perturbation": None,
        "label": "learning frozen",
        "learning": False,
    }
    figures = experiment_figures(run.path)
    table = result.table()
    twin, base = table["twin"], table["base"]
    expected = 1 - (twin["learning frozen"] - twin["adapted"]) / (
        base["learning frozen"] - twin["adapted"]
    )
    assert figures["targets"]["retention::twin::probe"] == pytest.approx(expected)
    # a learning switch is not the field switching off: nothing ends the perturbation here
    assert result.config.onsets == {"curl on": 4.0, "learning frozen": 12.0, "learning on": 16.0}


def test_a_learning_switch_leaves_the_perturbation_on(probe) -> None:
    result, _ = probe
    trace = result.agents["base"].episodes[0].trace
    assert trace["perturbed"][trace["sim_time"] > 4.0 + 2e-3].all()


def test_learning_frozen_from_the_start() -> None:
    factory = Recording()
    config = probe_config(
        agents={"twin": {"type": "adaptive_rate", "learning_rate": 1.0e-2}},
        schedule=[{"at": 0.0, "learning": False}, {"at": 2.0, "perturbation": CURL}],
        duration=4.0,
    )
    result = run_experiment(config, factory)
    assert factory.snapshots[0][0] is False
    assert not factory.agents[0].learning
    np.testing.assert_array_equal(result.agents["twin"].agent.decoders, 0.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"schedule": [{"at": 1.0, "perturbation": CURL, "learning": False}]},
            r"schedule event at 1.0 s sets both perturbation and learning",
        ),
        ({"schedule": [{"at": 1.0, "learning": "off"}]}, r"learning must be true or false"),
        (
            {"metric": "trial_success", "schedule": [{"at": 1.0, "learning": False}]},
            r"learning switches apply to RMS measures",
        ),
    ],
)
def test_bad_learning_events(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        probe_config(**overrides)
