from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.agents.factory import make_agent
from neurocontrol.errors import ConfigError
from neurocontrol.loop.vector import run_vector


def _make():
    return gym.make("neurocontrol/PlanarReach-v0", max_episode_steps=300)


@pytest.mark.parametrize("vector_cls", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_run_vector_resets_agents_with_their_envs(vector_cls) -> None:
    vec_env = vector_cls([_make, _make])
    single = _make()
    try:
        agents = [
            make_agent({"type": "adaptive_rate", "n_neurons": 100}, single, seed=i)
            for i in range(2)
        ]
        result = run_vector(vec_env, agents, n_steps=650, seed=5)
    finally:
        vec_env.close()
    summary = result.summary()
    # 650 steps = two 300-step episodes, one reset step, and 49 more steps per env.
    assert summary["episodes_finished"] == 4
    for env_episodes in result.episodes:
        assert [ep["length"] for ep in env_episodes] == [300, 300]
        assert all(0 < ep["rms_tracking_error_m"] < 0.01 for ep in env_episodes)
    # Episodes on sub-env 0 are seeded like a single env with seed 5.
    from neurocontrol.loop.episode import run_episode

    reference = run_episode(
        single,
        make_agent({"type": "adaptive_rate", "n_neurons": 100}, single, seed=0),
        seed=5,
        max_steps=300,
    )
    single.close()
    assert result.episodes[0][0]["rms_tracking_error_m"] == pytest.approx(
        np.sqrt(np.mean(reference.trace["tracking_error"] ** 2)), rel=1e-6
    )


def test_run_vector_needs_one_agent_per_env() -> None:
    vec_env = gym.vector.SyncVectorEnv([_make, _make])
    try:
        with pytest.raises(ConfigError, match="one agent per sub-env: 2 envs, 1 agents"):
            run_vector(vec_env, [object()], n_steps=1)  # type: ignore[list-item]
    finally:
        vec_env.close()
