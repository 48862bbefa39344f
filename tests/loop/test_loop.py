from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.agents.base_controllers import OperationalSpaceController
from neurocontrol.envs import PlanarReachEnv
from neurocontrol.errors import ConfigError
from neurocontrol.loop.episode import perturbation_active, run_episode, run_episodes


@pytest.fixture(scope="module")
def env():
    env = gym.make("neurocontrol/PlanarReach-v0")
    yield env
    env.close()


def test_trace_records_every_step_and_the_perturbation_onset(env) -> None:
    agent = OperationalSpaceController.from_env(env)
    curl = {"kind": "curl_field", "strength": 15.0, "onset": 0.5}
    result = run_episode(env, agent, seed=0, max_steps=1000, options={"perturbation": curl})
    trace = result.trace
    assert result.steps == 1000 and all(len(v) == 1000 for v in trace.values())
    np.testing.assert_allclose(trace["sim_time"], np.arange(1, 1001) * 1e-3)
    assert trace["perturbed"][:499].sum() == 0 and trace["perturbed"][500:].all()
    assert np.all(trace["agent_us"] > 0) and np.all(trace["env_us"] > 0)
    assert result.sim_time == pytest.approx(1.0)
    summary = result.summary()
    assert summary["rms_tracking_error_m"] == pytest.approx(
        np.sqrt(np.mean(trace["tracking_error"] ** 2))
    )
    assert summary["agent"]["p99_us"] >= summary["agent"]["p50_us"]


def test_same_seed_same_trajectory(env) -> None:
    agent = OperationalSpaceController.from_env(env)
    runs = run_episodes(env, agent, n_episodes=2, seed=3, max_steps=300)
    again = run_episode(env, agent, seed=3, max_steps=300)
    np.testing.assert_array_equal(runs.episodes[0].trace["action"], again.trace["action"])
    assert [ep.seed for ep in runs.episodes] == [3, 4]
    assert runs.summary()["sim_time_s"] == pytest.approx(0.6)


def test_callback_can_stop_and_pacing_follows_wall_clock(env) -> None:
    agent = OperationalSpaceController.from_env(env)
    seen = []

    def stop_after_50(step, obs, action, reward, info):
        seen.append(step)
        return step == 49

    result = run_episode(env, agent, seed=0, max_steps=500, callbacks=[stop_after_50])
    assert result.steps == 50 and seen == list(range(50))
    start = time.perf_counter()
    run_episode(env, agent, seed=0, max_steps=100, pace=1.0)  # 0.1 s of simulated time
    assert time.perf_counter() - start >= 0.1


def test_loop_errors() -> None:
    raw = PlanarReachEnv()  # no TimeLimit: the step budget must be given
    try:
        agent = OperationalSpaceController.from_env(raw)
        with pytest.raises(ConfigError, match="max_steps is required"):
            run_episode(raw, agent)
        with pytest.raises(ConfigError, match="max_steps must be an integer >= 1"):
            run_episode(raw, agent, max_steps=0)
        with pytest.raises(ConfigError, match="pace must be a finite number > 0"):
            run_episode(raw, agent, max_steps=10, pace=-1.0)
        with pytest.raises(ConfigError, match="n_episodes must be an integer >= 1"):
            run_episodes(raw, agent, n_episodes=0, max_steps=10)
    finally:
        raw.close()


def test_perturbation_active_reads_combined_entries() -> None:
    assert not perturbation_active({"kind": "none"})
    assert perturbation_active({"kind": "payload", "active": True})
    assert perturbation_active({"kind": "combined", "parts": [{"active": False}, {"active": True}]})
    assert not perturbation_active(None)
