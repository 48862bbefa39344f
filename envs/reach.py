"""Reaching environments: PlanarReach (2-link arm, horizontal plane) and ArmReach (Panda, 3-D).

Both run the centre-out protocol of :class:`~neurocontrol.envs.tasks.TargetSequence`:
the hand starts at the centre (the hand position at ``q_home``), moves to each
target along a minimum-jerk reference and holds it, then returns. The
``goal`` observation carries the reference position and velocity at this
step and the current end point; ``info["tracking_error"]`` (hand to reference)
is what adaptation is judged on.

The target set can change mid-episode (``env.unwrapped.set_targets(spec)``)
or per episode (``reset(options={"targets": spec})``); see
:meth:`_ReachEnv.set_targets` for the spec.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from neurocontrol.envs.arm_env import ArmEnv
from neurocontrol.envs.robots.panda import Panda, PandaModel
from neurocontrol.envs.robots.planar_arm import PlanarArm, PlanarArmModel
from neurocontrol.envs.tasks import TargetSequence, centre_out_targets
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import (
    require_finite,
    require_finite_array,
    require_int,
    require_positive,
)

__all__ = ["REACH_DEFAULTS", "TARGET_KEYS", "ArmReachEnv", "PlanarReachEnv"]

#: the keys of a target-set mapping (see :meth:`_ReachEnv.resolve_targets`)
TARGET_KEYS = ("n_targets", "radius", "rotation", "offset")
#: the reach envs' defaults of what sets a cycle's length (the experiments read them too)
REACH_DEFAULTS: dict[str, Any] = {
    "n_targets": 8,
    "target_radius": 0.1,
    "movement_time": 0.5,
    "hold_time": 0.25,
    "return_to_centre": True,
}


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

    reset_options = ("perturbation", "targets")
    #: (shoulder point, nearest, farthest distance in m) where a target or centre may lie:
    #: inside the arm's reach with a margin off its singular edges
    reach_shell: tuple[tuple[float, ...], float, float] = ((0.0, 0.0), 0.0, math.inf)

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
        self._home = centre
        self._default_targets = targets
        self._episode_set: tuple[np.ndarray, np.ndarray] | None = None
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

    def set_targets(self, spec: Any) -> None:
        """Replace the target set mid-episode, from the next centre-out reach on.

        The new set takes effect where the hand's reference rests at the
        centre: at the start of the next centre-out reach (target to target:
        the next movement), which also starts a new cycle, so every whole
        cycle visits one set; the reference stays continuous. Nothing is added
        to the per-step work. ``spec`` is as for :meth:`resolve_targets`; it
        lasts until the next reset.

        Raises
        ------
        ConfigError
            If ``spec`` is malformed or a target falls outside the workspace.
        """
        self._require_open("set_targets")
        self.task.set_targets(*self.resolve_targets(spec))

    def resolve_targets(self, spec: Any) -> tuple[np.ndarray, np.ndarray]:
        """Absolute targets (k, d) and centre (d,) of a target spec, validated.

        ``spec`` is None or ``{}`` (the set the env was made with), an array
        (k, d) of absolute positions (m) around the env's centre, or a mapping
        of changes to the env's set:

        - ``n_targets``, ``radius`` (m): evenly spread targets around the
          centre (:func:`~neurocontrol.envs.tasks.centre_out_targets`); they
          default to the size of the env's set and its ``target_radius``;
        - ``rotation`` (degrees): the set turned about the centre (about the
          vertical axis for a 3-D arm);
        - ``offset`` (m, d values): the centre moved by this much, and the set
          with it - reaches out of another part of the workspace (the reference
          first moves to the new centre, in a cycle of its own).

        Raises
        ------
        ConfigError
            If ``spec`` is neither, has unknown keys or bad values, or a target
            or the centre lies outside the arm's reach (:attr:`reach_shell`).
        """
        dim = self._home.shape[0]
        centre = self._home
        if spec is None:
            return self._default_targets, centre
        if isinstance(spec, Mapping):
            unknown = sorted(set(spec) - set(TARGET_KEYS), key=repr)
            if unknown:
                raise ConfigError(
                    f"targets: unknown key {unknown[0]!r}; accepted: n_targets (int >= 1), "
                    f"radius (m), rotation (degrees), offset (m, {dim} values)"
                )
            if "n_targets" in spec or "radius" in spec or self._targets is None:
                count = spec.get("n_targets", len(self._default_targets))
                count = require_int("targets.n_targets", count, 1)
                radius = require_positive("targets.radius", spec.get("radius", self._target_radius))
                targets = centre_out_targets(centre, radius, count)
            else:
                targets = np.array(self._default_targets)
            angle = math.radians(require_finite("targets.rotation", spec.get("rotation", 0.0)))
            if angle:
                c, s = math.cos(angle), math.sin(angle)
                relative = targets - centre
                x, y = relative[:, 0].copy(), relative[:, 1].copy()
                relative[:, 0], relative[:, 1] = c * x - s * y, s * x + c * y
                targets = centre + relative
            if "offset" in spec:
                offset = _vector("targets.offset", spec["offset"], dim)
                centre, targets = centre + offset, targets + offset
        else:
            targets = _positions(spec, dim)
        self._check_reach("targets: the centre", centre[None, :])
        self._check_reach("targets", targets)
        return targets, centre

    def _check_reach(self, name: str, points: np.ndarray) -> None:
        origin, nearest, farthest = self.reach_shell
        distance = np.linalg.norm(points - np.asarray(origin), axis=1)
        outside = (distance < nearest) | (distance > farthest)
        outside |= np.abs(points).max(axis=1) > self.workspace_radius
        if outside.any():
            raise ConfigError(
                f"{name} {points[outside].round(4).tolist()} lie outside the workspace; "
                f"accepted: {nearest:g} to {farthest:g} m from the shoulder at {list(origin)} "
                f"and within +-{self.workspace_radius:g} m on every axis"
            )

    def _task_options(self, options: Mapping[str, Any]) -> None:
        spec = options.get("targets")
        self._episode_set = None if spec is None else self.resolve_targets(spec)

    def _task_reset(self) -> None:
        if self._episode_set is None:
            self.task.reset(self.np_random)
        else:
            self.task.reset(self.np_random, *self._episode_set)


def _vector(name: str, value: Any, size: int) -> np.ndarray:
    """``value`` as a finite vector of ``size`` numbers (ConfigError naming ``name``)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != (size,) or not np.isfinite(array).all():
        raise ConfigError(f"{name} must be {size} finite numbers (m), got {value!r}")
    return array


def _positions(value: Any, dim: int) -> np.ndarray:
    """``value`` as finite absolute positions (k, dim), k >= 1 (ConfigError otherwise)."""
    accepted = (
        f"accepted: an array (k, {dim}) of positions (m), or a mapping with keys "
        f"{', '.join(TARGET_KEYS)}"
    )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"targets must be numeric, got {value!r}; {accepted}") from None
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] < 1:
        raise ConfigError(f"targets must have shape (k, {dim}), got {array.shape}; {accepted}")
    if not np.isfinite(array).all():
        raise ConfigError(f"targets must be finite (no NaN or inf), got {array.tolist()}")
    return array


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
    # links 0.33 + 0.34 m: the hand reaches 0.01-0.67 m from the shoulder
    reach_shell = ((0.0, 0.0), 0.05, 0.65)
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
    # the Panda reaches about 0.855 m from its shoulder joint (0.333 m above the base)
    reach_shell = ((0.0, 0.0, 0.333), 0.15, 0.8)
    default_max_joint_velocity = 10.0
    default_success_radius = 0.02
    camera = ((0.3, 0.0, 0.4), 1.3, 50.0, -25.0)

    def _build_robot(self) -> None:
        self.robot = Panda(self.sim)
        self.robot_model = PandaModel()
