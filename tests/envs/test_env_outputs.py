"""What ``step`` returns, built the slow obvious way and compared with the env's fast path."""

from __future__ import annotations

import math

import gymnasium
import numpy as np
import pytest

import neurocontrol

ENV_IDS = neurocontrol.ENV_IDS


@pytest.fixture(params=ENV_IDS)
def env(request: pytest.FixtureRequest):
    env = gymnasium.make(request.param)
    yield env
    env.close()


def _expected(unwrapped, tau_cmd: np.ndarray) -> dict[str, np.ndarray]:
    """The observation from the robot and task state with plain NumPy, key by key."""
    robot, task, d = unwrapped.robot, unwrapped.task, unwrapped.dim
    expected = {
        "proprio": np.concatenate([robot.q, robot.dq, tau_cmd]),
        "ee": np.concatenate([robot.hand_pos[:d], robot.hand_vel[:d]]),
        "goal": np.concatenate([task.ref_pos, task.ref_vel, task.target]),
    }
    if "tactile" in unwrapped.observation_space.spaces:
        expected["tactile"] = np.array(unwrapped.task.values)
    return {key: value.astype(np.float32) for key, value in expected.items()}


def test_step_outputs_equal_a_plain_numpy_construction(env) -> None:
    unwrapped = env.unwrapped
    env.reset(seed=4)
    rng = np.random.default_rng(0)
    limit = unwrapped.robot_model.torque_limit
    # full torques spin the Panda's light wrist past its safety limit within steps
    scale = 1.0 if unwrapped.n_joints == 2 else 0.02
    for _ in range(30):
        action = (scale * rng.uniform(-1.2, 1.2, unwrapped.n_joints)).astype(np.float32)
        observation, reward, terminated, _, info = env.step(action)
        tau_cmd = np.clip(action.astype(np.float64), -1.0, 1.0) * limit
        expected = _expected(unwrapped, tau_cmd)
        assert list(observation) == list(expected)
        for key, value in expected.items():
            assert observation[key].dtype == np.float32
            np.testing.assert_array_equal(observation[key], value, err_msg=key)
        np.testing.assert_array_equal(info["tau_cmd"], tau_cmd)
        np.testing.assert_array_equal(info["tau_applied"], tau_cmd)
        assert info["tau_cmd"].dtype == np.float64
        hand = unwrapped.robot.hand_pos[: unwrapped.dim]
        assert info["tracking_error"] == math.dist(hand, unwrapped.task.ref_pos)
        assert info["distance"] == math.dist(hand, unwrapped.task.target)
        terms = [value for key, value in info.items() if key.startswith("reward_")]
        assert reward == pytest.approx(sum(terms), abs=1e-12)
        assert terminated is False and info["safety_violation"] is False


def test_every_step_returns_new_writable_arrays(env) -> None:
    env.reset(seed=0)
    action = np.full(env.action_space.shape, 0.5, np.float32)
    first, _, _, _, first_info = env.step(action)
    kept = {key: value.copy() for key, value in first.items()}
    kept_tau = first_info["tau_cmd"].copy()
    second, _, _, _, second_info = env.step(-action)
    for key, value in first.items():
        assert value.flags.writeable
        assert not np.shares_memory(value, second[key])
        np.testing.assert_array_equal(value, kept[key])  # the next step left it alone
    assert not np.shares_memory(first_info["tau_cmd"], second_info["tau_cmd"])
    np.testing.assert_array_equal(first_info["tau_cmd"], kept_tau)
    first["proprio"][:] = 0.0  # a caller may modify what it got
    assert first_info["perturbation"] is not second_info["perturbation"]


def test_a_value_beyond_float32_range_is_observed_as_inf() -> None:
    # PyBullet caps joint speeds at 100 rad/s, so only a corrupted state gets here;
    # the float32 observation holds inf, as a NumPy cast gives
    env = gymnasium.make("neurocontrol/PlanarReach-v0")
    try:
        env.reset(seed=0)
        unwrapped = env.unwrapped
        unwrapped.robot.dq = [-1e39, 0.0]
        observation, _, info = unwrapped._outputs()
        assert observation["proprio"][2] == -np.inf
        assert info["safety_violation"] is True
    finally:
        env.close()
