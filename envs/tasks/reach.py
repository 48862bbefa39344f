"""The centre-out reaching protocol: targets around a centre, out and back."""

from __future__ import annotations

from itertools import repeat
from operator import add, mul

import numpy as np

from neurocontrol.envs.tasks.trajectory import HOLD, MOVE
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import (
    require_finite_array,
    require_in,
    require_nonnegative,
    require_positive,
)

__all__ = ["TargetSequence", "centre_out_targets"]


def centre_out_targets(centre: np.ndarray, radius: float, count: int) -> np.ndarray:
    """``count`` targets around ``centre`` at distance ``radius``.

    In 2-D they are evenly spaced on a circle starting at +x; in 3-D the
    default 8 are the corners of a cube (any other count: a Fibonacci sphere).
    """
    centre = np.asarray(centre, dtype=np.float64)
    if centre.shape == (2,):
        angles = 2.0 * np.pi * np.arange(count) / count
        return centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if count == 8:
        corners = np.array([[x, y, z] for x in (1, -1) for y in (1, -1) for z in (1, -1)], float)
        return centre + radius * corners / np.sqrt(3.0)
    index = np.arange(count) + 0.5
    polar = np.arccos(1.0 - 2.0 * index / count)
    azimuth = np.pi * (1.0 + 5.0**0.5) * index
    directions = np.stack(
        [np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1
    )
    return centre + radius * directions


class TargetSequence:
    """An endless centre-out protocol with a minimum-jerk reference.

    Each cycle visits every target once (in a fresh random order per cycle,
    or in index order), moving from the centre to the target and, with
    ``return_to_centre``, back again. Each movement takes ``movement_time``
    and is followed by ``hold_time`` at its end point.

    Parameters
    ----------
    centre : array (d,)
        Start point of every episode and the centre of the targets.
    targets : array (k, d)
        Peripheral targets, absolute positions (m).
    movement_time, hold_time : float
        Seconds per movement and per hold.
    order : {"random", "sequential"}
        Target order within a cycle; random orders come from the env's ``np_random``.
    return_to_centre : bool
        Go back to the centre after each target (centre-out-and-back).
    step_time : float
        Length (s) of the env step that each :meth:`update` closes (0: updates
        are instants). The counters of an update at ``time`` describe the step
        ``(time - step_time, time]``: they belong to the segment holding that
        step's midpoint, so the update that ends a segment still reports it
        (a 12 s cycle at 1 ms holds exactly 12,000 updates), and no rounding
        of ``step * dt`` can move a step across a boundary half a step away.

    The target set can be replaced while the protocol runs
    (:meth:`set_targets`): the new set takes effect at the start of the next
    centre-out reach, where the reference rests at the centre (target to
    target: at the next movement), and a new cycle begins there, so every
    whole cycle visits one set. The reference stays continuous: every
    movement starts where the last one ended.

    Attributes
    ----------
    ref_pos, ref_vel, target : list of float
        Reference position and velocity and the current end point, after :meth:`update`.
    segment, target_id, phase, cycle : int
        Movement counter from 0; index of the current end point in ``targets``
        (-1 for the centre); 0 moving, 1 holding; cycle counter from 0.
    """

    def __init__(
        self,
        centre: np.ndarray,
        targets: np.ndarray,
        movement_time: float,
        hold_time: float,
        order: str = "random",
        return_to_centre: bool = True,
        step_time: float = 0.0,
    ) -> None:
        self.centre = require_finite_array("centre", centre)
        dim = self.centre.shape[0]
        targets = require_finite_array("targets", targets)
        if targets.ndim != 2 or targets.shape[1] != dim or targets.shape[0] < 1:
            raise ConfigError(
                f"targets must be an array of shape (k, {dim}) with k >= 1, got {targets.shape}"
            )
        self.targets = targets
        self.movement_time = require_positive("movement_time", movement_time)
        self.hold_time = require_nonnegative("hold_time", hold_time)
        self.order = require_in("order", order, ("random", "sequential"))
        self.return_to_centre = bool(return_to_centre)
        self.segment_time = self.movement_time + self.hold_time
        self._half_step = 0.5 * require_nonnegative("step_time", step_time)
        self._rng: np.random.Generator | None = None
        self._plan: list[int] = []
        self.ref_pos = self.centre.tolist()
        self._zeros = [0.0] * dim
        self.ref_vel = self._zeros
        self.target = self.centre.tolist()
        self.segment = self.target_id = self.phase = self.cycle = 0
        #: (targets, centre) waiting for the next reach from the centre, or None
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        #: the set and centre every episode starts from (the hand's start point)
        self._initial = (self.targets, self.centre)

    def set_targets(self, targets: np.ndarray, centre: np.ndarray | None = None) -> None:
        """Replace the target set (and the centre) from the next reach out of the centre on.

        ``targets`` (k, d) are absolute positions; ``centre`` (d,) defaults to
        the current one. Where the centre moves, the reference first goes to
        the new centre in a one-movement cycle of its own (``target_id`` -1),
        then the new set's cycles begin. Takes effect in :meth:`update`, at a
        movement boundary: nothing is added to the per-step work. A second
        call before it took effect replaces the first.
        """
        targets = require_finite_array("targets", targets)
        dim = self.centre.shape[0]
        if targets.ndim != 2 or targets.shape[1] != dim or targets.shape[0] < 1:
            raise ConfigError(
                f"targets must be an array of shape (k, {dim}) with k >= 1, got {targets.shape}"
            )
        centre = self.centre if centre is None else require_finite_array("centre", centre)
        if centre.shape != (dim,):
            raise ConfigError(f"centre must have shape ({dim},), got {centre.shape}")
        self._pending = (targets, centre)

    def reset(
        self,
        rng: np.random.Generator,
        targets: np.ndarray | None = None,
        centre: np.ndarray | None = None,
    ) -> None:
        """Start again at the initial centre; random orders are drawn from ``rng``.

        The episode runs the initial target set, or ``targets`` (and
        ``centre``) from its first movement on, as :meth:`set_targets` would
        (a moved centre is reached in a first cycle of one movement). A set
        still waiting from the last episode is dropped.
        """
        self._rng = rng
        self._pending = None
        self.targets, self.centre = self._initial
        if targets is not None:
            self.set_targets(targets, centre)
        self.cycle = -1
        self._plan = []
        self.segment = -1
        self.target_id = -1
        self._end = self.centre.tolist()
        self._advance()
        self.update(0.0)

    def _cycle_plan(self) -> list[int]:
        count = len(self.targets)
        if self.order == "random" and self._rng is not None:
            order = [int(i) for i in self._rng.permutation(count)]
        else:
            order = list(range(count))
        if not self.return_to_centre:
            return order
        return [i for target in order for i in (target, -1)]

    def _advance(self) -> None:
        self.segment += 1
        if self._pending is not None and (self.target_id < 0 or not self.return_to_centre):
            self._switch_targets()
        if not self._plan:
            self.cycle += 1
            self._plan = self._cycle_plan()
        start = self._end
        self.target_id = self._plan.pop(0)
        self._end = (self.centre if self.target_id < 0 else self.targets[self.target_id]).tolist()
        self._start = start
        self._delta = [b - a for a, b in zip(start, self._end, strict=True)]
        self._segment_start = self.segment * self.segment_time
        self._segment_end = self._segment_start + self.segment_time
        # update() compares the time at a step's end with these (a step's midpoint with
        # the boundaries, without a subtraction per step)
        self._switch_time = self._segment_end + self._half_step
        self._move_until = self._segment_start + self.movement_time + self._half_step
        self.target = self._end

    def _switch_targets(self) -> None:
        """Take the waiting target set: a new cycle starts with this movement."""
        assert self._pending is not None
        targets, centre = self._pending
        self._pending = None
        self.targets = targets
        moved = not np.array_equal(centre, self.centre)
        self.centre = centre
        if moved and self.return_to_centre:
            # the way to the new centre is a cycle of its own (not a reach of either set)
            self.cycle += 1
            self._plan = [-1]
        else:
            self._plan = []  # _advance draws the new set's first cycle

    def update(self, time: float) -> None:
        """Set the reference for episode time ``time`` (s); time only moves forward.

        The reference is the one at ``time``; the counters (segment, phase,
        cycle) are those of the step ending there (see ``step_time``).
        """
        while time >= self._switch_time:
            self._advance()
        elapsed = time - self._segment_start
        duration = self.movement_time
        if time < self._move_until:
            # minimum_jerk() inlined: this runs every physics step
            self.phase = MOVE
            # the step that ends a movement may end just past it (a step_time that does
            # not divide the movement time): the reference stays at its end point
            s = elapsed / duration if elapsed > 0.0 else 0.0
            if s > 1.0:
                s = 1.0
            s2 = s * s
            shape = s2 * s * (10.0 + s * (-15.0 + 6.0 * s))
            speed = s2 * (30.0 + s * (-60.0 + 30.0 * s)) / duration
            start, delta = self._start, self._delta
            if len(delta) == 2:  # unrolled for the planar and spatial arms: no per-axis loop
                (x, y), (dx, dy) = start, delta
                self.ref_pos = [x + dx * shape, y + dy * shape]
                self.ref_vel = [dx * speed, dy * speed]
            elif len(delta) == 3:
                (x, y, z), (dx, dy, dz) = start, delta
                self.ref_pos = [x + dx * shape, y + dy * shape, z + dz * shape]
                self.ref_vel = [dx * speed, dy * speed, dz * speed]
            else:
                self.ref_pos = list(map(add, start, map(mul, delta, repeat(shape))))
                self.ref_vel = list(map(mul, delta, repeat(speed)))
        else:
            self.phase = HOLD
            self.ref_pos = self._end
            self.ref_vel = self._zeros
