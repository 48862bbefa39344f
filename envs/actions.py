"""Actions of an arm env: the control period, and an action in [-1, 1] as joint torques."""

from __future__ import annotations

import math
from operator import mul
from typing import Any

import numpy as np

from neurocontrol.envs.robots.base import RobotModel, TorqueArm
from neurocontrol.errors import ActionError, ConfigError
from neurocontrol.utils.validation import require_int, require_positive

__all__ = ["ActionScaling", "control_decimation"]

_FLOAT32 = np.dtype(np.float32)  # a dtype object: identity tells a float32 action cheaply


def control_decimation(control_decimation: Any, control_dt: Any, dt: float) -> int:
    """Physics steps per env step, from ``control_decimation`` or ``control_dt`` (s).

    Raises
    ------
    ConfigError
        If both are given, ``control_dt`` is not an integer multiple of ``dt``,
        or the decimation is not an integer >= 1.
    """
    if control_dt is not None:
        if control_decimation != 1:
            raise ConfigError(
                f"give control_decimation ({control_decimation!r}) or control_dt "
                f"({control_dt!r}), not both"
            )
        control_dt = require_positive("control_dt", control_dt)
        ratio = control_dt / dt
        if round(ratio) < 1 or abs(ratio - round(ratio)) > 1e-9 * ratio:
            raise ConfigError(
                f"control_dt = {control_dt!r} s is not an integer multiple of "
                f"dt = {dt!r} s (ratio {ratio:g}); accepted: k * dt for an integer k >= 1"
            )
        return round(ratio)
    if isinstance(control_decimation, (float, np.floating)):
        if not (math.isfinite(control_decimation) and float(control_decimation).is_integer()):
            raise ConfigError(
                "control_decimation must be an integer number of physics steps >= 1 "
                f"(a non-integer ratio is not truncated), got {control_decimation!r}"
            )
        control_decimation = int(control_decimation)
    return require_int("control_decimation", control_decimation, 1)


class ActionScaling:
    """Scales actions in [-1, 1] to joint torques: clipped, checked, optionally plus gravity.

    Parameters
    ----------
    model : RobotModel
        The nominal model: its ``torque_limit`` (an action of 1), and ``gravity``.
    robot : TorqueArm, optional
        With a robot, the nominal ``g(q)`` at its current ``q`` is added to every
        command and the sum clipped to the limit (gravity compensation).
    """

    def __init__(self, model: RobotModel, robot: TorqueArm | None = None) -> None:
        self._model = model
        self._robot = robot
        self._limits = [float(v) for v in model.torque_limit]
        self._shape = (len(self._limits),)

    def torques(self, action: Any) -> list[float]:
        """Validate and scale ``action`` to commanded joint torques (N·m)."""
        if (
            type(action) is np.ndarray
            and action.shape == self._shape
            and ((dtype := action.dtype) is _FLOAT32 or dtype.kind in "fiu")
        ):
            values = action.tolist()
        else:
            values = self._action_values(action)
        # the usual case: every value in [-1, 1] (NaN and inf fail the comparison too);
        # everything else is clipped or rejected apart
        for value in values:
            if not -1.0 <= value <= 1.0:
                tau = self._clipped_torques(values)
                break
        else:
            tau = list(map(mul, values, self._limits))
        if self._robot is not None:
            gravity = self._model.gravity(self._robot.q).tolist()
            tau = [
                min(max(t + g, -limit), limit)
                for t, g, limit in zip(tau, gravity, self._limits)  # noqa: B905 (all n long)
            ]
        return tau

    def _action_values(self, action: Any) -> list[float]:
        """The action as a list of n floats; ActionError for anything but a real (n,) array."""
        try:
            array = np.asarray(action)
        except (TypeError, ValueError) as exc:
            raise ActionError(f"action must be numeric array-like, got {action!r}") from exc
        if array.shape != self._shape or array.dtype.kind not in "fiu":
            raise ActionError(
                f"action must be a real array of shape ({self._shape[0]},) in [-1, 1], "
                f"got shape {array.shape} dtype {array.dtype}"
            )
        values: list[float] = array.tolist()
        return values

    def _clipped_torques(self, values: list[float]) -> list[float]:
        """Torques of an action with entries outside [-1, 1] (clipped); ActionError if NaN/inf."""
        if not all(map(math.isfinite, values)):
            raise ActionError(
                f"action must be finite (no NaN or inf), got {values}; accepted: real values "
                "in [-1, 1] (larger magnitudes are clipped)"
            )
        return [
            limit * (1.0 if a > 1.0 else -1.0 if a < -1.0 else a)
            for a, limit in zip(values, self._limits, strict=True)
        ]
