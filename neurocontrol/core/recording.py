"""Record spikes of a simulator over a window of steps, for rasters.

The recorder preallocates its buffers and copies only the indices of the
neurons that fired; outside its window a call costs one comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocontrol.utils.validation import require_int

__all__ = ["SpikeRecorder"]


class SpikeRecorder:
    """Collect ``(step, neuron)`` pairs of the first ``max_neurons`` neurons.

    Call it once per control step after the simulator stepped (it has the
    loop's callback signature); it records steps ``start .. start + length - 1``.

    Parameters
    ----------
    simulator
        Anything with a boolean ``spikes`` vector updated in place.
    start, length
        Window, in control steps from the start of the episode.
    max_neurons
        Record neurons ``0 .. max_neurons - 1`` only (a legible raster).
    """

    def __init__(self, simulator: Any, start: int, length: int, max_neurons: int = 100) -> None:
        self.simulator = simulator
        self.start = require_int("start", start, minimum=0)
        self.length = require_int("length", length, minimum=1)
        self.max_neurons = require_int("max_neurons", max_neurons, minimum=1)
        capacity = self.length * self.max_neurons
        self._steps = np.empty(capacity, dtype=np.int64)
        self._neurons = np.empty(capacity, dtype=np.int64)
        self._count = 0

    def __call__(self, step: int, *_: Any) -> None:
        if not self.start <= step < self.start + self.length:
            return
        fired = np.flatnonzero(self.simulator.spikes[: self.max_neurons])
        end = self._count + fired.size
        self._steps[self._count : end] = step
        self._neurons[self._count : end] = fired
        self._count = end

    def raster(self) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, neuron_ids)`` of the recorded spikes."""
        return self._steps[: self._count].copy(), self._neurons[: self._count].copy()
