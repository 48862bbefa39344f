"""Kernel of :class:`~neurocontrol.core.model.rules.TripletSTDP` (Pfister & Gerstner 2006).

One call per step and projection, after propagation: decay the four
traces; every presynaptic spike depresses its row by
``o1_j (A2- + A3- r2_i)``, every postsynaptic spike potentiates its column
by ``r1_i (A2+ + A3+ o2_j)`` (all traces read before this step's spikes are
added); then every spike adds 1 to its neuron's two traces.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import KERNEL_JIT
from neurocontrol.core.kernels.step.state import (
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    NetworkState,
)
from neurocontrol.core.kernels.step.synapses import add_weight_change, column_synapses

__all__ = [
    "TRIPLET_A2_MINUS",
    "TRIPLET_A2_PLUS",
    "TRIPLET_A3_MINUS",
    "TRIPLET_A3_PLUS",
    "TRIPLET_ENABLED",
    "TRIPLET_O1_DECAY",
    "TRIPLET_O2_DECAY",
    "TRIPLET_R1_DECAY",
    "TRIPLET_R2_DECAY",
    "TripletSTDPState",
    "triplet_stdp_step",
]

# Entries of TripletSTDPState.params
TRIPLET_A2_PLUS = 0
TRIPLET_A3_PLUS = 1
TRIPLET_A2_MINUS = 2
TRIPLET_A3_MINUS = 3
TRIPLET_R1_DECAY = 4  # exp(-dt / tau_plus)
TRIPLET_R2_DECAY = 5  # exp(-dt / tau_x)
TRIPLET_O1_DECAY = 6  # exp(-dt / tau_minus)
TRIPLET_O2_DECAY = 7  # exp(-dt / tau_y)
# Entries of TripletSTDPState.switches
TRIPLET_ENABLED = 0  # 0 freezes the weights (traces still run)


class TripletSTDPState(NamedTuple):
    """Traces and parameters of one triplet-STDP rule instance."""

    pre_traces: np.ndarray  # f8 [n_pre, 2]: r1, r2
    post_traces: np.ndarray  # f8 [n_post, 2]: o1, o2
    params: np.ndarray  # f8 [8], TRIPLET_A2_PLUS ... TRIPLET_O2_DECAY
    switches: np.ndarray  # i8 [1], TRIPLET_ENABLED
    scratch_rows: np.ndarray  # i4 [max in-degree], column gather buffer
    scratch_synapses: np.ndarray  # i4 [max in-degree], column gather buffer


@njit(**KERNEL_JIT)
def triplet_stdp_step(net: NetworkState, q: int, rule: TripletSTDPState) -> None:
    """Apply one step of triplet STDP to projection ``q``."""
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    params, r, o = rule.params, rule.pre_traces, rule.post_traces
    r1_decay, r2_decay = params[TRIPLET_R1_DECAY], params[TRIPLET_R2_DECAY]
    o1_decay, o2_decay = params[TRIPLET_O1_DECAY], params[TRIPLET_O2_DECAY]
    for i in range(r.shape[0]):
        r[i, 0] *= r1_decay
        r[i, 1] *= r2_decay
    for j in range(o.shape[0]):
        o[j, 0] *= o1_decay
        o[j, 1] *= o2_decay
    pre, post = syn.ints[q, PRJ_PRE], syn.ints[q, PRJ_POST]
    pre_start, post_start = pops[pre, POP_START], pops[post, POP_START]
    n_pre_spikes, n_post_spikes = pops[pre, POP_SPIKE_COUNT], pops[post, POP_SPIKE_COUNT]
    if rule.switches[TRIPLET_ENABLED] == 1:
        a2_plus, a3_plus = params[TRIPLET_A2_PLUS], params[TRIPLET_A3_PLUS]
        a2_minus, a3_minus = params[TRIPLET_A2_MINUS], params[TRIPLET_A3_MINUS]
        dense = syn.ints[q, PRJ_DENSE] == 1
        n_post = syn.ints[q, PRJ_N_POST]
        ptr, idx = syn.ints[q, PRJ_PTR_START], syn.ints[q, PRJ_IDX_START]
        # depression: each presynaptic spike, along its row
        for s in range(n_pre_spikes):
            i = spike_ids[pre_start + s] - pre_start
            amplitude = a2_minus + a3_minus * r[i, 1]
            begin = i * n_post if dense else syn.indptr[ptr + i]
            end = begin + n_post if dense else syn.indptr[ptr + i + 1]
            for k in range(begin, end):
                j = k - begin if dense else syn.indices[idx + k]
                add_weight_change(syn, q, k, -amplitude * o[j, 0])
        # potentiation: each postsynaptic spike, along its column
        rows, synapse_ids = rule.scratch_rows, rule.scratch_synapses
        for s in range(n_post_spikes):
            j = spike_ids[post_start + s] - post_start
            amplitude = a2_plus + a3_plus * o[j, 1]
            count = column_synapses(syn, q, j, rows, synapse_ids)
            for e in range(count):
                add_weight_change(syn, q, synapse_ids[e], amplitude * r[rows[e], 0])
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        r[i, 0] += 1.0
        r[i, 1] += 1.0
    for s in range(n_post_spikes):
        j = spike_ids[post_start + s] - post_start
        o[j, 0] += 1.0
        o[j, 1] += 1.0
