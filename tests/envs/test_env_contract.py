"""The Gymnasium contract of every env id: spaces, check_env, wrappers, bad input."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import FlattenObservation

import neurocontrol
from neurocontrol.errors import ActionError, ConfigError

ENV_IDS = neurocontrol.ENV_IDS
DIMS = {"neurocontrol/PlanarReach-v0": (2, 2), "neurocontrol/ArmReach-v0": (7, 3)}
DIMS["neurocontrol/ArmPress-v0"] = (7, 3)


@pytest.fixture(params=ENV_IDS)
def env_id(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def env(env_id: str):
    env = gymnasium.make(env_id)
    yield env
    env.close()


def test_check_env_passes(env) -> None:
    check_env(env.unwrapped, skip_render_check=True)


def test_observation_layout_follows_the_contract(env, env_id: str) -> None:
    n, d = DIMS[env_id]
    observation, info = env.reset(seed=1)
    expected = {"proprio": (3 * n,), "ee": (2 * d,), "goal": (3 * d,)}
    if env_id.endswith("ArmPress-v0"):
        expected["tactile"] = (10,)
    assert {k: v.shape for k, v in observation.items()} == expected
    for key, space in env.observation_space.spaces.items():
        assert space.dtype == np.float32
        assert np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))
        assert space.contains(observation[key]), key
    assert env.action_space == gymnasium.spaces.Box(-1.0, 1.0, (n,), np.float32)
    unwrapped = env.unwrapped
    q_home = unwrapped.robot_model.q_home
    np.testing.assert_allclose(observation["proprio"][:n], q_home, atol=1e-6)
    np.testing.assert_allclose(
        observation["ee"][:d], unwrapped.robot_model.hand_position(q_home), atol=1e-6
    )
    for key in ("tracking_error", "distance", "is_success", "tau_cmd", "sim_time", "perturbation"):
        assert key in info
    assert "reward_distance" in info and "reward_effort" in info
    if env_id.endswith("ArmPress-v0"):
        assert "reward_force" in info
    else:
        assert {"target_index", "target_id", "phase", "cycle"} <= set(info)


def test_robot_model_offers_the_contract(env, env_id: str) -> None:
    n, d = DIMS[env_id]
    model = env.unwrapped.robot_model
    q = model.q_home + 0.05
    assert model.n_joints == n and model.dim == d
    assert model.torque_limit.shape == (n,) and np.all(model.torque_limit > 0)
    assert model.gravity(q).shape == (n,)
    mass = model.mass_matrix(q)
    assert mass.shape == (n, n)
    np.testing.assert_allclose(mass, mass.T, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(mass) > 0)
    assert model.jacobian(q).shape == (d, n)
    assert model.hand_position(q).shape == (d,)


def test_jacobian_matches_finite_differences_of_hand_position(env) -> None:
    model = env.unwrapped.robot_model
    q = model.q_home + 0.1
    step = 1e-4  # PyBullet link poses carry ~1e-8 m of rounding
    numeric = np.stack(
        [
            (model.hand_position(q + step * e) - model.hand_position(q - step * e)) / (2 * step)
            for e in np.eye(model.n_joints)
        ],
        axis=1,
    )
    np.testing.assert_allclose(model.jacobian(q), numeric, atol=1e-3)


def test_commanded_torque_is_logged_and_observed(env, env_id: str) -> None:
    n, _ = DIMS[env_id]
    env.reset(seed=0)
    action = np.linspace(-0.5, 0.5, n).astype(np.float32)
    observation, _, _, _, info = env.step(action)
    expected = action.astype(np.float64) * env.unwrapped.robot_model.torque_limit
    np.testing.assert_allclose(info["tau_cmd"], expected, rtol=1e-6)
    np.testing.assert_allclose(observation["proprio"][2 * n :], expected, rtol=1e-6)
    # out-of-range actions are clipped to the torque limit
    _, _, _, _, info = env.step(np.full(n, 3.0, np.float32))
    np.testing.assert_allclose(info["tau_cmd"], env.unwrapped.robot_model.torque_limit)


def test_flatten_observation_works(env_id: str) -> None:
    env = FlattenObservation(gymnasium.make(env_id))
    observation, _ = env.reset(seed=0)
    assert observation.ndim == 1 and observation.dtype == np.float32
    assert env.observation_space.contains(observation)
    observation, *_ = env.step(env.action_space.sample())
    assert env.observation_space.contains(observation)
    env.close()


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (np.array([np.nan, 0.0]), r"finite.*nan"),
        (np.array([0.0, np.inf]), r"finite.*inf"),
        (np.zeros(3), r"shape \(2,\).*got shape \(3,\)"),
        (np.zeros((2, 1)), r"shape \(2,\).*got shape \(2, 1\)"),
        ("up", r"shape \(2,\).*dtype <U2"),
        (np.array([1 + 1j, 0]), r"real array.*complex"),
    ],
)
def test_bad_actions_raise_action_error(action, match: str) -> None:
    env = gymnasium.make("neurocontrol/PlanarReach-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ActionError, match=match):
        env.step(action)
    # nothing was stepped: the episode goes on from the same state
    assert env.sim_time == 0.0
    env.close()


def test_huge_finite_actions_are_clipped_not_rejected() -> None:
    env = gymnasium.make("neurocontrol/PlanarReach-v0").unwrapped
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([1e308, 1e308]))
    np.testing.assert_allclose(info["tau_cmd"], env.robot_model.torque_limit)
    env.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"control_decimation": 2.5}, r"control_decimation.*integer.*2\.5"),
        ({"control_decimation": 0}, r"control_decimation.*>= 1.*0"),
        ({"control_dt": 0.0025}, r"control_dt = 0\.0025 s is not an integer multiple of dt"),
        ({"control_dt": 0.002, "control_decimation": 2}, r"not both"),
        ({"dt": -0.001}, r"dt must be a finite number > 0"),
        ({"movement_time": 0.0}, r"movement_time must be a finite number > 0"),
        ({"order": "shuffled"}, r"order must be one of 'random', 'sequential'; got 'shuffled'"),
        ({"targets": [[5.0, 0.0]]}, r"targets must lie within"),
        ({"perturbation": {"kind": "gravity_flip"}}, r"unknown perturbation kind 'gravity_flip'"),
    ],
)
def test_bad_constructor_arguments_raise_config_error(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        gymnasium.make("neurocontrol/PlanarReach-v0", **kwargs)


def test_unsupported_render_mode_raises() -> None:
    from neurocontrol.envs import PlanarReachEnv

    with pytest.raises(ConfigError, match=r"render_mode must be None or 'rgb_array'.*'human'"):
        PlanarReachEnv(render_mode="human")


def test_control_decimation_holds_the_action_for_k_physics_steps() -> None:
    env = gymnasium.make("neurocontrol/PlanarReach-v0", control_decimation=4).unwrapped
    assert (
        gymnasium.make("neurocontrol/PlanarReach-v0", control_dt=0.004).unwrapped.control_decimation
        == 4
    )
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.zeros(2, np.float32))
    assert info["sim_time"] == pytest.approx(0.004)
    env.close()


def test_unknown_reset_option_raises() -> None:
    env = gymnasium.make("neurocontrol/PlanarReach-v0")
    with pytest.raises(ConfigError, match=r"unknown reset option\(s\) \['seed'\]"):
        env.reset(options={"seed": 3})
    env.close()


def test_close_is_safe_twice_and_render_is_headless(env_id: str) -> None:
    env = gymnasium.make(env_id, render_mode="rgb_array", render_width=64, render_height=48)
    env.reset(seed=0)
    image = env.render()
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert image.std() > 0  # not a blank frame
    env.close()
    env.close()


def test_a_runaway_joint_terminates_with_a_clipped_observation() -> None:
    env = gymnasium.make("neurocontrol/PlanarReach-v0", max_joint_velocity=2.0).unwrapped
    env.reset(seed=0)
    for _ in range(1000):
        observation, _, terminated, truncated, info = env.step(np.array([1.0, -1.0], np.float32))
        assert not truncated
        if terminated:
            break
    assert terminated and info["safety_violation"] and info["sim_time"] > 0.005
    assert np.abs(np.array(env.robot.dq)).max() > 2.0
    assert env.observation_space.contains(observation)
    env.close()


def test_arm_reach_targets_surround_the_home_hand_in_3d() -> None:
    env = gymnasium.make("neurocontrol/ArmReach-v0", order="sequential").unwrapped
    env.reset(seed=0)
    centre = env.robot_model.hand_position(env.robot_model.q_home)
    offsets = env.task.targets - centre
    np.testing.assert_allclose(np.linalg.norm(offsets, axis=1), 0.1)
    assert np.all(np.ptp(offsets, axis=0) > 0.1)  # spread along x, y and z
    env.close()
