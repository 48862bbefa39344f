"""The hand-path figure: the trace's hand rows, movements per phase, a figure for every run."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401  (registers the envs)
from neurocontrol.agents.factory import make_agent
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import (
    EnvConfig,
    ExperimentConfig,
    ScheduleEvent,
    run_experiment,
)
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.loop.episode import run_episode
from neurocontrol.viz.handpaths import phase_paths, write_hand_paths

#: 4 s cycles of eight out-and-back reaches, sequential: short enough for a test
FAST_REACH = {"movement_time": 0.2, "hold_time": 0.05, "order": "sequential"}


def curl_config(**changes) -> ExperimentConfig:
    data = {
        "name": "paths",
        "env": EnvConfig("neurocontrol/PlanarReach-v0", FAST_REACH),
        "agents": {"base (OSC)": {"type": "osc"}, "base again": {"type": "osc"}},
        "schedule": [
            ScheduleEvent(4.0, {"kind": "curl_field", "strength": 15.0}, "curl field on"),
            ScheduleEvent(12.0, None, "curl field off"),
        ],
        "duration": 16.0,
    }
    data.update(changes)
    return ExperimentConfig(**data)


@pytest.fixture(scope="module")
def curl_result():
    return run_experiment(curl_config())


def test_the_trace_holds_the_hand_and_the_reference_of_every_step() -> None:
    env = gym.make("neurocontrol/PlanarReach-v0")
    try:
        agent = make_agent({"type": "osc"}, env, seed=0)
        episode = run_episode(env, agent, seed=0, max_steps=300)
    finally:
        env.close()
    assert episode.trace["ee"].shape == (300, 4) and episode.trace["goal"].shape == (300, 6)
    assert episode.trace["ee"].dtype == np.float32
    # the hand row's distance to the reference row is the recorded tracking error
    hand, reference = episode.trace["ee"][:, :2], episode.trace["goal"][:, :2]
    np.testing.assert_allclose(
        np.linalg.norm(hand - reference, axis=1), episode.trace["tracking_error"], atol=1e-6
    )


def test_an_info_key_cannot_take_the_name_of_an_observed_row() -> None:
    env = gym.make("neurocontrol/PlanarReach-v0")
    try:
        agent = make_agent({"type": "osc"}, env, seed=0)
        with pytest.raises(ConfigError, match=r"info_keys: 'ee' names a recorded quantity.*'goal'"):
            run_episode(env, agent, seed=0, max_steps=5, info_keys=["ee"])
    finally:
        env.close()


def test_each_phase_holds_one_outward_reach_per_target(curl_result) -> None:
    episode = curl_result.agents["base (OSC)"].episodes[0]
    before = phase_paths(episode, 0.0, 4.0)
    assert len(before) == 8
    ends = np.array([m.end for m in before])
    radii = np.linalg.norm(ends - episode.trace["goal"][0, :2], axis=1)
    np.testing.assert_allclose(radii, 0.1, atol=1e-6)  # the default target radius
    # unperturbed, the base controller ends each fast reach within 2 cm of its target
    assert max(np.linalg.norm(m.hand[-1] - m.end) for m in before) < 0.02
    # the curl field pushes the hand sideways off the straight line to the target
    perturbed = phase_paths(episode, 4.0, 8.0)

    def sideways(movements):
        """Mean over movements of the largest distance from the line start -> end point."""
        worst = []
        for m in movements:
            line = (m.end - m.reference[0]) / np.linalg.norm(m.end - m.reference[0])
            offset = m.hand - m.reference[0]
            worst.append(np.max(np.abs(offset[:, 0] * line[1] - offset[:, 1] * line[0])))
        return float(np.mean(worst))

    assert sideways(perturbed) > 3 * sideways(before)


def test_every_reaching_run_writes_the_figure(curl_result, tmp_path) -> None:
    run = write_experiment(curl_result, tmp_path)
    figure = run.file("hand_paths.png")
    assert figure.read_bytes()[:4] == b"\x89PNG" and figure.stat().st_size > 10_000


def test_a_run_stopped_early_draws_what_it_reached_or_nothing(tmp_path) -> None:
    # 2 s of a 4 s cycle: the one partial cycle is the "before" phase
    short = run_experiment(curl_config(duration=2.0, schedule=[]))
    assert write_hand_paths(short, tmp_path / "short.png") is not None
    # one step: a movement cut after its first step still draws
    one_step = run_experiment(curl_config(duration=0.001, schedule=[]))
    assert write_hand_paths(one_step, tmp_path / "one.png") is not None
