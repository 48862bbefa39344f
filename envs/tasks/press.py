"""The press protocol: approach above a point on a table, descend, press."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurocontrol.envs.tasks.trajectory import minimum_jerk
from neurocontrol.utils.validation import require_nonnegative

__all__ = ["APPROACH", "DESCEND", "PRESS", "PressTask", "SlidingPressTask"]

APPROACH, DESCEND, PRESS = 0, 1, 2


class PressTask:
    """Reference for approach, descent and press (see the module docstring).

    Attributes
    ----------
    ref_pos, ref_vel, target : list of float
        Reference position/velocity and the contact point (the hand point's
        position when the pads touch the press point), after :meth:`update`.
    phase : int
        0 approach, 1 descend, 2 press: the phase of the env step ending at the
        last :meth:`update` (``step_time`` long; see
        :class:`~neurocontrol.envs.tasks.TargetSequence`), so the step that
        ends the descent is not counted as pressing.
    """

    def __init__(
        self,
        start: np.ndarray,
        press_point: np.ndarray,
        press_point_range: float,
        surface_height: float,
        hand_offset: float,
        approach_height: float,
        approach_time: float,
        descend_time: float,
        step_time: float = 0.0,
    ) -> None:
        self.start = start.tolist()
        self.press_point = press_point
        self.press_point_range = press_point_range
        self.surface_height = surface_height
        self.hand_offset = hand_offset
        self.approach_height = approach_height
        self.approach_time = approach_time
        self.descend_time = descend_time
        self._half_step = 0.5 * require_nonnegative("step_time", step_time)
        self.segment = self.target_id = self.cycle = 0
        self.phase = APPROACH
        self.target = self.ref_pos = list(self.start)
        self.ref_vel = [0.0, 0.0, 0.0]

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the press point (uniform in a square of half-width ``press_point_range``)."""
        offset = rng.uniform(-self.press_point_range, self.press_point_range, size=2)
        x, y = (self.press_point + offset).tolist()
        self.target = [x, y, self.surface_height + self.hand_offset]
        self._above = [x, y, self.target[2] + self.approach_height]
        self._approach = [b - a for a, b in zip(self.start, self._above, strict=True)]
        self._descent = [0.0, 0.0, -self.approach_height]
        self.update(0.0)

    def update(self, time: float) -> None:
        """Set the reference for episode time ``time`` (s), the phase of the step ending there."""
        approach_end = self.approach_time
        press_start = approach_end + self.descend_time
        # the phase is the step's (its midpoint's), the reference the one at ``time``
        middle = time - self._half_step
        self.phase = (
            APPROACH if middle < approach_end else DESCEND if middle < press_start else PRESS
        )
        if time < approach_end:
            self.ref_pos, self.ref_vel = minimum_jerk(
                self.start, self._approach, approach_end, time
            )
        elif time < press_start:
            self.ref_pos, self.ref_vel = minimum_jerk(
                self._above, self._descent, self.descend_time, time - approach_end
            )
        else:
            self.ref_pos = self.target
            self.ref_vel = [0.0, 0.0, 0.0]


class SlidingPressTask(PressTask):
    r"""The press protocol, with the press point sliding along the table's y axis while pressing.

    From the start of the press phase (time :math:`\tau` since then) the
    reference, and the contact point it presses on, move by

    .. math::

        \Delta y = \frac{A}{2}\left(1 - \cos\frac{2\pi\tau}{P}\right)

    out to :math:`A` and back every period :math:`P`, starting with zero
    velocity (the acceleration steps to :math:`A\omega^2/2`, 0.05 m/s^2 for
    4 cm in 4 s) and turning smoothly: a wipe.
    Sliding, the pads drag with the Coulomb force :math:`\mu F_n` against
    the motion: friction acts on a hand that moves, and on nothing else.
    """

    def __init__(self, *args: Any, slide_amplitude: float, slide_period: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.slide_amplitude = slide_amplitude
        self.slide_period = slide_period
        self._press_start = self.approach_time + self.descend_time
        self._centre = list(self.target)

    def reset(self, rng: np.random.Generator) -> None:
        super().reset(rng)
        self._centre = list(self.target)

    def update(self, time: float) -> None:
        super().update(time)
        if self.phase != PRESS:
            return
        x, y, z = self._centre
        omega = 2.0 * math.pi / self.slide_period
        phase = omega * (time - self._press_start)
        half = 0.5 * self.slide_amplitude
        self.target = self.ref_pos = [x, y + half * (1.0 - math.cos(phase)), z]
        self.ref_vel = [0.0, half * omega * math.sin(phase), 0.0]
