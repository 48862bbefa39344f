"""The shipped tasks' reward terms, success and sensing, on tasks built into real envs."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.envs import ArmPressEnv, PlanarReachEnv
from neurocontrol.envs.tasks import ReachTask, TablePressTask
from neurocontrol.envs.tasks.press import APPROACH, PRESS
from neurocontrol.envs.tasks.trajectory import HOLD, MOVE


@pytest.fixture(scope="module")
def reach():
    env = PlanarReachEnv(success_radius=0.02)
    env.reset(seed=0)
    yield env
    env.close()


@pytest.fixture(scope="module")
def press():
    env = ArmPressEnv(target_force=8.0, force_tolerance=1.0, force_weight=2.0)
    env.reset(seed=0)
    yield env
    env.close()


def test_reach_success_is_the_hand_within_the_env_radius_and_adds_no_reward(reach) -> None:
    task = reach.task
    assert isinstance(task, ReachTask)
    for distance, success in ((0.0, True), (0.02, True), (0.0200001, False), (1.0, False)):
        info: dict = {}
        assert task.terms(info, distance) == 0.0
        assert info["is_success"] is success
        assert list(info) == list(ReachTask.info_keys)


def test_reach_info_counts_the_reference_s_movements(reach) -> None:
    reference = reach.task.reference
    info: dict = {}
    for time, phase in ((0.1, MOVE), (0.6, HOLD), (0.8, MOVE)):
        reference.update(time)
        reach.task.terms(info, 1.0)
        assert info["phase"] == phase == reference.phase
        assert info["target_index"] == reference.segment
        assert (info["target_id"], info["cycle"]) == (reference.target_id, reference.cycle)
    assert info["target_index"] == 1  # the second movement: back to the centre
    assert info["target_id"] == -1


def test_reach_options_pick_the_episode_s_targets_and_reset_applies_them(reach) -> None:
    task = reach.task
    targets, _ = task.resolve_targets({"n_targets": 3, "radius": 0.05})
    task.check_options({"targets": {"n_targets": 3, "radius": 0.05}})
    task.reset(np.random.default_rng(0))
    task.reference.update(2.0)  # past the first movement: the new set is in use
    np.testing.assert_array_equal(task.reference.targets, targets)
    task.check_options({})
    task.reset(np.random.default_rng(0))
    assert len(task.reference.targets) == 8


def test_press_force_reward_and_success_act_only_while_pressing(press) -> None:
    task = press.task
    assert isinstance(task, TablePressTask)
    reference = task.reference
    reference.update(0.1)
    assert reference.phase == APPROACH
    task.normal_force = 8.0
    info: dict = {}
    assert task.terms(info, 0.0) == 0.0 and info["is_success"] is False
    reference.update(task.approach_time + task.descend_time + 0.5)
    assert reference.phase == PRESS
    for force, distance, reward, success in (
        (8.0, 0.0, 0.0, True),
        (9.0, 0.0, -2.0 * 1.0 / 8.0, True),  # at the tolerance
        (6.0, 0.0, -2.0 * 2.0 / 8.0, False),
        (8.0, 0.05, 0.0, False),  # beyond the success radius (0.02)
    ):
        task.normal_force = force
        assert task.terms(info, distance) == pytest.approx(reward, abs=1e-15)
        assert info["is_success"] is success
        assert (info["normal_force"], info["target_force"]) == (force, 8.0)
        assert info["reward_force"] == pytest.approx(reward, abs=1e-15)
    assert list(info) == list(TablePressTask.info_keys)


def test_press_sensing_reads_the_pads_on_the_table(press) -> None:
    task = press.task
    robot = press.robot
    press.reset(seed=0)
    task.sense()
    assert task.values == [0.0] * 10 and task.normal_force == 0.0  # at home, in the air
    # the hand put (inverse kinematics) 3 mm below the contact point: both pads press
    client = press.sim.client
    down = client.getLinkState(robot.body, robot.hand_link)[5]  # at home: pointing down
    point = list(task.reference.target)
    point[2] -= 0.003
    q = client.calculateInverseKinematics(
        robot.body, robot.hand_link, point, down, maxNumIterations=200, residualThreshold=1e-6
    )[:7]
    robot.reset_joints(q)
    client.stepSimulation()  # the solver gives the contacts their normal forces
    task.sense()
    assert task.values[1] == task.values[6] == 1.0  # both pads touch
    assert task.values[0] > 0.0 and task.values[5] > 0.0
    assert task.normal_force == task.values[0] + task.values[5]
    # the force-weighted contact points lie at the surface (within the 3 mm pressed in)
    assert task.values[4] == pytest.approx(task.table_height, abs=4e-3)
    assert task.values[9] == pytest.approx(task.table_height, abs=4e-3)
