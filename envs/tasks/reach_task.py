"""The centre-out reaching task: targets around the hand's home, a minimum-jerk reference.

:class:`ReachTask` runs the protocol of
:class:`~neurocontrol.envs.tasks.TargetSequence`: the hand starts at the
centre (the hand position at ``q_home``), moves to each target along a
minimum-jerk reference and holds it, then returns. Its only sensor is the
hand; ``is_success`` is the hand within the env's ``success_radius`` of the
current end point. The target set can change mid-episode
(:meth:`ReachTask.set_targets`) or per episode (``reset(options={"targets":
spec})``); see :meth:`ReachTask.resolve_targets` for the spec.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from neurocontrol.envs.tasks.base import ArmTask
from neurocontrol.envs.tasks.reach import TargetSequence, centre_out_targets
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import (
    require_finite,
    require_finite_array,
    require_int,
    require_positive,
)

if TYPE_CHECKING:
    from neurocontrol.envs.arm_env import ArmEnv

__all__ = ["REACH_DEFAULTS", "TARGET_KEYS", "ReachTask"]

#: the keys of a target-set mapping (see :meth:`ReachTask.resolve_targets`)
TARGET_KEYS = ("n_targets", "radius", "rotation", "offset")
#: the reach envs' defaults of what sets a cycle's length (the experiments read them too)
REACH_DEFAULTS: dict[str, Any] = {
    "n_targets": 8,
    "target_radius": 0.1,
    "movement_time": 0.5,
    "hold_time": 0.25,
    "return_to_centre": True,
}


class ReachTask(ArmTask):
    """Centre-out reaching to targets around the hand's home position.

    Info entries: ``is_success``, ``target_index`` (movement counter),
    ``target_id`` (-1 = centre), ``phase`` (0 move, 1 hold) and ``cycle``;
    no reward term of its own (the env's distance, effort and tracking terms).

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
        Target order per cycle (random orders come from the env's ``np_random``).
    return_to_centre : bool
        Centre-out-and-back (True) or target to target (False).
    """

    reset_options = ("targets",)
    info_keys = ("is_success", "target_index", "target_id", "phase", "cycle")
    reference: TargetSequence

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
    ) -> None:
        self._targets = targets
        self._n_targets = require_int("n_targets", n_targets, 1)
        self._target_radius = require_positive("target_radius", target_radius)
        self._movement_time = movement_time
        self._hold_time = hold_time
        self._order = order
        self._return_to_centre = return_to_centre
        self._episode_set: tuple[np.ndarray, np.ndarray] | None = None

    def build(self, env: ArmEnv) -> None:
        """The reference around the hand's home; targets checked against the workspace."""
        centre = np.asarray(env.robot_model.hand_position(env.robot_model.q_home))
        self.workspace_radius = env.workspace_radius
        self.reach_shell = env.reach_shell
        self.success_radius = env.success_radius
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
        self.reference = TargetSequence(
            centre,
            targets,
            movement_time=self._movement_time,
            hold_time=self._hold_time,
            order=self._order,
            return_to_centre=self._return_to_centre,
            step_time=env.dt * env.control_decimation,
        )

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
        self.reference.set_targets(*self.resolve_targets(spec))

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

    def check_options(self, options: Mapping[str, Any]) -> None:
        spec = options.get("targets")
        self._episode_set = None if spec is None else self.resolve_targets(spec)

    def reset(self, rng: np.random.Generator) -> None:
        if self._episode_set is None:
            self.reference.reset(rng)
        else:
            self.reference.reset(rng, *self._episode_set)

    def terms(self, info: dict[str, Any], distance: float) -> float:
        reference = self.reference
        info["is_success"] = distance <= self.success_radius
        info["target_index"] = reference.segment
        info["target_id"] = reference.target_id
        info["phase"] = reference.phase
        info["cycle"] = reference.cycle
        return 0.0


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
