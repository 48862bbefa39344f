r"""Kernel of :class:`~neurocontrol.model.reward_rules.RewardSTDP`, event-driven.

Discrete rule (the eager form, which the NumPy reference transcribes): in
step :math:`n`, after decaying the STDP traces,

.. math::

    d_n = \lambda_d d_{n-1} + (r_n - b), \qquad
    c_n = \lambda_e c_{n-1} + \Delta c_n, \qquad
    w_n = w_{n-1} + \eta\,\Delta t\, c_n D_n, \quad D_n = d_n + d_0

with :math:`\Delta c_n` this step's pairings (``+A+ x_i`` at a post spike,
``-A- y_j`` at a pre spike). Between two touches of a synapse (a spike of
its pre or post neuron) :math:`c` only decays, so the weight change over
steps :math:`t+1 .. n` is :math:`\eta\Delta t\, c_t \sum_{m=t+1}^{n}
\lambda_e^{m-t} D_m = \eta\Delta t\, c_t (S_n - S_t)/\lambda_e^{t-T}`, with
the global running sum :math:`S_n = \sum_{m=T+1}^{n} \lambda_e^{m-T} D_m`
kept for every step of the current epoch (start :math:`T`). A touch applies
that change, decays :math:`c` and adds its pairing. The epoch is re-based
(every synapse brought up to date, :math:`S` restarted) once every
``epoch_length`` steps, which bounds :math:`\lambda_e^{-(t-T)}` by
:math:`e^{10}` and costs one pass over the synapses per epoch; between
re-bases a step costs O(neurons + touched synapses), whatever the dopamine.
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
    # f4 [n_syn, 2]: c at the synapse's last touch (after its pairing), and the step of that
    # touch minus the epoch start (exact in float32: epochs are at most 65536 steps); one
    # cache line holds both, which halves the misses of a column walk on a dense projection
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
def _touch(
    syn: Synapses,
    q: int,
    rule: RewardSTDPState,
    k: int,
    offset: int,
    change: float,
    dopamine_now: float,
) -> None:
    """Bring synapse ``k`` up to step ``offset`` of the epoch, then add the pairing ``change``."""
    state = rule.eligibility
    eligibility = np.float64(state[k, 0])
    last = np.int64(state[k, 1])
    dw = 0.0
    if last != offset:
        if eligibility != 0.0:
            integral = rule.dopamine_sum[offset] - rule.dopamine_sum[last]
            dw = rule.params[RSTDP_RATE_DT] * eligibility * integral * rule.inverse_powers[last]
            eligibility *= rule.decay_powers[offset - last]
        state[k, 1] = offset
    if change != 0.0:
        eligibility += change
        dw += rule.params[RSTDP_RATE_DT] * change * dopamine_now
    state[k, 0] = eligibility
    add_weight_change(syn, q, k, dw)


@njit(**KERNEL_JIT)
def _rebase(net: NetworkState, q: int, rule: RewardSTDPState, step: int) -> None:
    """Bring every synapse up to ``step`` (the last step of the epoch) and start a new epoch."""
    last_offset = step - rule.switches[RSTDP_EPOCH_START]
    for k in range(net.synapses.ints[q, PRJ_N_SYN]):
        _touch(net.synapses, q, rule, k, last_offset, 0.0, 0.0)
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
    # depression of the eligibility: each presynaptic spike, along its row, by A- y_j
    for s in range(n_pre_spikes):
        i = spike_ids[pre_start + s] - pre_start
        begin = i * n_post if dense else syn.indptr[ptr + i]
        end = begin + n_post if dense else syn.indptr[ptr + i + 1]
        for k in range(begin, end):
            j = k - begin if dense else syn.indices[idx + k]
            _touch(syn, q, rule, k, offset, -a_minus * y[j], dopamine_now)
    # potentiation of the eligibility: each postsynaptic spike, along its column, by A+ x_i
    rows, synapse_ids = rule.scratch_rows, rule.scratch_synapses
    for s in range(n_post_spikes):
        j = spike_ids[post_start + s] - post_start
        count = column_synapses(syn, q, j, rows, synapse_ids)
        for e in range(count):
            _touch(syn, q, rule, synapse_ids[e], offset, a_plus * x[rows[e]], dopamine_now)
    for s in range(n_pre_spikes):
        x[spike_ids[pre_start + s] - pre_start] += 1.0
    for s in range(n_post_spikes):
        y[spike_ids[post_start + s] - post_start] += 1.0


@njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
def sync_reward_stdp_weights(  # type: ignore[no-untyped-def]
    weights, w_low, w_high, eligibility, dopamine_sum, decay_powers, inverse_powers, rate_dt, offset
):
    """Bring every synapse of one projection up to step ``offset`` of the epoch, in place.

    Called between steps (not inside the network step) with the projection's
    flat float32 ``weights`` and its clipping bounds; ``offset`` is the last
    completed step minus the epoch start. Afterwards every weight and
    eligibility is the one of the eager rule at that step.
    """
    for k in range(weights.shape[0]):
        last = np.int64(eligibility[k, 1])
        if last == offset:
            continue
        value = np.float64(eligibility[k, 0])
        if value != 0.0:
            integral = dopamine_sum[offset] - dopamine_sum[last]
            w = weights[k] + rate_dt * value * integral * inverse_powers[last]
            weights[k] = min(max(w, w_low), w_high)
            eligibility[k, 0] = value * decay_powers[offset - last]
        eligibility[k, 1] = offset
