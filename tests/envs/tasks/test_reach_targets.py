"""The reach envs replace their target set mid-episode: where, how the reference stays
continuous, and which specs they refuse."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurocontrol.envs.tasks import centre_out_targets
from neurocontrol.errors import ConfigError, SimulationError

# 4 targets x 2 movements x (0.1 + 0.05) s: a 1.2 s cycle, a reach every 0.3 s
FAST = {"n_targets": 4, "movement_time": 0.1, "hold_time": 0.05, "order": "sequential"}


@pytest.fixture(scope="module")
def planar():
    env = gym.make("neurocontrol/PlanarReach-v0", max_episode_steps=10_000, **FAST)
    yield env
    env.close()


def run(env, steps, switches=None, options=None):
    """Zero torques for ``steps``; ``switches`` maps a step to a spec given before it."""
    env.reset(seed=0, options=options)
    task = env.unwrapped.task
    reference, cycle, segment = [list(task.ref_pos)], [], []
    action = np.zeros(env.action_space.shape, np.float32)
    for k in range(steps):
        if switches and k in switches:
            env.unwrapped.set_targets(switches[k])
        _, _, _, _, info = env.step(action)
        reference.append(list(task.ref_pos))
        cycle.append(info["cycle"])
        segment.append(info["target_index"])
    return np.array(reference), np.array(cycle), np.array(segment)


def largest_step(reference):
    return np.linalg.norm(np.diff(reference, axis=0), axis=1).max()


def test_a_switch_waits_for_the_next_centre_out_reach_and_starts_a_cycle_there(planar) -> None:
    unwrapped = planar.unwrapped
    planar.reset(seed=0)
    centre = unwrapped.task.centre.copy()
    # asked for at 0.7 s, during the third reach (0.6-0.9 s): it starts the reach at 0.9 s
    reference, cycle, segment = run(planar, 3000, {700: {"n_targets": 6, "rotation": 22.5}})
    starts = np.flatnonzero(np.diff(cycle)) + 1
    np.testing.assert_array_equal(starts[:2], [900, 900 + 1800])  # 6 targets: 1.8 s
    assert segment[899] % 2 == 1 and segment[900] % 2 == 0  # cut where the hand is back
    expected = centre_out_targets(centre, 0.1, 6)
    angle = np.radians(22.5)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    np.testing.assert_allclose(unwrapped.task.targets, centre + (expected - centre) @ rotation.T)
    # minimum jerk peaks at 1.875 x distance / movement time: 1.9 mm per 1 ms step at most
    assert largest_step(reference) <= 1.875 * 0.1 / 0.1 * 1e-3 + 1e-9
    np.testing.assert_allclose(reference[901], centre, atol=1e-5)  # the new reach from rest


def test_an_offset_moves_the_centre_in_a_cycle_of_its_own(planar) -> None:
    planar.reset(seed=0)
    home = planar.unwrapped.task.centre.copy()
    reference, cycle, _ = run(planar, 2400, {100: {"offset": [0.05, -0.02]}})
    starts = np.flatnonzero(np.diff(cycle)) + 1
    # the first reach ends at 0.3 s; 0.15 s to the new centre; then a whole cycle
    np.testing.assert_array_equal(starts[:3], [300, 450, 1650])
    np.testing.assert_allclose(reference[450], home + np.array([0.05, -0.02]), atol=1e-9)
    assert largest_step(reference) <= 1.875 * np.hypot(0.1, 0.0) / 0.1 * 1e-3 + 1e-9
    np.testing.assert_allclose(planar.unwrapped.task.centre, home + np.array([0.05, -0.02]))


def test_the_reset_option_runs_a_set_for_one_episode_only(planar) -> None:
    unwrapped = planar.unwrapped
    planar.reset(seed=0)
    default = unwrapped.task.targets.copy()
    chosen = default[:2] + np.array([0.0, 0.01])
    planar.reset(seed=0, options={"targets": chosen})
    np.testing.assert_array_equal(unwrapped.task.targets, chosen)
    _, cycle, _ = run(planar, 1300, options={"targets": chosen})
    assert np.flatnonzero(np.diff(cycle))[0] + 1 == 600  # 2 targets: 0.6 s cycles
    run(planar, 10, {5: {"rotation": 45.0}})
    planar.reset(seed=0)  # neither the option nor a switch outlives its episode
    np.testing.assert_array_equal(unwrapped.task.targets, default)
    run(planar, 10, {5: {}})
    np.testing.assert_array_equal(unwrapped.task.targets, default)


def test_the_spatial_arm_turns_its_set_about_the_vertical() -> None:
    env = gym.make("neurocontrol/ArmReach-v0", n_targets=8)
    try:
        unwrapped = env.unwrapped
        env.reset(seed=0)
        centre, default = unwrapped.task.centre, unwrapped.task.targets
        targets, new_centre = unwrapped.resolve_targets({"rotation": 90.0, "offset": [0, 0.1, 0]})
        np.testing.assert_allclose(new_centre, centre + np.array([0, 0.1, 0]))
        turned = default - centre
        turned = np.stack([-turned[:, 1], turned[:, 0], turned[:, 2]], axis=1)
        np.testing.assert_allclose(targets, new_centre + turned, atol=1e-12)
        with pytest.raises(ConfigError, match=r"targets.offset must be 3 finite numbers"):
            unwrapped.set_targets({"offset": [0.1, 0.0]})
        with pytest.raises(ConfigError, match=r"0.15 to 0.8 m from the shoulder"):
            unwrapped.set_targets({"offset": [0.0, 0.0, 0.6]})
    finally:
        env.close()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([[0.0, 0.5, 0.0]], r"targets must have shape \(k, 2\), got \(1, 3\); accepted: an array"),
        ([], r"targets must have shape \(k, 2\), got \(0,\)"),
        ([[np.nan, 0.5]], r"targets must be finite \(no NaN or inf\)"),
        ("left", r"targets must be numeric, got 'left'; accepted: an array \(k, 2\)"),
        ([[0.0, 0.7]], r"targets \[\[0.0, 0.7\]\] lie outside the workspace; accepted: 0.05 to"),
        ({"angle": 10}, r"targets: unknown key 'angle'; accepted: n_targets \(int >= 1\), radius"),
        ({"n_targets": 0}, r"targets.n_targets must be an integer >= 1, got 0"),
        ({"radius": -0.1}, r"targets.radius must be a finite number > 0, got -0.1"),
        ({"rotation": "east"}, r"targets.rotation must be a finite number, got 'east'"),
        ({"offset": [0.0, np.inf]}, r"targets.offset must be 2 finite numbers \(m\)"),
        ({"radius": 0.5}, r"targets \[\[.*\]\] lie outside the workspace"),
        ({"offset": [0.0, 0.3]}, r"targets: the centre \[\[.*\]\] lie outside the workspace"),
    ],
)
def test_bad_target_specs_are_refused_by_name(planar, spec, message) -> None:
    planar.reset(seed=0)
    before = planar.unwrapped.task.targets
    with pytest.raises(ConfigError, match=message):
        planar.unwrapped.set_targets(spec)
    with pytest.raises(ConfigError, match=message):
        planar.reset(seed=0, options={"targets": spec})
    assert planar.unwrapped.task.targets is before  # nothing changed, nothing waits
    assert planar.unwrapped.task._pending is None


def test_a_closed_env_refuses_a_switch() -> None:
    env = gym.make("neurocontrol/PlanarReach-v0")
    env.close()
    with pytest.raises(SimulationError, match=r"set_targets\(\) after close\(\)"):
        env.unwrapped.set_targets({})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spec=st.dictionaries(
        st.sampled_from(["n_targets", "radius", "rotation", "offset", "spin"]),
        st.one_of(
            st.integers(-3, 40),
            st.floats(allow_nan=True, allow_infinity=True, width=32),
            st.lists(st.floats(-1, 1), min_size=1, max_size=3),
            st.text(max_size=3),
            st.none(),
        ),
        max_size=4,
    )
)
def test_any_mapping_is_refused_cleanly_or_gives_reachable_targets(planar, spec) -> None:
    unwrapped = planar.unwrapped
    try:
        targets, centre = unwrapped.resolve_targets(spec)
    except ConfigError as exc:
        assert "targets" in str(exc)
        return
    origin, nearest, farthest = unwrapped.reach_shell
    assert targets.ndim == 2 and targets.shape[1] == 2 and len(targets) >= 1
    for point in (*targets, centre):
        assert np.isfinite(point).all()
        assert nearest <= np.linalg.norm(point - origin) <= farthest
