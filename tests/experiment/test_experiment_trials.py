"""Trial mode on the real PlanarReach env: success per block of trials, judged by the env."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.results import experiment_figures, results_markdown
from neurocontrol.experiment.runs import read_csv
from neurocontrol.utils.config import from_dict

#: 4 targets, 0.3 s move + 0.2 s hold each way: one trial (out and back) per second
ENV = {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2, "success_radius": 0.02}}
REACHED = (0, 1)  # the targets the selective reacher goes to


class SelectiveReacher:
    """Follows the env's reference to targets 0 and 1 only; holds the centre otherwise.

    Knows from ``info`` which target each outward movement went to, so the
    expected outcome of every trial is known without the env's ``is_success``.
    """

    def __init__(self, base):
        self.base = base
        self.targets: list[int] = []  # target id of every outward movement, in order
        self._segment = -1
        self._centre = None

    def reset(self, seed=None):
        self.base.reset(seed)
        self.targets.clear()
        self._segment = -1
        self._centre = None

    def act(self, obs):
        goal = np.asarray(obs["goal"], dtype=np.float32)
        if self._centre is None:
            self._centre = goal[0:2].copy()  # the episode starts at the centre
        if self.targets and self.targets[-1] not in REACHED and self._outward:
            goal = np.concatenate([self._centre, [0.0, 0.0], self._centre]).astype(np.float32)
        return self.base.act({**obs, "goal": goal})

    @property
    def _outward(self):
        return self._target_id >= 0

    def observe(self, reward, terminated, truncated, info):
        self.base.observe(reward, terminated, truncated, info)
        self._target_id = info["target_id"]
        if info["target_index"] != self._segment:
            self._segment = info["target_index"]
            if info["target_id"] >= 0:
                self.targets.append(int(info["target_id"]))


def trial_config(**overrides):
    data = {
        "name": "trials",
        "env": ENV,
        "agents": {"selective": {"type": "osc"}},
        "duration": 16.0,
        "metric": "trial_success",
        "trial_block": 4,
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


def test_success_per_block_counts_the_env_judged_trials() -> None:
    reachers = []

    def factory(spec, env, seed):
        reachers.append(SelectiveReacher(make_agent(spec, env, seed)))
        return reachers[-1]

    result = run_experiment(trial_config(), factory)
    expected = np.isin(reachers[0].targets[:16], REACHED).astype(float).reshape(4, 4).mean(axis=1)
    np.testing.assert_array_equal(result.agents["selective"].per_cycle()[0], expected)
    # every cycle visits each target once: half the trials reach 0 or 1
    assert expected.mean() == 0.5
    assert result.phases() == {"first block": (0, 0), "last block": (3, 3)}
    assert result.format_table()[0].startswith("success rate per block of 4 trials (%)")


@pytest.fixture(scope="module")
def rstdp_run(tmp_path_factory):
    config = trial_config(
        name="rstdp",
        agents={
            "trace": {"type": "reward_spiking", "move_time": 0.25, "return_time": 0.25},
            "no trace": {
                "type": "reward_spiking",
                "move_time": 0.25,
                "return_time": 0.25,
                "rstdp": {"tau_eligibility": 0.005},
            },
        },
        duration=12.0,
        seeds=[0, 1],
    )
    result = run_experiment(config)
    return result, write_experiment(result, tmp_path_factory.mktemp("runs")).path


def test_rstdp_trial_run_directory_and_report(rstdp_run) -> None:
    result, run_dir = rstdp_run
    names = {p.name for p in run_dir.iterdir()}
    assert {"learning_curve.png", "trials.csv", "cycles.csv", "summary.json"} <= names
    assert "steps.csv" not in names and "tracking_error.png" not in names
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["metric"] == "trial_success" and summary["trial_block"] == 4
    assert summary["agents"]["trace"]["trials"] == [12, 12]  # 12 s at one trial per second
    trials = read_csv(run_dir / "trials.csv")
    assert len(trials["success"]) == 2 * 2 * 12
    # the env's verdict agrees with the reward the agent gave itself (same 2 cm radius)
    agent = result.agents["trace"].agent  # trained on the last seed
    own = np.array([reward > 0 for *_, reward in agent.history], dtype=float)
    last_seed = (trials["agent_index"] == 0) & (trials["seed"] == 1)
    assert np.mean(own[:12] == trials["success"][last_seed]) >= 0.9
    per_block = result.agents["trace"].per_cycle()
    np.testing.assert_allclose(
        per_block[1], trials["success"][last_seed][:12].reshape(3, 4).mean(axis=1)
    )
    figures = experiment_figures(run_dir)
    assert figures["trial_block"] == 4 and len(figures["blocks"]["trace"]) == 3
    # 12 trials do not reach trial 500: the reward-learning targets are not reported
    assert "success_at_500" not in figures["targets"]
    markdown = results_markdown([figures])
    assert "| agent \\ trials | 1-4 | 5-8 | 9-12 |" in markdown


def test_trial_runs_too_short_or_without_targets_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"gives 3 trials, fewer than one block of trial_block"):
        run_experiment(trial_config(duration=3.2))
    press = {"id": "neurocontrol/ArmPress-v0", "kwargs": {}}
    with pytest.raises(ConfigError, match=r"needs info entries \['target_id'\]"):
        run_experiment(trial_config(env=press, duration=0.05))
