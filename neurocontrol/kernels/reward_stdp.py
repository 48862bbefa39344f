r"""Kernel of :class:`~neurocontrol.model.reward_rules.RewardSTDP`, event-driven.

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
and comes back between two presynaptic spikes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.kernels.flags import KERNEL_JIT
from neurocontrol.kernels.state import (
    CLK_STEP,
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_N_SYN,
    PRJ_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    NetworkState,
    Synapses,
)
from neurocontrol.kernels.synapses import add_weight_change, column_synapses

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
    "RewardSTDPState",
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


class RewardSTDPState(NamedTuple):
    """State and parameters of one reward-modulated STDP rule instance."""

    pre_trace: np.ndarray  # f8 [n_pre], x
    post_trace: np.ndarray  # f8 [n_post], y
    # f4 [n_syn, 2]: epoch-scaled eligibility c / P_o and the offset B of the pending weight
    # change eta dt (c_hat S_o - B); 8 bytes, one cache line, per synapse touched by a pairing
    eligibility: np.ndarray
    dopamine: np.ndarray  # f8 [1], d (without the tonic level)
    reward: np.ndarray  # f8 [1], pending reward (third factor); NaN: none pending
    context: np.ndarray  # i8 [1], context of the next reward
    baseline: np.ndarray  # f8 [n_contexts], running-mean reward per context
    decay_powers: np.ndarray  # f8 [epoch_length + 1], lambda_e ** k
    inverse_powers: np.ndarray  # f8 [epoch_length + 1], lambda_e ** -k
    dopamine_sum: np.ndarray  # f8 [epoch_length + 1], S at each step of the epoch
    params: np.ndarray  # f8 [8], RSTDP_A_PLUS ... RSTDP_BASELINE_RATE
    switches: np.ndarray  # i8 [3], RSTDP_ENABLED, RSTDP_BASELINE, RSTDP_EPOCH_START
    scratch_rows: np.ndarray  # i4 [max in-degree], column gather buffer
    scratch_synapses: np.ndarray  # i4 [max in-degree], column gather buffer


@njit(**KERNEL_JIT)
def _pair(rule: RewardSTDPState, k: int, scale: float, settled: float, change: float) -> None:
    """Add the pairing ``change`` to synapse ``k`` (``scale`` = 1/P_o, ``settled`` = S_{o-1})."""
    scaled = change * scale
    rule.eligibility[k, 0] += scaled
    rule.eligibility[k, 1] += scaled * settled


@njit(**KERNEL_JIT)
def _write_weight(syn: Synapses, q: int, rule: RewardSTDPState, k: int, offset: int) -> None:
    """Add the pending change of synapse ``k`` (up to ``offset``) to its weight."""
    state = rule.eligibility
    settled = np.float64(state[k, 0]) * rule.dopamine_sum[offset]
    pending = settled - np.float64(state[k, 1])
    state[k, 1] = settled
    add_weight_change(syn, q, k, rule.params[RSTDP_RATE_DT] * pending)


@njit(**KERNEL_JIT)
def _rebase(net: NetworkState, q: int, rule: RewardSTDPState, step: int) -> None:
    """Write every weight up to ``step`` (the last step of the epoch) and start a new epoch."""
    last_offset = step - rule.switches[RSTDP_EPOCH_START]
    scale = rule.decay_powers[last_offset]
    for k in range(net.synapses.ints[q, PRJ_N_SYN]):
        _write_weight(net.synapses, q, rule, k, last_offset)
        rule.eligibility[k, 0] *= scale
        rule.eligibility[k, 1] = 0.0
    rule.switches[RSTDP_EPOCH_START] = step
    rule.dopamine_sum[0] = 0.0


@njit(**KERNEL_JIT)
def _deliver_reward(rule: RewardSTDPState) -> float:
    """Dopamine of this step: decay, plus the pending reward (minus its baseline)."""
    params, switches = rule.params, rule.switches
    dopamine = rule.dopamine[0] * params[RSTDP_DOPAMINE_DECAY]
    reward = rule.reward[0]
    if reward == reward:  # not NaN: a reward is pending
        context = rule.context[0]
        n_contexts = rule.baseline.shape[0]
        context = 0 if context < 0 else (n_contexts - 1 if context >= n_contexts else context)
        if switches[RSTDP_BASELINE] == 1:
            expected = rule.baseline[context]
            dopamine += reward - expected
            if switches[RSTDP_ENABLED] == 1:
                rule.baseline[context] = expected + params[RSTDP_BASELINE_RATE] * (
                    reward - expected
                )
        else:
            dopamine += reward
        rule.reward[0] = np.nan
    rule.dopamine[0] = dopamine
    return dopamine


@njit(**KERNEL_JIT)
def reward_stdp_step(net: NetworkState, q: int, rule: RewardSTDPState) -> None:
    """Apply one step of reward-modulated STDP to projection ``q``."""
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    params, switches = rule.params, rule.switches
    step = net.clock[CLK_STEP]
    offset = step - switches[RSTDP_EPOCH_START]
    if offset >= rule.dopamine_sum.shape[0]:
        _rebase(net, q, rule, step - 1)
        offset = 1
    x, y = rule.pre_trace, rule.post_trace
    pre_decay, post_decay = params[RSTDP_PRE_DECAY], params[RSTDP_POST_DECAY]
    for i in range(x.shape[0]):
        x[i] *= pre_decay
    for j in range(y.shape[0]):
        y[j] *= post_decay
    dopamine = _deliver_reward(rule)
    dopamine_now = dopamine + params[RSTDP_TONIC] if switches[RSTDP_ENABLED] == 1 else 0.0
    rule.dopamine_sum[offset] = (
        rule.dopamine_sum[offset - 1] + rule.decay_powers[offset] * dopamine_now
    )
    pre, post = syn.ints[q, PRJ_PRE], syn.ints[q, PRJ_POST]
    pre_start, post_start = pops[pre, POP_START], pops[post, POP_START]
    n_pre_spikes, n_post_spikes = pops[pre, POP_SPIKE_COUNT], pops[post, POP_SPIKE_COUNT]
    a_plus, a_minus = params[RSTDP_A_PLUS], params[RSTDP_A_MINUS]
    dense = syn.ints[q, PRJ_DENSE] == 1
    n_post = syn.ints[q, PRJ_N_POST]
    ptr, idx = syn.ints[q, PRJ_PTR_START], syn.ints[q, PRJ_IDX_START]
    scale, settled = rule.inverse_powers[offset], rule.dopamine_sum[offset - 1]
    # potentiation of the eligibility: each postsynaptic spike, along its column, by A+ x_i
    rows, synapse_ids = rule.scratch_rows, rule.scratch_synapses
    for s in range(n_post_spikes):
        j = spike_ids[post_start + s] - post_start
        if dense:  # column j: synapses j, j + n_post, ... (no gather)
            for i in range(x.shape[0]):
                _pair(rule, i * n_post + j, scale, settled, a_plus * x[i])
            continue
        count = column_synapses(syn, q, j, rows, synapse_ids)
        for e in range(count):
            _pair(rule, synapse_ids[e], scale, settled, a_plus * x[rows[e]])
    # depression of the eligibility: each presynaptic spike, along its row, by A- y_j; then
    # the row's weights are written (the rows the next spikes of these neurons will carry)
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        begin = i * n_post if dense else syn.indptr[ptr + i]
        end = begin + n_post if dense else syn.indptr[ptr + i + 1]
        for k in range(begin, end):
            j = k - begin if dense else syn.indices[idx + k]
            _pair(rule, k, scale, settled, -a_minus * y[j])
            _write_weight(syn, q, rule, k, offset)
    for s in range(n_pre_spikes):
        x[spike_ids[pre_start + s] - pre_start] += 1.0
    for s in range(n_post_spikes):
        y[spike_ids[post_start + s] - post_start] += 1.0


@njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
def sync_reward_stdp_weights(  # type: ignore[no-untyped-def]
    weights, w_low, w_high, eligibility, dopamine_sum, rate_dt, offset
):
    """Write the pending change of every synapse of one projection up to ``offset``, in place.

    Called between steps (not inside the network step) with the projection's
    flat float32 ``weights`` and its clipping bounds; ``offset`` is the last
    completed step minus the epoch start. Afterwards every weight is the one
    of the eager rule at that step (clipped when written).
    """
    total = dopamine_sum[offset]
    for k in range(weights.shape[0]):
        settled = np.float64(eligibility[k, 0]) * total
        pending = settled - np.float64(eligibility[k, 1])
        eligibility[k, 1] = settled
        if pending != 0.0:
            w = weights[k] + rate_dt * pending
            weights[k] = min(max(w, w_low), w_high)
