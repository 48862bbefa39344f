"""Encoder kernels: a network's signal inputs into currents or spikes, at the start of a step.

The arithmetic of :class:`~neurocontrol.core.model.encoders.CurrentEncoder` and
:class:`~neurocontrol.core.model.encoders.ReceptiveFieldEncoder` (equations in
their docstrings), shared with the standalone encoders of
:mod:`neurocontrol.core.encoding` through the helpers of
:mod:`neurocontrol.core.kernels.coding`. The generated step first checks the
signals (nothing changes when one is not finite), then calls each encoder
as ``kernel(populations, neurons, rng, operations, signals, state)``; each
adds what it computed to the step's operation counts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.core.kernels.coding import MODE_BERNOULLI, gaussian_fields, nef_currents
from neurocontrol.core.kernels.coding import send_on_delta_levels as _send_on_delta_levels
from neurocontrol.core.kernels.step.flags import KERNEL_JIT
from neurocontrol.core.kernels.step.neurons import record_spikes
from neurocontrol.core.kernels.step.rng import next_uniform
from neurocontrol.core.kernels.step.state import (
    OPS_MACS,
    OPS_SYNOPS,
    POP_START,
    POP_STOP,
    Neurons,
    Populations,
)

__all__ = [
    "ENC_MAX_EVENTS",
    "ENC_POPULATION",
    "ENC_SEND_ON_DELTA",
    "ENC_SIGNAL_START",
    "CurrentEncoderState",
    "ReceptiveFieldState",
    "encode_currents",
    "encode_receptive_fields",
]

# Entries of the encoders' ``params`` (int64).
ENC_SIGNAL_START = 0  # first entry of the encoder's signal input in the signal vector
ENC_POPULATION = 1  # row of the target node in the population table
ENC_SEND_ON_DELTA = 2  # CurrentEncoder: 1 send-on-delta, 0 currents every step
ENC_MAX_EVENTS = 3  # CurrentEncoder: most events per dimension and step


class CurrentEncoderState(NamedTuple):
    """State of one :class:`~neurocontrol.core.model.encoders.CurrentEncoder`."""

    weights: np.ndarray  # f8 [dims, n_post]: W^T, or per send-on-delta level W^T * delta r
    offset: np.ndarray  # f8 [n_post]: the currents at x = 0, or at the origin (send-on-delta)
    origin: np.ndarray  # f8 [dims]: the level reference starts at (the centre)
    inv_delta: np.ndarray  # f8 [dims]: 1 / (delta radius)
    level: np.ndarray  # i8 [dims]: levels crossed since the origin
    events: np.ndarray  # u1 [2 dims]: ON/OFF events of the last step
    started: np.ndarray  # u1 [1]: 0 until the first step of an episode set the currents
    params: np.ndarray  # i8 [4]: ENC_*


class ReceptiveFieldState(NamedTuple):
    """State of one :class:`~neurocontrol.core.model.encoders.ReceptiveFieldEncoder`."""

    low: np.ndarray  # f8 [dims]
    high: np.ndarray  # f8 [dims]
    centers: np.ndarray  # f8 [n]
    neg_half_inv_var: np.ndarray  # f8 [dims]: -1 / (2 sigma^2)
    amplitude: np.ndarray  # f8 [1]: max_rate * dt
    uniform: np.ndarray  # f8 [n]: scratch, this step's draws
    activation: np.ndarray  # f8 [n]: spike probabilities of the last step
    params: np.ndarray  # i8 [2]: ENC_SIGNAL_START, ENC_POPULATION


@njit(**KERNEL_JIT)
def encode_currents(
    populations: Populations,
    neurons: Neurons,
    rng: np.ndarray,
    operations: np.ndarray,
    signals: np.ndarray,
    state: CurrentEncoderState,
) -> None:
    """Set the input currents of the target population from this step's signal.

    Every step: ``i_ext = W x + offset`` (``n_post x dims`` MACs). Send-on-delta:
    the level crossings of ``x`` (a comparison per dimension, counted as a
    MAC), each moving every current by a level's worth (``n_post`` SynOps per
    event); at an episode's first step the currents start from the origin's.
    """
    params, weights = state.params, state.weights
    dims, n_post = weights.shape
    start = params[ENC_SIGNAL_START]
    x = signals[start : start + dims]
    pops = populations.ints
    p = params[ENC_POPULATION]
    currents = neurons.i_ext[pops[p, POP_START] : pops[p, POP_STOP]]
    if params[ENC_SEND_ON_DELTA] == 0:
        nef_currents(x, weights, state.offset, currents)
        operations[OPS_MACS] += n_post * dims
        return
    if state.started[0] == 0:
        offset = state.offset
        for k in range(n_post):
            currents[k] = offset[k]
        state.started[0] = 1
    events = state.events
    n_events = _send_on_delta_levels(
        x, state.origin, state.inv_delta, state.level, params[ENC_MAX_EVENTS], events
    )
    operations[OPS_MACS] += dims
    if n_events == 0:
        return
    for d in range(dims):
        net = float(events[2 * d]) - float(events[2 * d + 1])  # uint8 counts: no wrap-around
        if net != 0.0:
            row = weights[d]
            for k in range(n_post):
                currents[k] += net * row[k]
    operations[OPS_SYNOPS] += n_events * n_post


@njit(**KERNEL_JIT)
def encode_receptive_fields(
    populations: Populations,
    neurons: Neurons,
    rng: np.ndarray,
    operations: np.ndarray,
    signals: np.ndarray,
    state: ReceptiveFieldState,
) -> None:
    """Draw this step's spikes of the target Input from its receptive fields (a MAC each)."""
    params, centers = state.params, state.centers
    dims = state.low.shape[0]
    n = centers.shape[0]
    start = params[ENC_SIGNAL_START]
    pops = populations.ints
    p = params[ENC_POPULATION]
    first = pops[p, POP_START]
    uniform = state.uniform
    for j in range(n):
        uniform[j] = next_uniform(rng)
    spiked = neurons.spiked[first : first + n]
    gaussian_fields(
        signals[start : start + dims], state.low, state.high, centers, state.neg_half_inv_var,
        n // dims, state.amplitude[0], MODE_BERNOULLI, uniform, state.activation, spiked,
    )  # fmt: skip
    record_spikes(populations, p, neurons)
    operations[OPS_MACS] += n
