"""Kernel of :class:`~neurocontrol.core.model.rules.PairSTDP` (trace-based pair STDP).

One call per step and projection, after propagation: decay the traces, let
every presynaptic spike depress its row by ``A- y_post`` and every
postsynaptic spike potentiate its column by ``A+ x_pre`` (traces read
before this step's spikes are added), then add this step's spikes to the
traces. Weight changes go through
:func:`~neurocontrol.core.kernels.step.synapses.add_weight_change` in the general
kernel; additive STDP as a projection's only rule has a write-through
kernel per storage (dense, sparse post-major), and the builder picks the
one that fits, so a network compiles only the path it runs. Both also
propagate their projection's spikes, in the same pass over a presynaptic
row as the depression.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import HELPER_JIT, KERNEL_JIT
from neurocontrol.core.kernels.step.state import (
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_COL_OFFSET_BITS,
    PRJ_COL_PTR_START,
    PRJ_COL_START,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_N_SYN,
    PRJ_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    PRJ_SYNOPS_STEP,
    PRJ_SYNOPS_TOTAL,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    NetworkState,
)
from neurocontrol.core.kernels.step.synapses import (
    FLOATS_PER_LINE,
    add_weight_change,
    clipped_weight,
    column_synapses,
    prefetch,
    ring_base,
)

__all__ = [
    "STDP_A_MINUS",
    "STDP_A_PLUS",
    "STDP_ENABLED",
    "STDP_MULTIPLICATIVE",
    "STDP_NEAREST",
    "STDP_POST_DECAY",
    "STDP_PRE_DECAY",
    "STDP_W_MAX",
    "STDP_W_MIN",
    "PairSTDPState",
    "pair_stdp_additive_dense",
    "pair_stdp_additive_post_major",
    "pair_stdp_step",
]


# Entries of PairSTDPState.params
STDP_A_PLUS = 0
STDP_A_MINUS = 1
STDP_PRE_DECAY = 2  # exp(-dt / tau_plus)
STDP_POST_DECAY = 3  # exp(-dt / tau_minus)
STDP_W_MIN = 4
STDP_W_MAX = 5
# Entries of PairSTDPState.switches
STDP_MULTIPLICATIVE = 0  # 1: weight-dependent, 0: additive
STDP_NEAREST = 1  # 1: nearest-spike pairing, 0: all-to-all
STDP_ENABLED = 2  # 0 freezes the weights (traces still run)

#: Packed entries the presynaptic walk of a post-major projection prefetches ahead.
PREFETCH_AHEAD = 16


class PairSTDPState(NamedTuple):
    """State and parameters of one pair-STDP rule instance."""

    pre_trace: np.ndarray  # f8 [n_pre], x
    post_trace: np.ndarray  # f8 [n_post], y
    params: np.ndarray  # f8 [6], STDP_A_PLUS ... STDP_W_MAX
    switches: np.ndarray  # i8 [3], STDP_MULTIPLICATIVE, STDP_NEAREST, STDP_ENABLED
    scratch_rows: np.ndarray  # i4 [max in-degree], column gather buffer
    scratch_synapses: np.ndarray  # i4 [max in-degree], column gather buffer
    scratch_traces: np.ndarray  # f8 [max in-degree], presynaptic traces of one column


@njit(**HELPER_JIT)
def _decay_traces(rule: PairSTDPState) -> None:
    x, y = rule.pre_trace, rule.post_trace
    pre_decay, post_decay = rule.params[STDP_PRE_DECAY], rule.params[STDP_POST_DECAY]
    for i in range(x.shape[0]):
        x[i] *= pre_decay
    for j in range(y.shape[0]):
        y[j] *= post_decay


@njit(**HELPER_JIT)
def _add_spikes_to_traces(
    rule: PairSTDPState,
    spike_ids: np.ndarray,
    pre_start: int,
    n_pre_spikes: int,
    post_start: int,
    n_post_spikes: int,
) -> None:
    x, y = rule.pre_trace, rule.post_trace
    nearest = rule.switches[STDP_NEAREST] == 1
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        x[i] = 1.0 if nearest else x[i] + 1.0
    for s in range(n_post_spikes):
        j = spike_ids[post_start + s] - post_start
        y[j] = 1.0 if nearest else y[j] + 1.0


@njit(**KERNEL_JIT)
def pair_stdp_step(net: NetworkState, q: int, rule: PairSTDPState) -> None:
    """Apply one step of pair STDP to projection ``q`` (any weight dependence and storage).

    Weight changes go through :func:`add_weight_change` (buffered when the
    projection has several rules). The builder picks
    :func:`pair_stdp_additive_dense` or :func:`pair_stdp_additive_post_major`
    instead for additive STDP as the only rule of a projection.
    """
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    _decay_traces(rule)
    pre, post = syn.ints[q, PRJ_PRE], syn.ints[q, PRJ_POST]
    pre_start, post_start = pops[pre, POP_START], pops[post, POP_START]
    n_pre_spikes, n_post_spikes = pops[pre, POP_SPIKE_COUNT], pops[post, POP_SPIKE_COUNT]
    if rule.switches[STDP_ENABLED] == 1:
        _general(net, q, rule, n_pre_spikes, n_post_spikes)
    _add_spikes_to_traces(rule, spike_ids, pre_start, n_pre_spikes, post_start, n_post_spikes)


@njit(**KERNEL_JIT)
def pair_stdp_additive_dense(net: NetworkState, q: int, rule: PairSTDPState) -> None:
    """Propagation and additive pair STDP of dense projection ``q`` (its only rule).

    The builder calls it in the projection's propagation slot, so the ring
    slot ``t + 1 + delay`` receives this projection's rows in the same order
    as from :func:`~neurocontrol.core.kernels.step.synapses.propagate_dense`, and a
    network compiles no separate propagation kernel for it. Each spiking
    row is propagated (its weights before any change of this step) and
    depressed in one contiguous pass. The arithmetic is that of
    :func:`add_weight_change` (float64 sum, clip to the projection's
    bounds, no change when the change is 0) through :func:`clipped_weight`,
    in loops without calls or data-dependent branches: depression rows
    vectorise. Each synapse changes at most once per step by each of
    depression and potentiation, depression first, so the order of the
    potentiation loops does not change the result.
    """
    syn, populations, spike_ids = net.synapses, net.populations, net.neurons.spike_ids
    table, weights, pops = syn.ints, syn.weights, populations.ints
    _decay_traces(rule)
    pre_start = pops[table[q, PRJ_PRE], POP_START]
    post_start = pops[table[q, PRJ_POST], POP_START]
    n_pre_spikes = pops[table[q, PRJ_PRE], POP_SPIKE_COUNT]
    n_post_spikes = pops[table[q, PRJ_POST], POP_SPIKE_COUNT]
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    w_start = table[q, PRJ_W_START]
    x, y = rule.pre_trace, rule.post_trace
    a_plus, a_minus = rule.params[STDP_A_PLUS], rule.params[STDP_A_MINUS]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    enabled = rule.switches[STDP_ENABLED] == 1
    base = ring_base(populations, q, table, net.clock)
    target = net.ring[base : base + n_post]
    depression = a_minus if enabled else 0.0  # frozen: a change of 0 leaves a weight as is
    for s in range(n_pre_spikes):  # propagation and depression along contiguous rows
        row = weights[w_start + (spike_ids[pre_start + s] - pre_start) * n_post :]
        for j in range(n_post):
            w = row[j]
            target[j] += w
            row[j] = clipped_weight(w, -depression * y[j], low, high)
    table[q, PRJ_SYNOPS_STEP] = n_pre_spikes * n_post
    table[q, PRJ_SYNOPS_TOTAL] += n_pre_spikes * n_post
    if enabled:
        # potentiation of the spiking columns, row by row: each row's spiking entries lie in
        # one contiguous run of n_post weights (column by column, every entry would be a
        # cache line of its own); rows with x_i = 0 do not change
        post_ids = spike_ids[post_start : post_start + n_post_spikes]
        for i in range(n_pre if n_post_spikes > 0 else 0):
            change = a_plus * x[i]
            if change == 0.0:
                continue
            row = weights[w_start + i * n_post : w_start + (i + 1) * n_post]
            for s in range(n_post_spikes):
                j = np.uint64(post_ids[s] - post_start)
                row[j] = clipped_weight(row[j], change, low, high)
    _add_spikes_to_traces(rule, spike_ids, pre_start, n_pre_spikes, post_start, n_post_spikes)


@njit(**KERNEL_JIT)
def pair_stdp_additive_post_major(net: NetworkState, q: int, rule: PairSTDPState) -> None:
    """Propagation and additive pair STDP of post-major sparse projection ``q`` (its only rule).

    Each presynaptic spike walks its packed row once: the weight (read
    before any change of this step, as in propagation) goes into the ring
    slot ``t + 1 + delay``, then is depressed by ``A- y_j``; the walk
    prefetches the weights of :data:`PREFETCH_AHEAD` entries ahead (they
    are scattered over the projection). Each postsynaptic spike then
    potentiates its contiguous column by ``A+ x_i`` (traces gathered into
    ``scratch_traces`` first, so the update loop vectorises), with the
    next spiking column prefetched. The arithmetic is that
    of :func:`pair_stdp_additive_dense` (float64 sum, clip to the
    projection's bounds, no change when the change is 0), the counters
    those of :func:`~neurocontrol.core.kernels.step.synapses.propagate_sparse`.
    """
    syn, populations, spike_ids = net.synapses, net.populations, net.neurons.spike_ids
    table, weights, pops = syn.ints, syn.weights, populations.ints
    _decay_traces(rule)
    pre_start = pops[table[q, PRJ_PRE], POP_START]
    post_start = pops[table[q, PRJ_POST], POP_START]
    n_pre_spikes = pops[table[q, PRJ_PRE], POP_SPIKE_COUNT]
    n_post_spikes = pops[table[q, PRJ_POST], POP_SPIKE_COUNT]
    enabled = rule.switches[STDP_ENABLED] == 1
    x, y = rule.pre_trace, rule.post_trace
    a_plus, a_minus = rule.params[STDP_A_PLUS], rule.params[STDP_A_MINUS]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    w_start = table[q, PRJ_W_START]
    col_ptr = syn.indptr[table[q, PRJ_PTR_START] :]  # column pointers
    pre_indices = syn.narrow_indices[table[q, PRJ_IDX_START] :]  # uint16
    row_ptr = syn.col_ptr[table[q, PRJ_COL_PTR_START] :]
    entries = syn.col_syn[table[q, PRJ_COL_START] :]
    bits = np.uint64(table[q, PRJ_COL_OFFSET_BITS])
    mask = np.uint64((1 << table[q, PRJ_COL_OFFSET_BITS]) - 1)
    n_post = table[q, PRJ_N_POST]
    base = ring_base(populations, q, table, net.clock)
    target = net.ring[base : base + n_post]
    projection_weights = weights[w_start : w_start + table[q, PRJ_N_SYN]]
    events = 0
    # unsigned indices into zero-based slices: no negative-index wraparound selects
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        begin, end = row_ptr[i], row_ptr[i + 1]
        row = entries[begin:end]
        for e in range(min(PREFETCH_AHEAD, end - begin)):
            entry = np.uint64(row[e])
            prefetch(projection_weights, np.uint64(col_ptr[entry >> bits]) + (entry & mask))
        for e in range(end - begin):
            if e + PREFETCH_AHEAD < end - begin:
                ahead = np.uint64(row[e + PREFETCH_AHEAD])
                prefetch(projection_weights, np.uint64(col_ptr[ahead >> bits]) + (ahead & mask))
            entry = np.uint64(row[e])
            j = entry >> bits
            position = np.uint64(col_ptr[j]) + (entry & mask)
            w = projection_weights[position]
            target[j] += w
            if enabled:
                projection_weights[position] = clipped_weight(w, -a_minus * y[j], low, high)
        events += end - begin
    table[q, PRJ_SYNOPS_STEP] = events
    table[q, PRJ_SYNOPS_TOTAL] += events
    if enabled:
        traces = rule.scratch_traces
        for s in range(n_post_spikes):
            if s + 1 < n_post_spikes:  # the next column: its cache misses overlap this one's work
                following = spike_ids[post_start + s + 1] - post_start
                for k in range(col_ptr[following], col_ptr[following + 1], FLOATS_PER_LINE):
                    prefetch(weights, w_start + k)
                    prefetch(pre_indices, k)
            j = spike_ids[post_start + s] - post_start
            begin, end = col_ptr[j], col_ptr[j + 1]
            # gather the column's presynaptic traces first: LLVM does not vectorise a
            # loop with a gather on this target, but vectorises the update without it
            rows = pre_indices[begin:end]
            for e in range(end - begin):
                traces[e] = x[np.uint32(rows[e])]
            column = weights[w_start + begin : w_start + end]
            for e in range(end - begin):
                column[e] = clipped_weight(column[e], a_plus * traces[e], low, high)
    _add_spikes_to_traces(rule, spike_ids, pre_start, n_pre_spikes, post_start, n_post_spikes)


@njit(**HELPER_JIT)
def _general(
    net: NetworkState, q: int, rule: PairSTDPState, n_pre_spikes: int, n_post_spikes: int
) -> None:
    """Any weight dependence, through :func:`add_weight_change` (buffered if deferred)."""
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    params = rule.params
    x, y = rule.pre_trace, rule.post_trace
    a_plus, a_minus = params[STDP_A_PLUS], params[STDP_A_MINUS]
    w_min, w_max = params[STDP_W_MIN], params[STDP_W_MAX]
    multiplicative = rule.switches[STDP_MULTIPLICATIVE] == 1
    pre_start = pops[syn.ints[q, PRJ_PRE], POP_START]
    post_start = pops[syn.ints[q, PRJ_POST], POP_START]
    dense = syn.ints[q, PRJ_DENSE] == 1
    n_post = syn.ints[q, PRJ_N_POST]
    w_start = syn.ints[q, PRJ_W_START]
    ptr, idx = syn.ints[q, PRJ_PTR_START], syn.ints[q, PRJ_IDX_START]
    weights = syn.weights
    # depression: each presynaptic spike, along its row, by A- y_j
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        begin = i * n_post if dense else syn.indptr[ptr + i]
        end = begin + n_post if dense else syn.indptr[ptr + i + 1]
        for k in range(begin, end):
            j = k - begin if dense else syn.indices[idx + k]
            change = -a_minus * y[j]
            if multiplicative:
                change *= weights[w_start + k] - w_min
            add_weight_change(syn, q, k, change)
    # potentiation: each postsynaptic spike, along its column, by A+ x_i
    rows, synapse_ids = rule.scratch_rows, rule.scratch_synapses
    for s in range(n_post_spikes):
        j = spike_ids[post_start + s] - post_start
        count = column_synapses(syn, q, j, rows, synapse_ids)
        for e in range(count):
            k = synapse_ids[e]
            change = a_plus * x[rows[e]]
            if multiplicative:
                change *= w_max - weights[w_start + k]
            add_weight_change(syn, q, k, change)
