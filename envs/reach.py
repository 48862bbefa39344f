"""Reaching environments: PlanarReach (2-link arm, horizontal plane) and ArmReach (Panda, 3-D).

Both run the centre-out protocol of :class:`~neurocontrol.envs.tasks.TargetSequence`:
the hand starts at the centre (the hand position at ``q_home``), moves to each
target along a minimum-jerk reference and holds it, then returns. The
``goal`` observation carries the reference position and velocity at this
step and the current end point; ``info["tracking_error"]`` (hand to reference)
is what adaptation is judged on.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from neurocontrol.envs.arm_env import ArmEnv
from neurocontrol.envs.robots.panda import Panda, PandaModel
from neurocontrol.envs.robots.planar_arm import PlanarArm, PlanarArmModel
from neurocontrol.envs.tasks import TargetSequence, centre_out_targets
from neurocontrol.errors import ConfigError
from neurocontrol.validation import require_finite_array, require_int, require_positive

__all__ = ["ArmReachEnv", "PlanarReachEnv"]


class _ReachEnv(ArmEnv):
    """Centre-out reaching on top of :class:`ArmEnv` (see there for the common contract).

    Parameters
    ----------
    targets : array-like (k, d), optional
        Absolute target positions (m); default: ``n_targets`` around the centre
        at ``target_radius``.
    n_targets : int
        Number of default targets (8).
    target_radius : float
        Distance of the default targets from the centre (m).
    movement_time : float
        Duration of each minimum-jerk movement (s).
    hold_time : float
        Time holding each end point before the next movement (s).
    order : {"random", "sequential"}
        Target order per cycle (random orders come from ``np_random``).
    return_to_centre : bool
        Centre-out-and-back (True) or target to target (False).
    **kwargs
        Passed to :class:`ArmEnv` (``dt``, ``control_decimation``,
        ``gravity_compensation``, ``perturbation``, reward weights, rendering).
    """

    def __init__(
        self,
        *,
        targets: Any = None,
        n_targets: int = 8,
        target_radius: float = 0.1,
        movement_time: float = 0.5,
        hold_time: float = 0.25,
        order: str = "random",
        return_to_centre: bool = True,
        **kwargs: Any,
    ) -> None:
        self._targets = targets
        self._n_targets = require_int("n_targets", n_targets, 1)
        self._target_radius = require_positive("target_radius", target_radius)
        self._movement_time = movement_time
        self._hold_time = hold_time
        self._order = order
        self._return_to_centre = return_to_centre
        super().__init__(**kwargs)

    @abc.abstractmethod
    def _build_robot(self) -> None:
        """Load the robot (set ``self.robot`` and ``self.robot_model``)."""

    def _build(self) -> None:
        self._build_robot()
        centre = np.asarray(self.robot_model.hand_position(self.robot_model.q_home))
        if self._targets is None:
            targets = centre_out_targets(centre, self._target_radius, self._n_targets)
        else:
            targets = require_finite_array("targets", self._targets)
            if targets.ndim != 2 or targets.shape[1] != centre.shape[0]:
                raise ConfigError(
                    f"targets must have shape (k, {centre.shape[0]}), got {targets.shape}"
                )
        if np.abs(targets).max() > self.workspace_radius:
            raise ConfigError(
                f"targets must lie within +-{self.workspace_radius} m on every axis, "
                f"got {targets.tolist()}"
            )
        self.task = TargetSequence(
            centre,
            targets,
            movement_time=self._movement_time,
            hold_time=self._hold_time,
            order=self._order,
            return_to_centre=self._return_to_centre,
            step_time=self.dt * self.control_decimation,
        )
        self._add_markers()


class PlanarReachEnv(_ReachEnv):
    """2-link planar arm in the horizontal plane reaching centre-out (d = 2, n = 2).

    The classical motor-adaptation benchmark: a human-arm-like manipulandum
    (Shadmehr & Mussa-Ivaldi 1994), 8 targets 10 cm from the centre, 0.5 s
    minimum-jerk movements with 0.25 s holds (a 12 s cycle), typically with a
    curl field switching on mid-episode. ``robot_model`` is the closed-form
    2-link dynamics; gravity loads no joint. Torque limit 10 N·m per joint.
    See :class:`_ReachEnv` and :class:`~neurocontrol.envs.arm_env.ArmEnv`.
    """

    workspace_radius = 0.8
    default_max_joint_velocity = 20.0
    default_success_radius = 0.01
    camera = ((0.0, 0.3, 0.0), 1.1, 0.0, -89.9)

    def _build_robot(self) -> None:
        self.robot = PlanarArm(self.sim)
        self.robot_model = PlanarArmModel()


class ArmReachEnv(_ReachEnv):
    """Franka Panda (7 joints) reaching centre-out in 3-D (d = 3, n = 7).

    8 targets on the corners of a cube 10 cm (centre to corner) around the
    hand's home position. ``robot_model`` is PyBullet's dynamics of the
    nominal URDF on a private client. Gravity acts; use
    ``gravity_compensation=True`` or a controller that compensates it.
    See :class:`_ReachEnv` and :class:`~neurocontrol.envs.arm_env.ArmEnv`.
    """

    workspace_radius = 1.5
    default_max_joint_velocity = 10.0
    default_success_radius = 0.02
    camera = ((0.3, 0.0, 0.4), 1.3, 50.0, -25.0)

    def _build_robot(self) -> None:
        self.robot = Panda(self.sim)
        self.robot_model = PandaModel()
