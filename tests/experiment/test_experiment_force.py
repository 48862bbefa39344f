"""The force-error measure on the real ArmPress env: RMS of |F - F*| while pressing."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.envs.tasks.press import PRESS
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.results import experiment_figures, results_markdown
from neurocontrol.experiment.runs import read_csv
from neurocontrol.loop.episode import run_episode
from neurocontrol.utils.config import from_dict

WINDOW = 1.0


class InfoLog:
    """Wraps an agent and keeps, per step, what the env reported in ``info``."""

    def __init__(self, agent):
        self.agent = agent
        self.rows: list[tuple[float, float, float, float]] = []

    def reset(self, seed=None):
        self.rows.clear()
        self.agent.reset(seed)

    def act(self, obs):
        return self.agent.act(obs)

    def observe(self, reward, terminated, truncated, info):
        self.agent.observe(reward, terminated, truncated, info)
        self.rows.append(
            (info["sim_time"], info["normal_force"], info["target_force"], info["phase"])
        )


def press_config(**overrides):
    data = {
        "name": "press",
        "env": {"id": "neurocontrol/ArmPress-v0", "kwargs": {"target_force": 5.0}},
        "agents": {
            "twin": {"type": "adaptive_rate", "n_neurons": 100, "force": {}},
            "base": {"type": "osc"},
        },
        "schedule": [{"at": 3.0, "perturbation": {"kind": "payload", "mass": 1.0}}],
        "duration": 5.0,
        "metric": "force_error",
        "cycle_duration": WINDOW,
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


@pytest.fixture(scope="module")
def logged():
    logs = {}

    def factory(spec, env, seed):
        logs[spec["type"]] = InfoLog(make_agent(spec, env, seed))
        return logs[spec["type"]]

    return run_experiment(press_config(), factory), logs


def expected_windows(rows: list[tuple[float, float, float, float]]) -> np.ndarray:
    """Plain NumPy: RMS of |F - F*| over the pressing steps of each 1 s window."""
    time, force, target, phase = np.array(rows).T
    window = np.floor((time - 1e-9) / WINDOW).astype(int)
    out = []
    for k in range(window.max() + 1):
        pressing = (window == k) & (phase == PRESS)
        error = force[pressing] - target[pressing]
        out.append(np.sqrt(np.mean(error**2)) if pressing.any() else np.nan)
    return np.array(out)


def test_force_error_is_rms_of_the_normal_force_error_while_pressing(logged) -> None:
    result, logs = logged
    for label, kind in (("twin", "adaptive_rate"), ("base", "osc")):
        expected = expected_windows(logs[kind].rows)
        np.testing.assert_allclose(result.agents[label].per_cycle()[0], expected, rtol=1e-12)
    # approach and descent (1.5 s) are not pressing: no value in the first window, and the
    # second counts its last 0.5 s
    first, second = result.agents["base"].per_cycle()[0][:2]
    assert np.isnan(first) and np.isfinite(second)
    phases = result.phases()
    assert phases["before"] == (2, 2) and phases["first perturbed"] == (3, 3)
    table = result.table()
    # the payload's weight lands on the pads: the base's force error grows by N,
    # the tactile force loop holds it near the target
    assert table["base"]["first perturbed"] > table["base"]["before"] + 2.0
    assert table["twin"]["adapted"] < 0.5 * table["base"]["adapted"]
    assert result.format_table()[0].startswith("RMS force error per cycle (N)")


def test_force_run_directory_and_report_use_newtons(logged, tmp_path) -> None:
    result, _ = logged
    run = write_experiment(result, tmp_path)
    names = {p.name for p in run.path.iterdir()}
    assert {"force_error.png", "learning_curve.png", "steps.csv", "cycles.csv"} <= names
    assert "tracking_error.png" not in names
    summary = json.loads(run.file("summary.json").read_text())
    assert summary["metric"] == "force_error" and summary["unit"] == "N"
    assert "table_m" not in summary
    cycles = read_csv(run.file("cycles.csv"))
    np.testing.assert_allclose(cycles["base_seed0_rms_N"], result.agents["base"].per_cycle()[0])
    steps = read_csv(run.file("steps.csv"))
    assert "twin_force_error_N" in steps
    figures = experiment_figures(run.path)
    assert figures["table"]["base"]["before"] == pytest.approx(result.table()["base"]["before"])
    markdown = results_markdown([figures])
    assert "RMS force error" in markdown
    assert f"{result.table()['base']['before']:.2f} N" in markdown
    assert "Ended early" not in markdown
    # an episode the env stopped (safety) is named in the report
    summary["agents"]["twin"]["episodes"][0].update(terminated=True, sim_time_s=4.5)
    run.file("summary.json").write_text(json.dumps(summary))
    markdown = results_markdown([experiment_figures(run.path)])
    assert (
        "**Ended early** (the env's safety stop" in markdown and "twin seed 0 at 4.5 s" in markdown
    )


def test_measures_need_what_the_env_reports() -> None:
    with pytest.raises(ConfigError, match=r"info\['cycle'\]\); set cycle_duration"):
        run_experiment(press_config(cycle_duration=None, duration=0.05, schedule=[]))
    planar = {"id": "neurocontrol/PlanarReach-v0", "kwargs": {}}
    with pytest.raises(
        ConfigError, match=r"metric 'force_error' needs info entries \['normal_force'"
    ):
        run_experiment(
            press_config(
                env=planar,
                agents={"base": {"type": "osc"}},
                duration=0.05,
                schedule=[],
                cycle_duration=None,
            )
        )


def test_loop_records_extra_info_keys_and_refuses_clashes() -> None:
    env = gym.make("neurocontrol/ArmPress-v0")
    try:
        agent = make_agent({"type": "osc"}, env)
        episode = run_episode(
            env, agent, seed=0, max_steps=20, info_keys=("normal_force", "phase", "nope", "cycle")
        )
        assert episode.trace["phase"].tolist() == [0.0] * 20  # approaching
        assert np.isnan(episode.trace["nope"]).all()  # not reported: NaN
        with pytest.raises(ConfigError, match="info_keys: 'reward' names a recorded quantity"):
            run_episode(env, agent, seed=0, max_steps=5, info_keys=("reward",))
    finally:
        env.close()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"metric": "jerk"}, r"metric must be one of 'tracking_error', 'force_error'"),
        ({"cycle_duration": 0.0}, "cycle_duration must be a finite number > 0"),
        ({"cycle_duration": 9.0}, r"cycle_duration \(9.0 s\) must not exceed duration"),
        (
            {"metric": "trial_success"},
            "cycle_duration applies to RMS measures; metric 'trial_success' counts trials",
        ),
        ({"trial_block": 0}, "trial_block must be an integer >= 1"),
    ],
)
def test_bad_measure_configs(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        press_config(**overrides)
