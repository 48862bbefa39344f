"""PolicyAdapter: callables and Stable-Baselines3 models, checked against the env's spaces."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import HybridAgent, PolicyAdapter, make_agent
from neurocontrol.errors import ActionError, ConfigError
from neurocontrol.loop.episode import run_episode


def test_callable_policy_drives_the_env(planar):
    adapter = PolicyAdapter.from_env(planar, lambda obs: np.array([0.5, -2.0]))
    result = run_episode(planar, adapter, seed=0, max_steps=20)
    np.testing.assert_array_equal(result.trace["action"], np.tile([0.5, -1.0], (20, 1)))


@pytest.mark.parametrize(
    ("policy", "error", "message"),
    [
        (lambda obs: np.zeros(3), ActionError, r"action of shape \(3,\); the env takes \(2,\)"),
        (lambda obs: np.array([np.nan, 0.0]), ActionError, "non-finite action"),
        (lambda obs: "left", ActionError, "non-numeric action 'left'"),
    ],
)
def test_bad_actions_are_refused(planar, policy, error, message):
    adapter = PolicyAdapter.from_env(planar, policy)
    obs, _ = planar.reset(seed=0)
    with pytest.raises(error, match=message):
        adapter.act(obs)


def test_not_a_policy_and_no_spec(planar):
    with pytest.raises(ConfigError, match=r"policy must be callable .* got int"):
        PolicyAdapter.from_env(planar, 3)
    adapter = PolicyAdapter.from_env(planar, lambda obs: np.zeros(2))
    with pytest.raises(ConfigError, match="plain-data spec only when loaded from a file"):
        adapter.spec()


def test_sb3_model_drives_and_round_trips_through_the_factory(planar, tmp_path):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO

    model = PPO("MultiInputPolicy", planar, n_steps=64, batch_size=32, seed=0, device="cpu")
    model.save(tmp_path / "ppo.zip")
    adapter = make_agent(
        {"type": "sb3", "algorithm": "PPO", "path": str(tmp_path / "ppo.zip")}, planar
    )
    obs, _ = planar.reset(seed=0)
    expected, _ = model.predict(obs, deterministic=True)
    np.testing.assert_allclose(adapter.act(obs), np.clip(expected, -1, 1), rtol=1e-6)
    # MACs of the actor MLP (16 -> 64 -> 64 -> 2): 16*64 + 64*64 + 64*2
    assert adapter.ops[2] == 16 * 64 + 64 * 64 + 64 * 2
    hybrid = HybridAgent(make_agent({"type": "adaptive_spiking", "n_neurons": 50}, planar), adapter)
    hybrid.act(obs)
    hybrid.observe(0.0, False, False, {})
    assert hybrid.log()["dense_macs"][0] == adapter.ops[2]
    adapter.save(tmp_path / "adapter")
    assert make_agent(adapter.spec(), planar).spec() == adapter.spec()


def test_sb3_model_of_another_action_space_is_refused(planar):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO

    pendulum = gym.make("Pendulum-v1")
    model = PPO("MlpPolicy", pendulum, n_steps=64, batch_size=32, device="cpu")
    with pytest.raises(ConfigError, match=r"SB3 model's action space Box\(-2.0, 2.0, \(1,\)"):
        PolicyAdapter.from_env(planar, model)
    with pytest.raises(ConfigError, match=r"algorithm 'PPO2' is not a Stable-Baselines3 algorithm"):
        make_agent({"type": "sb3", "algorithm": "PPO2", "path": "x.zip"}, planar)
