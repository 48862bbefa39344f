r"""Kernel of :class:`~neurocontrol.core.model.reward_rules.RewardSTDP`, event-driven.

Discrete rule (the eager form, which the NumPy reference transcribes): in
step :math:`n`, after decaying the STDP traces,

.. math::

    d_n = \lambda_d d_{n-1} + (r_n - b), \qquad
    c_n = \lambda_e c_{n-1} + \Delta c_n, \qquad
    w_n = w_{n-1} + \eta\,\Delta t\, c_n D_n, \quad D_n = d_n + d_0

with :math:`\Delta c_n` this step's pairings (``+A+ x_i`` at a post spike,
``-A- y_j`` at a pre spike). With the epoch start :math:`T`, offsets
:math:`o = n - T`, :math:`P_o = \lambda_e^{o}` and the global running sum
:math:`S_o = \sum_{o'=1}^{o} P_{o'} D_{T+o'}`, each synapse keeps its
eligibility in epoch-scaled form :math:`\hat c = c_n / P_o` (constant
between pairings) and an offset :math:`B`, such that the weight change not
yet written is :math:`\eta\Delta t\,(\hat c S_o - B)`. A pairing at offset
:math:`o` adds :math:`\Delta c / P_o` to :math:`\hat c` and
:math:`\Delta c\, S_{o-1} / P_o` to :math:`B`: one cache line, no weight
write. Weights are written (the pending change added, then clipped to the
bounds) when the presynaptic neuron spikes (its row, after the pairings of
the step), at the end of each epoch and by
:func:`sync_reward_stdp_weights`. The epoch is re-based (every synapse
written, :math:`\hat c \leftarrow \hat c P_L`, :math:`B \leftarrow 0`,
:math:`S` restarted) every ``epoch_length`` steps, which bounds
:math:`1/P_o` by :math:`e^{2}` (the float32 state then rounds the pending
change to about 4e-4 of one step's change) and costs one pass over the synapses per
epoch; otherwise a step costs O(neurons + synapses of spiking neurons),
whatever the dopamine. Bounds are therefore applied when a weight is
written: this equals clipping at every step unless a weight crosses a bound
and comes back between two presynaptic spikes, and a presynaptic spike is
transmitted with the weight as of that neuron's previous spike (the
propagation of a step precedes its rules).

Storage: the ``(c_hat, B)`` pair of a synapse is one 8-byte slot. A dense
projection keeps its slots column-major, so the column a postsynaptic spike
walks is contiguous and its increments (the same for every column of a
step) vectorise; a presynaptic spike's row is strided. In CL-1k (100 -> 1000
at 25 Hz -> 77 Hz) this touches about 3500 cache lines per step against
8000 row-major. A sparse projection keeps CSR order and walks columns
through its CSC view.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import HELPER_JIT, KERNEL_JIT
from neurocontrol.core.kernels.step.state import (
    CLK_STEP,
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_COL_OFFSET_BITS,
    PRJ_COL_PTR_START,
    PRJ_COL_START,
    PRJ_DEFERRED,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    NetworkState,
)
from neurocontrol.core.kernels.step.synapses import (
    FLOATS_PER_LINE,
    add_weight_change,
    clipped_weight,
    column_entry,
    prefetch,
)

__all__ = [
    "RSTDP_A_MINUS",
    "RSTDP_A_PLUS",
    "RSTDP_BASELINE",
    "RSTDP_BASELINE_RATE",
    "RSTDP_DOPAMINE_DECAY",
    "RSTDP_ENABLED",
    "RSTDP_EPOCH_START",
    "RSTDP_POST_DECAY",
    "RSTDP_PRE_DECAY",
    "RSTDP_RATE_DT",
    "RSTDP_TONIC",
    "TRACE_FLOOR",
    "RewardSTDPState",
    "reward_stdp_dense",
    "reward_stdp_sparse",
    "reward_stdp_step",
    "sync_reward_stdp_weights",
]

# Entries of RewardSTDPState.params
RSTDP_A_PLUS = 0
RSTDP_A_MINUS = 1
RSTDP_PRE_DECAY = 2  # exp(-dt / tau_plus)
RSTDP_POST_DECAY = 3  # exp(-dt / tau_minus)
RSTDP_DOPAMINE_DECAY = 4  # exp(-dt / tau_dopamine)
RSTDP_RATE_DT = 5  # learning_rate * dt
RSTDP_TONIC = 6  # tonic dopamine d0
RSTDP_BASELINE_RATE = 7  # beta
# Entries of RewardSTDPState.switches
RSTDP_ENABLED = 0  # 0 freezes the weights (traces, eligibility and dopamine still run)
RSTDP_BASELINE = 1  # 1: subtract the per-context running-mean reward
RSTDP_EPOCH_START = 2  # step T of the current epoch
#: traces and eligibility slots below this are set to 0: a silent neuron's trace
#: (x0.95 per step) would reach subnormal numbers, ~100x slower to multiply, in 14 s
TRACE_FLOOR = 1e-30


class RewardSTDPState(NamedTuple):
    """State and parameters of one reward-modulated STDP rule instance."""

    pre_trace: np.ndarray  # f8 [n_pre], x
    post_trace: np.ndarray  # f8 [n_post], y
    # f4 [n_syn, 2]: epoch-scaled eligibility c / P_o and the offset B of the pending weight
    # change eta dt (c_hat S_o - B), 8 bytes per synapse. Slot order: CSR synapse order
    # (sparse); column-major, synapse i * n_post + j in slot j * n_pre + i (dense)
    eligibility: np.ndarray
    dopamine: np.ndarray  # f8 [1], d (without the tonic level)
    reward: np.ndarray  # f8 [1], the reward (third factor) of the next step, if pending
    # i8 [1]: 1 when ``reward`` is pending (set with it by Simulator.set_third_factor), 0
    # once the next step has taken it; an explicit flag, so every state value stays finite
    reward_pending: np.ndarray
    context: np.ndarray  # i8 [1], context of the next reward
    baseline: np.ndarray  # f8 [n_contexts], running-mean reward per context
    decay_powers: np.ndarray  # f8 [epoch_length + 1], lambda_e ** k
    inverse_powers: np.ndarray  # f8 [epoch_length + 1], lambda_e ** -k
    dopamine_sum: np.ndarray  # f8 [epoch_length + 1], S at each step of the epoch
    params: np.ndarray  # f8 [8], RSTDP_A_PLUS ... RSTDP_BASELINE_RATE
    switches: np.ndarray  # i8 [3], RSTDP_ENABLED, RSTDP_BASELINE, RSTDP_EPOCH_START
    # f8 [2 n_pre] (dense; [2] sparse): this step's column increments of c_hat and B per
    # row; then, viewed as float32, scratch for the (c_hat, B) of part of the row being written
    increments: np.ndarray


@njit(**HELPER_JIT)
def _pair(state: np.ndarray, m: int, scale: float, settled: float, change: float) -> None:
    """Add the pairing ``change`` to slot ``m`` (``scale`` = 1/P_o, ``settled`` = S_{o-1}).

    ``state`` is the eligibility array flattened: ``[2 m]`` holds the scaled
    eligibility, ``[2 m + 1]`` the offset B (constant strides, which LLVM
    can vectorise; the 2-D form indexes through the runtime shape).
    """
    scaled = change * scale
    state[2 * m] += scaled
    state[2 * m + 1] += scaled * settled


@njit(**HELPER_JIT)
def _settle(state: np.ndarray, m: int, total: float) -> float:
    """Pending change / (eta dt) of slot ``m`` up to the integral ``total``; mark it written."""
    settled = np.float64(state[2 * m]) * total
    pending = settled - np.float64(state[2 * m + 1])
    state[2 * m + 1] = settled
    return pending


@njit(**HELPER_JIT)
def _pair_and_settle(
    c_hats: np.ndarray,
    offsets: np.ndarray,
    position: np.uint64,
    step: np.uint64,
    scaled: float,
    settled: float,
    total: float,
) -> float:
    """:func:`_pair` (``scaled`` = change / P_o) then :func:`_settle` of one slot.

    The slot's ``c_hat`` is ``c_hats[position]``, its ``B``
    ``offsets[position + step]`` (the eligibility array with ``step`` 1, or
    two scratch arrays with ``step`` 0). One load and one store per field;
    the float32 rounding of the stored state is that of the two calls.
    """
    second = position + step
    c_hat = np.float32(np.float64(c_hats[position]) + scaled)
    offset_b = np.float32(np.float64(offsets[second]) + scaled * settled)
    settled_now = np.float64(c_hat) * total
    c_hats[position] = c_hat
    offsets[second] = settled_now
    return settled_now - np.float64(offset_b)


@njit(**KERNEL_JIT)
def _rebase(rule: RewardSTDPState, step: int) -> None:
    r"""Start a new epoch after ``step`` (the last step of the current one).

    Each slot keeps its unwritten change: :math:`\hat c \leftarrow \hat c P_L`
    and :math:`B \leftarrow B - \hat c S_L`, so that :math:`\hat c' S'_o - B'`
    continues :math:`\hat c S - B`; no weight is written (weights are
    written, and clipped, only at presynaptic spikes and by a sync).
    """
    last_offset = step - rule.switches[RSTDP_EPOCH_START]
    scale, total = rule.decay_powers[last_offset], rule.dopamine_sum[last_offset]
    state = rule.eligibility.reshape(-1)
    for m in range(rule.eligibility.shape[0]):
        c_hat = np.float64(state[2 * m])
        offset_b = np.float64(state[2 * m + 1]) - c_hat * total
        c_hat *= scale
        # a slot untouched for a minute would decay into float32 subnormals (~100x slower)
        state[2 * m] = c_hat if abs(c_hat) >= TRACE_FLOOR else 0.0
        state[2 * m + 1] = offset_b if abs(offset_b) >= TRACE_FLOOR else 0.0
    rule.switches[RSTDP_EPOCH_START] = step
    rule.dopamine_sum[0] = 0.0


@njit(**HELPER_JIT)
def _begin_step(net: NetworkState, q: int, rule: RewardSTDPState) -> int:
    """Re-base if the epoch is over, decay the traces, integrate dopamine; return the offset."""
    params, switches = rule.params, rule.switches
    step = net.clock[CLK_STEP]
    offset = step - switches[RSTDP_EPOCH_START]
    if offset >= rule.dopamine_sum.shape[0]:
        _rebase(rule, step - 1)
        offset = 1
    x, y = rule.pre_trace, rule.post_trace
    pre_decay, post_decay = params[RSTDP_PRE_DECAY], params[RSTDP_POST_DECAY]
    for i in range(x.shape[0]):
        decayed = x[i] * pre_decay
        x[i] = decayed if decayed >= TRACE_FLOOR else 0.0
    for j in range(y.shape[0]):
        decayed = y[j] * post_decay
        y[j] = decayed if decayed >= TRACE_FLOOR else 0.0
    dopamine = rule.dopamine[0] * params[RSTDP_DOPAMINE_DECAY]
    if rule.reward_pending[0] != 0:
        reward = rule.reward[0]
        n_contexts = rule.baseline.shape[0]
        context = min(max(rule.context[0], 0), n_contexts - 1)
        if switches[RSTDP_BASELINE] == 1:
            expected = rule.baseline[context]
            dopamine += reward - expected
            if switches[RSTDP_ENABLED] == 1:
                rule.baseline[context] = expected + params[RSTDP_BASELINE_RATE] * (
                    reward - expected
                )
        else:
            dopamine += reward
        rule.reward[0] = 0.0
        rule.reward_pending[0] = 0
    rule.dopamine[0] = dopamine
    dopamine_now = dopamine + params[RSTDP_TONIC] if switches[RSTDP_ENABLED] == 1 else 0.0
    rule.dopamine_sum[offset] = (
        rule.dopamine_sum[offset - 1] + rule.decay_powers[offset] * dopamine_now
    )
    return offset


@njit(**HELPER_JIT)
def _add_spikes_to_traces(
    rule: RewardSTDPState, spike_ids: np.ndarray, pre_start: int, n_pre: int, post_start: int,
    n_post: int
) -> None:  # fmt: skip
    x, y = rule.pre_trace, rule.post_trace
    for s in range(n_pre):
        x[spike_ids[pre_start + s] - pre_start] += 1.0
    for s in range(n_post):
        y[spike_ids[post_start + s] - post_start] += 1.0


@njit(**KERNEL_JIT)
def reward_stdp_dense(net: NetworkState, q: int, rule: RewardSTDPState) -> None:
    """One step of reward-modulated STDP on dense projection ``q``.

    Eligibility slots are column-major (:func:`eligibility_slot`): a
    postsynaptic spike walks its whole column, ``n_pre`` contiguous slots,
    and a presynaptic spike its row (stride ``n_pre`` slots), whose weights
    are contiguous. Postsynaptic spikes usually outnumber presynaptic ones
    times ``n_post / n_pre`` less (CL-1k: 77 columns of 100 slots per step
    against 2.5 rows of 1000), so this layout touches about 3000 cache lines
    per step where the row-major one touched 8000. A row walk pairs and
    settles each slot (the float32 rounding of the stored state kept) and
    writes its weight directly when the projection has no other rule; it
    copies the strided slots of part of a row into the float32 view of
    ``increments`` and back, so the arithmetic runs in a vectorised loop.
    """
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    table, weights, state = syn.ints, syn.weights, rule.eligibility.reshape(-1)
    offset = _begin_step(net, q, rule)
    pre_start = pops[table[q, PRJ_PRE], POP_START]
    post_start = pops[table[q, PRJ_POST], POP_START]
    n_pre_spikes = pops[table[q, PRJ_PRE], POP_SPIKE_COUNT]
    n_post_spikes = pops[table[q, PRJ_POST], POP_SPIKE_COUNT]
    scale, settled = rule.inverse_powers[offset], rule.dopamine_sum[offset - 1]
    x, y = rule.pre_trace, rule.post_trace
    a_plus, a_minus = rule.params[RSTDP_A_PLUS], rule.params[RSTDP_A_MINUS]
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    # potentiation of the eligibility: each postsynaptic spike, down its column, by A+ x_i;
    # the increments of the (c_hat, B) pairs are the same for every column of this step
    increments = rule.increments
    if n_post_spikes > 0:
        for i in range(n_pre):
            scaled = (a_plus * x[i]) * scale
            increments[2 * i] = scaled
            increments[2 * i + 1] = scaled * settled
    for s in range(n_post_spikes):
        if s + 1 < n_post_spikes:  # the next column's cache misses overlap this one's work
            following = 2 * (spike_ids[post_start + s + 1] - post_start) * n_pre
            for e in range(following, following + 2 * n_pre, FLOATS_PER_LINE):
                prefetch(state, e)
        # a view from the column's first slot: indices provably >= 0, no wraparound code
        column = state[2 * (spike_ids[post_start + s] - post_start) * n_pre :]
        for e in range(2 * n_pre):
            column[e] += increments[e]
    # depression: each presynaptic spike, along its row, by A- y_j; then the row's weights
    # are written (the weights this neuron's next spike will carry)
    total, rate_dt = rule.dopamine_sum[offset], rule.params[RSTDP_RATE_DT]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    deferred = table[q, PRJ_DEFERRED] == 1
    w_start = table[q, PRJ_W_START]
    stride = np.uint64(2 * n_pre)  # unsigned positions: no negative-index wraparound code
    one, zero = np.uint64(1), np.uint64(0)
    # a write-through row is walked in parts of `width` slots, copied to contiguous float32
    # scratch (the increments, free by now: 4 n_pre floats) and back, so that the update
    # loop between vectorises (LLVM emits no gathers on this target)
    gathered = increments.view(np.float32)
    width = max(min(2 * n_pre, n_post), 1)
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        slots = state[2 * i :]  # slot (i, j) at position j * stride
        row = weights[w_start + i * n_post : w_start + (i + 1) * n_post]
        if deferred:
            position = zero
            for j in range(n_post):
                scaled = (-a_minus * y[j]) * scale
                pending = _pair_and_settle(slots, slots, position, one, scaled, settled, total)
                add_weight_change(syn, q, i * n_post + j, rate_dt * pending)
                position += stride
            continue
        for begin in range(0, n_post, width):
            count = min(width, n_post - begin)
            part_c, part_b = gathered[:count], gathered[width : width + count]
            part_y, part_w = y[begin : begin + count], row[begin : begin + count]
            first = np.uint64(begin) * stride
            position = first
            for j in range(count):
                part_c[j], part_b[j] = slots[position], slots[position + one]
                position += stride
            for j in range(count):
                scaled = (-a_minus * part_y[j]) * scale
                j_u = np.uint64(j)
                pending = _pair_and_settle(part_c, part_b, j_u, zero, scaled, settled, total)
                part_w[j] = clipped_weight(part_w[j], rate_dt * pending, low, high)
            position = first
            for j in range(count):
                slots[position], slots[position + one] = part_c[j], part_b[j]
                position += stride
    _add_spikes_to_traces(rule, spike_ids, pre_start, n_pre_spikes, post_start, n_post_spikes)


@njit(**KERNEL_JIT)
def reward_stdp_sparse(net: NetworkState, q: int, rule: RewardSTDPState) -> None:
    """One step of reward-modulated STDP on sparse (CSR) projection ``q``.

    Eligibility slot = synapse number; a column is walked through the CSC
    view (packed ``(row, offset)`` entries need no row search).
    """
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    table, state = syn.ints, rule.eligibility.reshape(-1)
    offset = _begin_step(net, q, rule)
    pre_start = pops[table[q, PRJ_PRE], POP_START]
    post_start = pops[table[q, PRJ_POST], POP_START]
    n_pre_spikes = pops[table[q, PRJ_PRE], POP_SPIKE_COUNT]
    n_post_spikes = pops[table[q, PRJ_POST], POP_SPIKE_COUNT]
    scale, settled = rule.inverse_powers[offset], rule.dopamine_sum[offset - 1]
    x, y = rule.pre_trace, rule.post_trace
    a_plus, a_minus = rule.params[RSTDP_A_PLUS], rule.params[RSTDP_A_MINUS]
    ptr, idx = table[q, PRJ_PTR_START], table[q, PRJ_IDX_START]
    indptr, indices = syn.indptr, syn.indices
    col_ptr, col_syn = syn.col_ptr, syn.col_syn
    col_base, col_start = table[q, PRJ_COL_PTR_START], table[q, PRJ_COL_START]
    bits = table[q, PRJ_COL_OFFSET_BITS]
    mask = (1 << bits) - 1 if bits >= 0 else 0
    for s in range(n_post_spikes):
        j = spike_ids[post_start + s] - post_start
        begin, end = col_ptr[col_base + j], col_ptr[col_base + j + 1]
        for e in range(begin, end):
            if bits >= 0:  # packed (row, offset) entries: no search
                entry = np.int64(col_syn[col_start + e])
                i = entry >> bits
                k = indptr[ptr + i] + (entry & mask)
            else:
                i, k = column_entry(syn, q, e)
            _pair(state, k, scale, settled, a_plus * x[i])
    total, rate_dt = rule.dopamine_sum[offset], rule.params[RSTDP_RATE_DT]
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        for k in range(indptr[ptr + i], indptr[ptr + i + 1]):
            _pair(state, k, scale, settled, -a_minus * y[indices[idx + k]])
            add_weight_change(syn, q, k, rate_dt * _settle(state, k, total))
    _add_spikes_to_traces(rule, spike_ids, pre_start, n_pre_spikes, post_start, n_post_spikes)


@njit(**KERNEL_JIT)
def reward_stdp_step(net: NetworkState, q: int, rule: RewardSTDPState) -> None:
    """One step of reward-modulated STDP on projection ``q``, dense or sparse.

    The builder calls :func:`reward_stdp_dense` or :func:`reward_stdp_sparse`
    directly, so a network compiles only the storage it uses.
    """
    if net.synapses.ints[q, PRJ_DENSE] == 1:
        reward_stdp_dense(net, q, rule)
    else:
        reward_stdp_sparse(net, q, rule)


@njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
def sync_reward_stdp_weights(  # type: ignore[no-untyped-def]
    weights, w_low, w_high, eligibility, dopamine_sum, rate_dt, offset, dense_n_pre
):
    """Write the pending change of every synapse of one projection up to ``offset``, in place.

    Called between steps (not inside the network step) with the projection's
    flat float32 ``weights`` and its clipping bounds; ``offset`` is the last
    completed step minus the epoch start; ``dense_n_pre`` is the number of
    presynaptic neurons of a dense projection (column-major slots), 0 for a
    sparse one. Afterwards every weight is the one of the eager rule at that
    step (clipped when written).
    """
    total = dopamine_sum[offset]
    n_syn = weights.shape[0]
    n_post = n_syn // dense_n_pre if dense_n_pre > 0 else 0
    state = eligibility.reshape(-1)
    for m in range(n_syn):
        k = (m % dense_n_pre) * n_post + m // dense_n_pre if dense_n_pre > 0 else m
        pending = _settle(state, m, total)
        if pending != 0.0:
            w = weights[k] + rate_dt * pending
            weights[k] = min(max(w, w_low), w_high)
