"""Episodes: reproducible resets, no leaks over many resets, vector envs, the reach protocol."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import neurocontrol
from neurocontrol.envs.tasks import TargetSequence, centre_out_targets, minimum_jerk

ENV_IDS = neurocontrol.ENV_IDS


def _episode(env, seed: int, steps: int, options: dict | None = None) -> np.ndarray:
    """Flat record of an episode driven by actions drawn from a seed-fixed generator."""
    observation, _ = env.reset(seed=seed, options=options)
    actions = np.random.default_rng(seed).uniform(-0.3, 0.3, (steps, env.action_space.shape[0]))
    model = env.unwrapped.robot_model
    hold = (model.gravity(model.q_home) / model.torque_limit).astype(np.float32)
    record = [np.concatenate(list(observation.values()))]
    for action in actions:
        observation, reward, terminated, _, info = env.step(hold + action.astype(np.float32))
        record.append(np.concatenate([*observation.values(), [reward, info["tracking_error"]]]))
        if terminated:
            break
    return np.concatenate(record)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_gives_bit_identical_trajectories_after_other_episodes(env_id: str) -> None:
    env = gymnasium.make(env_id)
    first = _episode(env, seed=3, steps=400)
    _episode(env, seed=4, steps=250, options={"perturbation": {"kind": "payload", "mass": 1.0}})
    _episode(
        env, seed=5, steps=150, options={"perturbation": {"kind": "curl_field", "strength": 9}}
    )
    again = _episode(env, seed=3, steps=400)
    np.testing.assert_array_equal(first, again)
    fresh = gymnasium.make(env_id)
    np.testing.assert_array_equal(first, _episode(fresh, seed=3, steps=400))
    env.close()
    fresh.close()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_memory_growth_over_1000_resets_is_below_10_mb(env_id: str) -> None:
    env = gymnasium.make(env_id)
    zero = np.zeros(env.action_space.shape, np.float32)
    for seed in range(50):  # warm up allocator pools and caches
        env.reset(seed=seed)
        env.step(zero)
    before = _rss_bytes()
    for seed in range(1000):
        env.reset(seed=seed, options={"perturbation": {"kind": "payload", "mass": 0.5}})
        env.step(zero)
    growth = _rss_bytes() - before
    env.close()
    assert growth < 10 * 2**20, f"RSS grew by {growth / 2**20:.1f} MB"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_async_vector_env_with_two_workers_steps(env_id: str) -> None:
    envs = gymnasium.vector.AsyncVectorEnv([lambda: gymnasium.make(env_id)] * 2)
    observations, infos = envs.reset(seed=[1, 2])
    assert observations["proprio"].shape[0] == 2
    envs.action_space.seed(0)
    for _ in range(5):
        # a tenth of the torque range: full random torques may trip a Panda's joint speed
        # limit within a few steps (a safety stop, then an autoreset)
        observations, rewards, _, _, infos = envs.step(0.1 * envs.action_space.sample())
    assert rewards.shape == (2,) and np.all(np.isfinite(rewards))
    assert infos["sim_time"] == pytest.approx([0.005, 0.005])
    envs.close()


def test_minimum_jerk_starts_and_ends_at_rest() -> None:
    start, delta, duration = [0.0, 1.0], [0.1, -0.2], 0.5
    for elapsed, expected in ((0.0, start), (duration, [0.1, 0.8]), (0.25, [0.05, 0.9])):
        position, _ = minimum_jerk(start, delta, duration, elapsed)
        np.testing.assert_allclose(position, expected, atol=1e-12)
    _, velocity = minimum_jerk(start, delta, duration, duration / 2)
    np.testing.assert_allclose(velocity, np.array(delta) * 1.875 / duration)  # peak speed
    for elapsed in (0.0, duration):
        np.testing.assert_allclose(minimum_jerk(start, delta, duration, elapsed)[1], [0.0, 0.0])


def test_target_sequence_visits_every_target_once_per_cycle_and_returns() -> None:
    centre = np.array([0.0, 0.5])
    targets = centre_out_targets(centre, 0.1, 8)
    np.testing.assert_allclose(np.linalg.norm(targets - centre, axis=1), 0.1)
    sequence = TargetSequence(centre, targets, movement_time=0.5, hold_time=0.25)
    sequence.reset(np.random.default_rng(0))
    visited = []
    for segment in range(32):
        sequence.update(segment * 0.75 + 0.6)  # in the hold phase of each segment
        assert sequence.segment == segment and sequence.phase == 1
        np.testing.assert_allclose(sequence.ref_pos, sequence.target)
        visited.append(sequence.target_id)
    outward = visited[0::2]
    assert visited[1::2] == [-1] * 16  # back to the centre after each target
    assert sorted(outward[:8]) == list(range(8)) and sorted(outward[8:]) == list(range(8))
    assert outward[:8] != outward[8:]  # a fresh order each cycle
    assert sequence.cycle == 1


def test_reach_goal_holds_reference_and_target() -> None:
    env = gymnasium.make("neurocontrol/PlanarReach-v0", order="sequential").unwrapped
    observation, info = env.reset(seed=0)
    centre = env.robot_model.hand_position(env.robot_model.q_home)
    np.testing.assert_allclose(observation["goal"][4:], centre + np.array([0.1, 0.0]), atol=1e-6)
    assert info["target_id"] == 0 and info["phase"] == 0
    for _ in range(250):
        observation, _, _, _, info = env.step(np.zeros(2, np.float32))
    # half-way through the movement the reference is half-way, at peak speed
    np.testing.assert_allclose(observation["goal"][:2], centre + np.array([0.05, 0.0]), atol=1e-6)
    assert observation["goal"][2] == pytest.approx(0.1 * 1.875 / 0.5, rel=1e-5)
    np.testing.assert_allclose(
        info["tracking_error"],
        np.linalg.norm(observation["ee"][:2] - observation["goal"][:2]),
        atol=1e-6,
    )
    env.close()


def test_press_point_slides_out_and_back_while_pressing() -> None:
    amplitude, period = 0.04, 4.0
    env = gymnasium.make(
        "neurocontrol/ArmPress-v0", slide_amplitude=amplitude, slide_period=period
    ).unwrapped
    env.reset(seed=0)
    task = env.task
    press_start = task.approach_time + task.descend_time
    task.update(press_start - 0.1)  # descending: no slide
    assert task.phase == 1
    centre = list(task._centre)
    samples = {}
    for tau in (0.0, 0.5 - 1e-4, 0.5, 0.5 + 1e-4, period / 4, period / 2, period):
        task.update(press_start + tau)
        samples[tau] = (list(task.ref_pos), list(task.ref_vel), list(task.target))
    for position, velocity, target in samples.values():
        assert target == position  # the contact point slides with the reference
        assert position[0] == centre[0] and position[2] == centre[2] and velocity[0] == 0.0
    np.testing.assert_allclose(samples[0.0][0], centre)
    np.testing.assert_allclose(samples[0.0][1], 0.0, atol=1e-12)
    assert samples[period / 2][0][1] == pytest.approx(centre[1] + amplitude)
    assert samples[period][0][1] == pytest.approx(centre[1])
    peak = np.pi * amplitude / period  # (A/2) * 2 pi / P at a quarter period
    assert samples[period / 4][1][1] == pytest.approx(peak)
    slope = (samples[0.5 + 1e-4][0][1] - samples[0.5 - 1e-4][0][1]) / 2e-4
    assert slope == pytest.approx(samples[0.5][1][1], rel=1e-6)  # the velocity is d position/dt
    env.close()
    still = gymnasium.make("neurocontrol/ArmPress-v0").unwrapped
    still.reset(seed=0)
    still.task.update(press_start + 1.0)
    assert still.task.ref_pos is still.task.target and still.task.ref_vel == [0.0, 0.0, 0.0]
    still.close()
    with pytest.raises(neurocontrol.errors.ConfigError, match=r"slide_period must be .* > 0"):
        gymnasium.make("neurocontrol/ArmPress-v0", slide_amplitude=0.02, slide_period=0.0)
    with pytest.raises(neurocontrol.errors.ConfigError, match=r"slide_amplitude must be .* >= 0"):
        gymnasium.make("neurocontrol/ArmPress-v0", slide_amplitude=-0.02)
