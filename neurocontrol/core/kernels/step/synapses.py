"""Event-driven spike propagation and the weight-change helpers of learning rules.

Propagation touches only the rows of presynaptic neurons that spiked: a
dense row is one contiguous run of ``n_post`` float32 weights, a sparse row
a CSR segment. The generated step calls :func:`propagate_dense` or
:func:`propagate_sparse` per projection, whichever its storage is, so a
network compiles only the paths it uses. Learning rules change weights only through
:func:`add_weight_change`, which writes through (single rule, clipped to the
projection's bounds) or buffers the change (several rules on one
projection: all read the start-of-step weights, then
:func:`apply_weight_changes` sums and clips), so rules compose independently
of their order.

Storage kinds (``PRJ_DENSE`` column): dense rows (1), CSR by presynaptic
neuron (0; plastic ones with a CSC view), CSR with uint16 postsynaptic
indices (3: static projections onto at most 65,536 neurons, propagated by
:func:`propagate_sparse_narrow`), dense by output (4: a readout onto an
:class:`~neurocontrol.core.model.network.Output`, one contiguous column of
``n_pre`` weights per output unit, so dot products with rates and the
learning of decoders run over contiguous memory; see
:mod:`neurocontrol.core.kernels.step.readout`), or post-major (2): a sparse
projection whose only rule is additive pair STDP is stored by
postsynaptic neuron, because its postsynaptic walk (every postsynaptic
spike potentiates its whole column) outnumbers the presynaptic one in
recurrent-rate networks; the presynaptic walk goes through packed
``(post << bits) | offset`` entries. For such a projection ``indptr`` and
``indices`` hold the column pointers and presynaptic indices, ``col_ptr``
and ``col_syn`` the row pointers and packed entries
(:class:`~neurocontrol.core.builder.connectivity.PostMajorArrays`), and its rule
kernel propagates its spikes in the same pass as the depression
(:func:`propagate_by_rule` stands in the projection's propagation slot).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from neurocontrol.core.kernels.step.flags import HELPER_JIT, KERNEL_JIT
from neurocontrol.core.kernels.step.state import (
    CLK_N_NEURONS,
    CLK_RING_LEN,
    CLK_STEP,
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_COL_OFFSET_BITS,
    PRJ_COL_PTR_START,
    PRJ_COL_START,
    PRJ_DEFERRED,
    PRJ_DELAY,
    PRJ_DENSE,
    PRJ_DW_START,
    PRJ_HINT_SHIFT,
    PRJ_HINT_START,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_N_SYN,
    PRJ_N_TOUCHED,
    PRJ_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    PRJ_SYNOPS_STEP,
    PRJ_SYNOPS_TOTAL,
    PRJ_TOUCHED_START,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    Neurons,
    Populations,
    Synapses,
)

__all__ = [
    "FLOATS_PER_LINE",
    "NARROW_INDEX_LIMIT",
    "STORAGE_CSR",
    "STORAGE_CSR_NARROW",
    "STORAGE_DENSE",
    "STORAGE_POST_MAJOR",
    "STORAGE_READOUT",
    "add_weight_change",
    "apply_weight_changes",
    "clipped_weight",
    "column_entry",
    "column_synapses",
    "prefetch",
    "propagate_by_rule",
    "propagate_dense",
    "propagate_sparse",
    "propagate_sparse_narrow",
    "ring_base",
    "row_of_synapse",
]

#: 4-byte entries (weights, indices) per 64-byte cache line: the stride of row prefetches.
FLOATS_PER_LINE = 16

# Values of the PRJ_DENSE column.
STORAGE_CSR = 0
STORAGE_DENSE = 1
STORAGE_POST_MAJOR = 2
STORAGE_CSR_NARROW = 3  # static CSR with uint16 postsynaptic indices (Synapses.narrow_indices)
STORAGE_READOUT = 4  # dense, one column of n_pre weights per output unit: w[j * n_pre + i]
#: the most postsynaptic neurons a STORAGE_CSR_NARROW projection may have
NARROW_INDEX_LIMIT = 1 << 16


@intrinsic
def prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Hint the cache to load ``array[index]`` (LLVM ``llvm.prefetch``: read, keep in all levels).

    A presynaptic walk of a post-major projection reads weights scattered
    over the projection; prefetching a few entries ahead overlaps those
    cache misses. No effect on results; an index past the end is not
    dereferenced (a prefetch never faults).
    """
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        array_type = sig.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = builder.gep(view.data, [args[1]])
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        flags = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
        builder.call(function, [builder.bitcast(pointer, byte_pointer), *flags])
        return context.get_dummy_value()

    return signature, codegen


@njit(**HELPER_JIT)
def ring_base(populations: Populations, q: int, table: np.ndarray, clock: np.ndarray) -> int:
    """Ring-buffer offset of the first postsynaptic neuron of ``q`` in its arrival slot."""
    slot = (clock[CLK_STEP] + 1 + table[q, PRJ_DELAY]) % clock[CLK_RING_LEN]
    return slot * clock[CLK_N_NEURONS] + populations.ints[table[q, PRJ_POST], POP_START]


