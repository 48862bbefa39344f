"""The observation space of an arm env."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from neurocontrol.envs.robots.base import RobotModel
from neurocontrol.envs.tasks.base import ArmTask

__all__ = ["observation_bounds"]


def observation_bounds(
    model: RobotModel, max_joint_velocity: float, workspace_radius: float, task: ArmTask
) -> dict[str, spaces.Space]:
    """The observation's keys and finite bounds: the common ones, then the task's.

    Joint angles get 0.5 rad beyond the limits (limit constraints are soft),
    joint speeds twice the safety limit, hand and target coordinates the
    workspace, hand speeds what the joints can give it.
    """
    d = model.dim
    margin = 0.5  # rad beyond the joint limits: limit constraints are soft
    q_low = np.asarray(model.q_lower) - margin
    q_high = np.asarray(model.q_upper) + margin
    dq_max = np.full(model.n_joints, 2.0 * max_joint_velocity)
    limit = np.asarray(model.torque_limit)
    reach = float(workspace_radius)
    hand_speed = reach * float(dq_max.sum())
    # a reference moves at most 1.875x its mean speed (minimum jerk)
    position = np.full(d, reach)
    speed = np.full(d, hand_speed)

    def box(low: np.ndarray, high: np.ndarray) -> spaces.Box:
        return spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)

    bounds: dict[str, spaces.Space] = {
        "proprio": box(
            np.concatenate([q_low, -dq_max, -limit]), np.concatenate([q_high, dq_max, limit])
        ),
        "ee": box(np.concatenate([-position, -speed]), np.concatenate([position, speed])),
        "goal": box(
            np.concatenate([-position, -speed, -position]),
            np.concatenate([position, speed, position]),
        ),
    }
    bounds.update(task.observation_bounds(reach))
    return bounds
