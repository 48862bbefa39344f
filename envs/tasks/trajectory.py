"""Reference trajectories (minimum jerk) and the :class:`Task` protocol an env reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

__all__ = ["HOLD", "MOVE", "Task", "minimum_jerk"]


class Task(Protocol):
    """What an env reads from its task after each :meth:`update`.

    ``ref_pos``/``ref_vel`` are the reference at this step, ``target`` the
    current end point (all lists of d floats); ``phase``, ``segment``,
    ``target_id`` and ``cycle`` let an evaluator cut per-movement statistics.
    """

    ref_pos: list[float]
    ref_vel: list[float]
    target: list[float]
    phase: int
    segment: int
    target_id: int
    cycle: int

    def reset(self, rng: np.random.Generator) -> None:
        """Start a new episode; random choices come from ``rng``."""
        ...

    def update(self, time: float) -> None:
        """Set the reference for episode time ``time`` (s)."""
        ...


#: phase codes in ``info["phase"]``
MOVE, HOLD = 0, 1


def minimum_jerk(
    start: Sequence[float], delta: Sequence[float], duration: float, elapsed: float
) -> tuple[list[float], list[float]]:
    """Position and velocity of a minimum-jerk movement (Flash & Hogan 1985).

    .. math::

        x(t) = x_0 + \\Delta\\,(10 s^3 - 15 s^4 + 6 s^5),\\quad s = t / T

    Parameters
    ----------
    start, delta : sequence of float
        Start point and displacement ``x_1 - x_0``.
    duration : float
        Movement time ``T`` (s).
    elapsed : float
        Time since the movement began, clipped to ``[0, T]``.
    """
    s = min(max(elapsed / duration, 0.0), 1.0)
    s2 = s * s
    shape = s2 * s * (10.0 + s * (-15.0 + 6.0 * s))
    speed = s2 * (30.0 + s * (-60.0 + 30.0 * s)) / duration
    # called every step (press task): a plain zip, both are d long
    position = [x + d * shape for x, d in zip(start, delta)]  # noqa: B905 (both d long)
    return position, [d * speed for d in delta]
