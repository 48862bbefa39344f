"""PES on a decoder matrix: the learning step of the adaptive controllers.

Standalone (called once per control step from an agent, outside the network
step), so it is compiled and cached on its own.
"""

from __future__ import annotations

from numba import njit

__all__ = ["pes_decoder_update"]


@njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
def pes_decoder_update(decoders, activities, error, rate_dt):  # type: ignore[no-untyped-def]
    """``decoders[i, j] -= rate_dt * activities[i] * error[j]`` in place; returns nothing.

    ``decoders`` (n_neurons, n_outputs), any memory order; ``activities``
    (n_neurons,) filtered rates in Hz; ``error`` (n_outputs,); ``rate_dt`` the
    learning rate times the step (s). Neurons with zero activity are skipped
    (most are, in a sparse code), so the cost follows activity.
    """
    n_neurons, n_outputs = decoders.shape
    for j in range(n_outputs):
        scaled = rate_dt * error[j]
        if scaled == 0.0:
            continue
        for i in range(n_neurons):
            a = activities[i]
            if a != 0.0:
                decoders[i, j] -= scaled * a
