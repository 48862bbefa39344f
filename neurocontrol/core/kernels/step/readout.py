r"""Propagation onto outputs, and from rate-model populations.

A projection onto an :class:`~neurocontrol.core.model.network.Output` (a
readout, always dense, stored by output: ``w[j * n_pre + i]``) adds, in the
step the spikes are emitted, the weights of the spiking neurons (their
decoders), summed per output, times the output's input gain
:math:`(1 - \lambda)/\Delta t` to the output values, which the output's own
kernel decayed by :math:`\lambda` earlier in the step:

.. math:: y_j \leftarrow \lambda\, y_j + \frac{1-\lambda}{\Delta t} \sum_{i\ \mathrm{spiked}} w_{ij}

A rate-model presynaptic population delivers :math:`r_i \Delta t` in place
of each spike flag: every active neuron's row times its rate, onto an
output (:func:`readout_rates`) or into the ring buffer of a population
(:func:`propagate_dense_rates`). Costs: a synaptic operation per spike and
weight; a multiply-add per active neuron and weight for rates (counted in
the projection table's ``synops_step`` / ``macs_step``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import KERNEL_JIT, REDUCTION_JIT
from neurocontrol.core.kernels.step.state import (
    POP_DT,
    POP_R_M,
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_MACS_STEP,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_POST,
    PRJ_PRE,
    PRJ_SYNOPS_STEP,
    PRJ_SYNOPS_TOTAL,
    PRJ_W_START,
    Neurons,
    Populations,
    Synapses,
)
from neurocontrol.core.kernels.step.synapses import ring_base

__all__ = ["propagate_dense_rates", "readout_rates", "readout_spikes"]


@njit(**KERNEL_JIT)
def readout_spikes(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """Add the summed weights of readout ``q``'s spiking neurons, times the gain, to its output."""
    table, pops = synapses.ints, populations.ints
    pre, post = table[q, PRJ_PRE], table[q, PRJ_POST]
    n_spikes = pops[pre, POP_SPIKE_COUNT]
    table[q, PRJ_SYNOPS_STEP] = 0
    table[q, PRJ_MACS_STEP] = 0
    if n_spikes == 0:
        return
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    gain = populations.floats[post, POP_R_M]
    pre_start, post_start = pops[pre, POP_START], pops[post, POP_START]
    value = neurons.v[post_start : post_start + n_post]
    spikes = neurons.spike_ids[pre_start : pre_start + n_spikes]
    weights = synapses.weights[table[q, PRJ_W_START] :]
    for j in range(n_post):
        column = weights[j * n_pre : (j + 1) * n_pre]
        total = 0.0
        for s in range(n_spikes):
            total += column[spikes[s] - pre_start]
        value[j] += gain * total
    table[q, PRJ_SYNOPS_STEP] = n_spikes * n_post
    table[q, PRJ_SYNOPS_TOTAL] += n_spikes * n_post
    table[q, PRJ_MACS_STEP] = n_post  # the gain, once per output


@njit(**REDUCTION_JIT)
def readout_rates(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """Add the rates times the weights of readout ``q`` to its output: a dot product per output.

    The sum runs over every presynaptic neuron (a silent one adds zero) of a
    contiguous column, in an order the compiler may choose, so it
    vectorises; MACs counted per active neuron and output.
    """
    table, pops = synapses.ints, populations.ints
    pre, post = table[q, PRJ_PRE], table[q, PRJ_POST]
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    gain = populations.floats[post, POP_R_M] * populations.floats[pre, POP_DT]
    pre_start, post_start = pops[pre, POP_START], pops[post, POP_START]
    value = neurons.v[post_start : post_start + n_post]
    rate = neurons.rate[pre_start : pre_start + n_pre]
    weights = synapses.weights[table[q, PRJ_W_START] :]
    for j in range(n_post):
        column = weights[j * n_pre : (j + 1) * n_pre]
        total = 0.0
        for i in range(n_pre):
            total += rate[i] * column[i]
        value[j] += gain * total
    active = 0
    for i in range(n_pre):
        active += rate[i] != 0.0
    table[q, PRJ_MACS_STEP] = active * n_post


@njit(**KERNEL_JIT)
def propagate_dense_rates(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """Add each active rate neuron's row of dense projection ``q``, times rate x dt, to the ring."""
    table, pops = synapses.ints, populations.ints
    pre = table[q, PRJ_PRE]
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    dt = populations.floats[pre, POP_DT]
    base = ring_base(populations, q, table, clock)
    pre_start = pops[pre, POP_START]
    rate = neurons.rate[pre_start : pre_start + n_pre]
    weights = synapses.weights[table[q, PRJ_W_START] :]
    received = ring[base : base + n_post]
    active = 0
    for i in range(n_pre):
        r = rate[i]
        if r == 0.0:
            continue
        active += 1
        delivered = r * dt
        row = weights[i * n_post : (i + 1) * n_post]
        for j in range(n_post):
            received[j] += delivered * row[j]
    table[q, PRJ_MACS_STEP] = active * n_post
