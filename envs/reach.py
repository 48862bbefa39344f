"""Reaching environments: PlanarReach (2-link arm, horizontal plane) and ArmReach (Panda, 3-D).

Each is a robot plus the centre-out :class:`~neurocontrol.envs.tasks.reach_task.ReachTask`:
the hand starts at the centre (the hand position at ``q_home``), moves to each
target along a minimum-jerk reference and holds it, then returns. The
``goal`` observation carries the reference position and velocity at this
step and the current end point; ``info["tracking_error"]`` (hand to reference)
is what adaptation is judged on.

The target set can change mid-episode (``env.unwrapped.set_targets(spec)``)
or per episode (``reset(options={"targets": spec})``); see
:meth:`ReachTask.resolve_targets <neurocontrol.envs.tasks.reach_task.ReachTask.resolve_targets>`
for the spec.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocontrol.envs.arm_env import ArmEnv
from neurocontrol.envs.robots.base import TorqueArm
from neurocontrol.envs.robots.panda import Panda
from neurocontrol.envs.robots.planar_arm import PlanarArm
from neurocontrol.envs.tasks.reach_task import REACH_DEFAULTS, TARGET_KEYS, ReachTask

__all__ = ["REACH_DEFAULTS", "TARGET_KEYS", "ArmReachEnv", "PlanarReachEnv"]


class _ReachEnv(ArmEnv):
    """The robot :attr:`robot_class` reaching centre-out (:class:`ReachTask`, :class:`ArmEnv`).

    Parameters
    ----------
    targets, n_targets, target_radius, movement_time, hold_time, order, return_to_centre
        The task's (:class:`~neurocontrol.envs.tasks.reach_task.ReachTask`).
    **kwargs
        Passed to :class:`ArmEnv` (``dt``, ``control_decimation``,
        ``gravity_compensation``, ``perturbation``, reward weights, rendering).
    """

    robot_class: type[TorqueArm]
    task: ReachTask

    def __init__(
        self,
        *,
        targets: Any = None,
        n_targets: int = REACH_DEFAULTS["n_targets"],
        target_radius: float = REACH_DEFAULTS["target_radius"],
        movement_time: float = REACH_DEFAULTS["movement_time"],
        hold_time: float = REACH_DEFAULTS["hold_time"],
        order: str = "random",
        return_to_centre: bool = REACH_DEFAULTS["return_to_centre"],
        **kwargs: Any,
    ) -> None:
        task = ReachTask(
            targets=targets,
            n_targets=n_targets,
            target_radius=target_radius,
            movement_time=movement_time,
            hold_time=hold_time,
            order=order,
            return_to_centre=return_to_centre,
        )
        super().__init__(self.robot_class, task, **kwargs)

    def set_targets(self, spec: Any) -> None:
        """Replace the target set mid-episode; see :meth:`ReachTask.set_targets`."""
        self._require_open("set_targets")
        self.task.set_targets(spec)

    def resolve_targets(self, spec: Any) -> tuple[np.ndarray, np.ndarray]:
        """Targets (k, d) and centre (d,) of ``spec``; see :meth:`ReachTask.resolve_targets`."""
        return self.task.resolve_targets(spec)


class PlanarReachEnv(_ReachEnv):
    """2-link planar arm in the horizontal plane reaching centre-out (d = 2, n = 2).

    The classical motor-adaptation benchmark: a human-arm-like manipulandum
    (Shadmehr & Mussa-Ivaldi 1994), 8 targets 10 cm from the centre, 0.5 s
    minimum-jerk movements with 0.25 s holds (a 12 s cycle), typically with a
    curl field switching on mid-episode. ``robot_model`` is the closed-form
    2-link dynamics; gravity loads no joint. Torque limit 10 N·m per joint.
    """

    robot_class = PlanarArm


class ArmReachEnv(_ReachEnv):
    """Franka Panda (7 joints) reaching centre-out in 3-D (d = 3, n = 7).

    8 targets on the corners of a cube 10 cm (centre to corner) around the
    hand's home position. ``robot_model`` is PyBullet's dynamics of the
    nominal URDF on a private client. Gravity acts; use
    ``gravity_compensation=True`` or a controller that compensates it.
    """

    robot_class = Panda
