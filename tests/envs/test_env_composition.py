"""An env is a robot plus a task: new combinations in a few lines, and what ArmEnv refuses."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from gymnasium import spaces

from neurocontrol.envs import ArmEnv, ArmReachEnv, PlanarReachEnv
from neurocontrol.envs.robots import Panda, PlanarArm, TorqueArm
from neurocontrol.envs.robots.base import RobotModel
from neurocontrol.envs.robots.planar_arm import planar_arm_urdf
from neurocontrol.envs.sim import BulletSim
from neurocontrol.envs.tasks import ArmTask, ReachTask, TargetSequence
from neurocontrol.errors import ConfigError


class HoldStill(ArmTask):
    """Keep the hand at home: a task of a dozen lines, with one sensor and one reward term."""

    info_keys = ("is_success", "drift")

    def build(self, env: ArmEnv) -> None:
        home = np.asarray(env.robot.hand_pos[: env.dim])
        self.reference = TargetSequence(home, home[None, :], movement_time=1.0, hold_time=1.0)
        self.robot, self.values = env.robot, [0.0]
        self.success_radius = env.success_radius

    def observation_bounds(self, workspace_radius: float) -> dict[str, spaces.Space]:
        return {"speed": spaces.Box(0.0, np.inf, (1,), np.float32)}

    def sense(self) -> None:
        self.values[0] = math.hypot(*self.robot.hand_vel)

    def terms(self, info: dict[str, Any], distance: float) -> float:
        info["is_success"] = distance <= self.success_radius
        info["drift"] = distance
        return -10.0 * distance


def test_a_new_env_combines_a_robot_and_a_task_in_a_few_lines() -> None:
    class PandaHoldEnv(ArmEnv):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(Panda, HoldStill(), **kwargs)

    env = PandaHoldEnv(gravity_compensation=True)
    try:
        observation, info = env.reset(seed=0)
        assert set(observation) == {"proprio", "ee", "goal", "speed"}
        assert env.camera == Panda.camera and env.success_radius == Panda.success_radius
        for _ in range(50):
            observation, reward, terminated, _, info = env.step(np.zeros(7, np.float32))
        assert not terminated
        assert observation["speed"][0] == np.float32(math.hypot(*env.robot.hand_vel))
        assert info["drift"] == info["distance"] < 1e-3  # gravity compensated: it stays put
        expected = info["reward_distance"] + info["reward_effort"] + info["reward_tracking"]
        assert reward == expected - 10.0 * info["drift"]
        assert env.observation_space.contains(observation)
    finally:
        env.close()


def test_the_planar_arm_with_the_reach_task_is_planar_reach() -> None:
    composed = ArmEnv(PlanarArm, ReachTask(n_targets=4))
    shipped = PlanarReachEnv(n_targets=4)
    try:
        first = composed.reset(seed=2)[0]
        np.testing.assert_array_equal(first["goal"], shipped.reset(seed=2)[0]["goal"])
        action = np.array([0.3, -0.2], np.float32)
        for _ in range(20):
            a, b = composed.step(action), shipped.step(action)
            for key in a[0]:
                np.testing.assert_array_equal(a[0][key], b[0][key])
            assert a[1] == b[1]
    finally:
        composed.close()
        shipped.close()


def test_the_env_takes_its_defaults_from_the_robot_and_the_camera_from_the_task() -> None:
    env = ArmReachEnv()
    try:
        assert env.workspace_radius == Panda.workspace_radius
        assert env.reach_shell == Panda.reach_shell
        assert env.max_joint_velocity == Panda.max_joint_velocity
        assert isinstance(env.robot_model, RobotModel)
        assert env.reset_options == ("perturbation", "targets")
        assert env.task.phase == env.task.reference.phase  # the reference reads through the task
    finally:
        env.close()


@pytest.mark.parametrize(
    ("robot", "task", "match"),
    [
        ("planar", ReachTask(), "robot must be a TorqueArm subclass"),
        (BulletSim, ReachTask(), "robot must be a TorqueArm subclass"),
        (PlanarArm, ReachTask, "task must be an ArmTask"),
        (PlanarArm, "reach", "task must be an ArmTask"),
    ],
    ids=["robot-name", "not-a-robot", "task-class", "task-name"],
)
def test_arm_env_refuses_what_is_not_a_robot_class_and_a_task(robot, task, match) -> None:
    with pytest.raises(ConfigError, match=match):
        ArmEnv(robot, task)


def test_a_task_serves_one_env_only() -> None:
    task = ReachTask()
    env = ArmEnv(PlanarArm, task)
    env.close()
    with pytest.raises(ConfigError, match=r"built into another env already.*a new task"):
        ArmEnv(PlanarArm, task)


def test_a_robot_without_a_nominal_model_is_refused_naming_the_fix() -> None:
    class Bare(TorqueArm):
        def __init__(self, sim: BulletSim) -> None:
            body = sim.client.loadURDF(planar_arm_urdf(), useFixedBase=True)
            super().__init__(sim, body, joints=[0, 1], hand_link=2)

    with pytest.raises(ConfigError, match=r"Bare has no nominal model; accepted: .*nominal_model"):
        ArmEnv(Bare, ReachTask())


def test_a_task_that_is_not_built_says_so() -> None:
    with pytest.raises(
        AttributeError, match="ReachTask has no attribute 'phase' \\(not built yet\\)"
    ):
        _ = ReachTask().phase