@njit(**HELPER_JIT)
def _count_events(table: np.ndarray, q: int, events: int) -> None:
    table[q, PRJ_SYNOPS_STEP] = events
    table[q, PRJ_SYNOPS_TOTAL] += events


@njit(**KERNEL_JIT)
def propagate_dense(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """Add the rows of the spiking presynaptic neurons of dense projection ``q`` to the ring."""
    table, pops = synapses.ints, populations.ints
    pre = table[q, PRJ_PRE]
    n_spikes = pops[pre, POP_SPIKE_COUNT]
    if n_spikes == 0:
        table[q, PRJ_SYNOPS_STEP] = 0
        return
    base = ring_base(populations, q, table, clock)
    pre_start = pops[pre, POP_START]
    n_post = table[q, PRJ_N_POST]
    w_start = table[q, PRJ_W_START]
    weights, spike_ids = synapses.weights, neurons.spike_ids
    for s in range(n_spikes):
        row = w_start + (spike_ids[pre_start + s] - pre_start) * n_post
        for j in range(n_post):
            ring[base + j] += weights[row + j]
    _count_events(table, q, n_spikes * n_post)


@njit(**HELPER_JIT)
def _propagate_csr(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    indices: np.ndarray,
) -> None:
    """Add the CSR rows of the spiking presynaptic neurons of ``q``; ``indices``: int32 or uint16.

    The row of the next spike is prefetched while one row is added (rows
    of large projections come from beyond the L2 cache).
    """
    table, pops = synapses.ints, populations.ints
    pre = table[q, PRJ_PRE]
    n_spikes = pops[pre, POP_SPIKE_COUNT]
    if n_spikes == 0:
        table[q, PRJ_SYNOPS_STEP] = 0
        return
    base = ring_base(populations, q, table, clock)
    pre_start = pops[pre, POP_START]
    w_start = table[q, PRJ_W_START]
    ptr, idx = table[q, PRJ_PTR_START], table[q, PRJ_IDX_START]
    weights, indptr = synapses.weights, synapses.indptr
    spike_ids = neurons.spike_ids
    target = ring[base : base + table[q, PRJ_N_POST]]
    events = 0
    for s in range(n_spikes):
        if s + 1 < n_spikes:  # the next row: its cache misses overlap this row's work
            following = spike_ids[pre_start + s + 1] - pre_start
            for k in range(indptr[ptr + following], indptr[ptr + following + 1], FLOATS_PER_LINE):
                prefetch(weights, w_start + k)
                prefetch(indices, idx + k)
        i = spike_ids[pre_start + s] - pre_start
        begin, end = indptr[ptr + i], indptr[ptr + i + 1]
        row = weights[w_start + begin : w_start + end]
        columns = indices[idx + begin : idx + end]
        for k in range(end - begin):
            # zero-based slices and an unsigned index: no negative-index wraparound
            # select per event (about a third of the loop's cost)
            target[np.uint32(columns[k])] += row[k]
        events += end - begin
    _count_events(table, q, events)


@njit(**KERNEL_JIT)
def propagate_sparse(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """Add the CSR rows of the spiking presynaptic neurons of sparse projection ``q``."""
    _propagate_csr(populations, q, synapses, neurons, ring, clock, synapses.indices)


@njit(**KERNEL_JIT)
def propagate_sparse_narrow(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """:func:`propagate_sparse` for a ``STORAGE_CSR_NARROW`` projection (uint16 indices).

    Static projections onto at most 65,536 neurons: 6 instead of 8 bytes
    read per synaptic event (CL-10k recurrent propagation about -10% in
    isolation).
    """
    _propagate_csr(populations, q, synapses, neurons, ring, clock, synapses.narrow_indices)


@njit(**KERNEL_JIT)
def propagate_by_rule(
    populations: Populations,
    q: int,
    synapses: Synapses,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
) -> None:
    """Nothing: post-major projection ``q`` is propagated by its rule kernel.

    Propagation shares the pass over presynaptic rows with the depression.

    The rule kernel runs later in the step but writes the same ring slot
    (``t + 1 + delay``), which no kernel reads before the next step.
    """
    return


@njit(**KERNEL_JIT)
def add_weight_change(syn: Synapses, q: int, k: int, change: float) -> None:
    """Change the weight of local synapse ``k`` of projection ``q`` by ``change``.

    Written through and clipped to ``[w_low, w_high]`` when the projection
    has one rule; buffered (summed, applied by :func:`apply_weight_changes`
    at the end of the step) when it has several.
    """
    if change == 0.0:
        return
    table = syn.ints
    if table[q, PRJ_DEFERRED] == 1:
        slot = table[q, PRJ_DW_START] + k
        if syn.dw[slot] == 0.0:
            count = table[q, PRJ_N_TOUCHED]
            if count < table[q, PRJ_N_SYN]:  # beyond that, apply_weight_changes sweeps all
                syn.touched[table[q, PRJ_TOUCHED_START] + count] = k
            table[q, PRJ_N_TOUCHED] = count + 1
        syn.dw[slot] += change
        return
    position = table[q, PRJ_W_START] + k
    w = syn.weights[position] + change
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    if w < low:
        w = low
    elif w > high:
        w = high
    syn.weights[position] = w


@njit(**KERNEL_JIT)
def apply_weight_changes(syn: Synapses) -> None:
    """Apply and clear the buffered weight changes of every deferred projection."""
    table = syn.ints
    for q in range(table.shape[0]):
        count = table[q, PRJ_N_TOUCHED]
        if table[q, PRJ_DEFERRED] != 1 or count == 0:
            continue
        n_syn = table[q, PRJ_N_SYN]
        sweep = count > n_syn  # the touched list overflowed: visit every synapse
        n_visit = n_syn if sweep else count
        dw_start, w_start = table[q, PRJ_DW_START], table[q, PRJ_W_START]
        touched_start = table[q, PRJ_TOUCHED_START]
        low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
        for e in range(n_visit):
            k = e if sweep else syn.touched[touched_start + e]
            change = syn.dw[dw_start + k]
            if change == 0.0:
                continue
            syn.dw[dw_start + k] = 0.0
            w = syn.weights[w_start + k] + change
            if w < low:
                w = low
            elif w > high:
                w = high
            syn.weights[w_start + k] = w
        table[q, PRJ_N_TOUCHED] = 0


@njit(**HELPER_JIT)
def clipped_weight(weight: float, change: float, low: float, high: float) -> float:
    """``weight + change`` clipped to ``[low, high]``; ``weight`` itself when ``change == 0``.

    The arithmetic of :func:`add_weight_change` (write-through case) as a
    branch-free expression (selects, which LLVM emits as min/max), for
    kernels that update a contiguous run of weights of a non-deferred
    projection in one loop (it vectorises).
    """
    updated = weight + change
    updated = updated if updated > low else low
    updated = updated if updated < high else high
    return weight if change == 0.0 else updated


@njit(**KERNEL_JIT)
def row_of_synapse(syn: Synapses, q: int, k: int) -> int:
    """Presynaptic (local) row of local sparse synapse ``k`` of projection ``q``."""
    table = syn.ints
    ptr = table[q, PRJ_PTR_START]
    if table[q, PRJ_COL_OFFSET_BITS] >= 0 or table[q, PRJ_COL_PTR_START] < 0:
        low, high = 0, table[q, PRJ_N_PRE]  # binary search: the last row starting at or before k
        while high - low > 1:
            middle = (low + high) >> 1
            if syn.indptr[ptr + middle] <= k:
                low = middle
            else:
                high = middle
        while syn.indptr[ptr + low + 1] <= k:  # skip empty rows
            low += 1
        return low
    row = syn.row_hint[table[q, PRJ_HINT_START] + (k >> table[q, PRJ_HINT_SHIFT])]
    while syn.indptr[ptr + row + 1] <= k:
        row += 1
    return row


@njit(**KERNEL_JIT)
def column_entry(syn: Synapses, q: int, e: int) -> tuple[int, int]:
    """``(pre row, local synapse number)`` of entry ``e`` of the CSC view of projection ``q``.

    ``e`` counts from the projection's first column entry (``col_ptr`` values).
    """
    table = syn.ints
    entry = np.int64(syn.col_syn[table[q, PRJ_COL_START] + e])
    bits = table[q, PRJ_COL_OFFSET_BITS]
    if bits >= 0:
        row = entry >> bits
        return row, syn.indptr[table[q, PRJ_PTR_START] + row] + (entry & ((1 << bits) - 1))
    return row_of_synapse(syn, q, entry), entry


@njit(**KERNEL_JIT)
def column_synapses(
    syn: Synapses, q: int, j: int, pre_rows: np.ndarray, synapse_ids: np.ndarray
) -> int:
    """Fill ``pre_rows``/``synapse_ids`` with the synapses onto post neuron ``j``; return the count.

    Works for dense projections and for sparse ones built with a CSC view.
    """
    table = syn.ints
    if table[q, PRJ_DENSE] == 1:
        n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
        for i in range(n_pre):
            pre_rows[i] = i
            synapse_ids[i] = i * n_post + j
        return n_pre
    base = table[q, PRJ_COL_PTR_START]
    begin, end = syn.col_ptr[base + j], syn.col_ptr[base + j + 1]
    for e in range(begin, end):
        row, k = column_entry(syn, q, e)
        pre_rows[e - begin] = row
        synapse_ids[e - begin] = k
    return end - begin
