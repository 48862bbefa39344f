"""Closed-loop episodes advanced a chunk at a time are the episodes run straight through."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.bench.interleave import (
    CHUNK_WARMUP,
    CURL,
    ChunkedEpisode,
    chunk_sizes,
    run_interleaved,
    time_agents,
)
from neurocontrol.loop.episode import run_episode

ENV_ID = "neurocontrol/PlanarReach-v0"
SPEC = {"type": "adaptive_rate", "n_neurons": 50}


def _episode(max_steps: int) -> ChunkedEpisode:
    env = gym.make(ENV_ID)
    return ChunkedEpisode(
        env, make_agent(SPEC, env, seed=0), max_steps, seed=1, options={"perturbation": CURL}
    )


def test_interleaved_chunks_record_the_straight_episode_and_time_only_timed_steps() -> None:
    steps = 120
    total = steps + len(chunk_sizes(steps)) * CHUNK_WARMUP
    episodes = {"a": _episode(total), "b": _episode(total)}
    per_repeat = run_interleaved({name: e.run for name, e in episodes.items()}, steps, 1)
    results = {name: episode.finish() for name, episode in episodes.items()}
    env = gym.make(ENV_ID)
    straight = run_episode(
        env, make_agent(SPEC, env, seed=0), 1, max_steps=total, options={"perturbation": CURL}
    )
    for name, result in results.items():
        assert result.steps == total
        np.testing.assert_array_equal(result.trace["action"], straight.trace["action"])
        seconds, timed = per_repeat[name][0]
        assert timed == steps and 0 < seconds < result.wall_time
        untimed = episodes[name].untimed
        assert untimed.sum() == total - steps
        assert untimed[:CHUNK_WARMUP].all() and not untimed[CHUNK_WARMUP]


def test_an_episode_stopped_before_its_end_returns_what_it_ran() -> None:
    episode = _episode(1000)
    assert episode.run(7, warmup=3) == (pytest.approx(episode.timed_seconds), 7)
    result = episode.finish()
    assert result.steps == 10 and episode.run(5) == (0.0, 0)
    assert episode.finish() is result


def test_an_error_in_the_episode_reaches_the_caller() -> None:
    env = gym.make(ENV_ID)
    agent = make_agent(SPEC, env, seed=0)
    calls = 0

    def act(obs: object) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise FloatingPointError("agent blew up")
        return np.zeros(2, dtype=np.float32)

    agent.act = act  # type: ignore[method-assign]
    episode = ChunkedEpisode(env, agent, 100)
    episode.run(3)
    with pytest.raises(FloatingPointError, match="agent blew up"):
        episode.run(3)
    assert episode.run(3) == (0.0, 0)
    assert episode.finish() is None


def test_time_agents_names_every_agent_and_counts_its_timed_steps() -> None:
    specs = {"rate": SPEC, "osc": {"type": "osc"}}
    figures = time_agents(ENV_ID, specs, 0.04, warmup_steps=5)
    assert list(figures) == ["rate", "osc"]
    for row in figures.values():
        assert row["timed_steps"] == 40
        assert 0 < row["agent"]["p50_us"] <= row["agent"]["p99_us"] <= row["agent"]["max_us"]
        assert row["step"]["p50_us"] > row["env"]["p50_us"]
