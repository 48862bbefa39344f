r"""PES (prescribed error sensitivity), the kernel of
:class:`~neurocontrol.core.model.error_rules.PES`.

Learning-rate units: weight (decoder) change per second per Hz of activity
per unit of error, unnormalised by the neuron count,
:math:`\Delta w = -\kappa\,dt\,a \otimes E`. With a weight decay
(``decay_tau``) every weight of the projection is first multiplied by
:math:`\gamma = e^{-dt/\tau_{decay}}` each step, the forgetting of the fast
process of a two-rate model (Smith, Ghazizadeh & Shadmehr 2006). The decay is
a property of the memory, not of learning: it goes on while the rule is
disabled (frozen), as the fast process forgets in error-clamp trials, where
no error drives learning; only the error-driven changes stop. With a decay
period of :math:`k` steps the weights are multiplied by :math:`\gamma^k` at
the end of every :math:`k`-th step instead (as a learning engine applies its
updates once per learning epoch): the same forgetting at a :math:`k`-th of
the cost, a dense pass over the weights being the rule's largest expense on
a sparsely spiking population.

On a readout (a projection onto an :class:`~neurocontrol.core.model.network.Output`)
the rule also keeps the output equal to the decoding of each presynaptic
neuron's activity through the output's synapse by the *current* weights,
:math:`y_j = \sum_i w_{ij} \bar a_i`: the readout kernel adds this step's
spikes (or rates) with the weights they meet, and every weight change
:math:`\Delta w_{ij}` moves the output by :math:`\Delta w_{ij} \bar a_i` at
once, as decoding the filtered activities with the learned decoders does.
Without that the output would follow a change of the decoders only through
the synapse, a delay of its time constant inside the learning loop. The
traces :math:`\bar a_i` of spiking neurons are brought up to date at their
spikes only (the spiking ones are the only rows per-spike PES changes); those
of rate neurons are filtered every step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import HELPER_JIT, REDUCTION_JIT
from neurocontrol.core.kernels.step.readout import readout_rates
from neurocontrol.core.kernels.step.state import (
    CLK_STEP,
    POP_DT,
    POP_R_M,
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_DEFERRED,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_LEARNING_MACS_STEP,
    PRJ_LEARNING_SYNOPS_STEP,
    PRJ_MACS_STEP,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_N_SYN,
    PRJ_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    NetworkState,
)
from neurocontrol.core.kernels.step.synapses import STORAGE_DENSE, add_weight_change, clipped_weight

__all__ = [
    "ACTIVITY_FLOOR",
    "PES_ACTIVITY_DECAY",
    "PES_ACTIVITY_SCALE",
    "PES_DECAY_STEPS",
    "PES_ENABLED",
    "PES_FILTERED",
    "PES_IDENTITY",
    "PES_OUTPUT_DECAY",
    "PES_OUTPUT_GAIN",
    "PES_PRE_RATES",
    "PES_RATE_DT",
    "PES_READOUT",
    "PES_WEIGHT_DECAY",
    "PESState",
    "pes_readout_rates",
    "pes_step",
]

# Entries of PESState.params
PES_ACTIVITY_DECAY = 0  # exp(-dt / pre_tau)
PES_ACTIVITY_SCALE = 1  # (1 - exp(-dt / pre_tau)) / dt: a spike's contribution, Hz
PES_RATE_DT = 2  # learning_rate * dt
PES_OUTPUT_DECAY = 3  # readout: the output synapse's exp(-dt / tau)
PES_OUTPUT_GAIN = 4  # readout: (1 - that) / dt, a spike's contribution to its trace, Hz
PES_WEIGHT_DECAY = 5  # exp(-k dt / decay_tau); only in the params of a rule with a decay
PES_DECAY_STEPS = 6  # k: the decay every k-th step (its end), k >= 1; with PES_WEIGHT_DECAY
# Entries of PESState.switches
PES_ENABLED = 0  # 0 stops the error-driven changes (the filter, traces and decay still run)
PES_IDENTITY = 1  # 1: the error is already per postsynaptic neuron (no encoders)
PES_FILTERED = 2  # 1: filtered presynaptic activity (pre_tau); 0: the spikes or rates themselves
PES_PRE_RATES = 3  # 1: the presynaptic population is a rate model (delivers r dt)
PES_READOUT = 4  # 1: onto an Output, whose value follows the weight changes

#: Filtered activities (Hz) below this are set to zero: a silent neuron's trace would
#: otherwise decay into subnormal floats, where every multiply costs ~100x.
ACTIVITY_FLOOR = 1e-30


class PESState(NamedTuple):
    """State and parameters of one PES rule instance on a projection."""

    activity: np.ndarray  # f8 [n_pre] filtered presynaptic activity a_i (Hz); [1] unfiltered
    error: np.ndarray  # f8 [error_dims], the error vector E (third factor)
    encoders: np.ndarray  # f8 [n_post, error_dims], projection P of the error
    projected: np.ndarray  # f8 [n_post], scratch: e = P E (-kappa e when per spike)
    params: np.ndarray  # f8 [5], PES_ACTIVITY_DECAY ... PES_OUTPUT_GAIN; [7] with a decay
    switches: np.ndarray  # i8 [5], PES_ENABLED ... PES_READOUT
    trace: np.ndarray  # f8 [n_pre] readout: activity through the output synapse (Hz); else [1]
    last: np.ndarray  # i8 [n_pre] readout from spikes: step of each neuron's last spike
    powers: np.ndarray  # f8 [m] readout from spikes: decay**k, 0 beyond the table


@njit(**HELPER_JIT)
def _filter_activity(net: NetworkState, q: int, rule: PESState) -> int:
    """Decay the filtered activity, add this step's spikes (or r dt); return the MACs."""
    syn, pops = net.synapses, net.populations.ints
    params, activity = rule.params, rule.activity
    decay, scale = params[PES_ACTIVITY_DECAY], params[PES_ACTIVITY_SCALE]
    n_pre = activity.shape[0]
    for i in range(n_pre):
        a = activity[i] * decay
        activity[i] = a if a >= ACTIVITY_FLOOR else 0.0
    pre = syn.ints[q, PRJ_PRE]
    pre_start = pops[pre, POP_START]
    if rule.switches[PES_PRE_RATES] == 1:
        rate, per_hz = net.neurons.rate, scale * net.dt[0]
        for i in range(n_pre):
            activity[i] += per_hz * rate[pre_start + i]
        return 2 * n_pre
    spike_ids = net.neurons.spike_ids
    for s in range(pops[pre, POP_SPIKE_COUNT]):
        activity[spike_ids[pre_start + s] - pre_start] += scale
    return n_pre


@njit(**HELPER_JIT)
def _update_traces(net: NetworkState, q: int, rule: PESState) -> int:
    """Bring the readout traces up to date with this step's activity; return the MACs.

    Rate neurons: every trace filtered (a MAC each). Spiking neurons: only the
    spiking ones, from their value at their last spike (the table of powers
    of the decay), plus the spike.
    """
    pops = net.populations.ints
    pre = net.synapses.ints[q, PRJ_PRE]
    pre_start = pops[pre, POP_START]
    params, trace = rule.params, rule.trace
    decay, gain = params[PES_OUTPUT_DECAY], params[PES_OUTPUT_GAIN]
    if rule.switches[PES_PRE_RATES] == 1:
        rate, per_hz = net.neurons.rate, gain * net.dt[0]
        for i in range(trace.shape[0]):
            a = trace[i] * decay + per_hz * rate[pre_start + i]
            trace[i] = a if a >= ACTIVITY_FLOOR else 0.0
        return trace.shape[0]
    step, last, powers = net.clock[CLK_STEP], rule.last, rule.powers
    n_powers = powers.shape[0]
    n_spikes = pops[pre, POP_SPIKE_COUNT]
    spike_ids = net.neurons.spike_ids
    for s in range(n_spikes):
        i = spike_ids[pre_start + s] - pre_start
        elapsed = step - last[i]
        trace[i] = trace[i] * (powers[elapsed] if elapsed < n_powers else 0.0) + gain
        last[i] = step
    return n_spikes


@njit(**HELPER_JIT)
def _project_error(rule: PESState) -> bool:
    """``projected = P E`` (or ``E``); whether any entry is nonzero."""
    error, projected = rule.error, rule.projected
    any_error = False
    if rule.switches[PES_IDENTITY] == 1:
        for j in range(projected.shape[0]):
            projected[j] = error[j]
            any_error = any_error or error[j] != 0.0
        return any_error
    encoders = rule.encoders
    for j in range(projected.shape[0]):
        total = 0.0
        for d in range(error.shape[0]):
            total += encoders[j, d] * error[d]
        projected[j] = total
        any_error = any_error or total != 0.0
    return any_error


@njit(**HELPER_JIT)
def _change_row(net: NetworkState, q: int, i: int, factor: float, projected: np.ndarray) -> None:
    """``w[i, j] += factor * projected[j]`` over row ``i``'s synapses (clipped or buffered)."""
    syn = net.synapses
    table = syn.ints
    n_post = table[q, PRJ_N_POST]
    dense = table[q, PRJ_DENSE] == STORAGE_DENSE
    begin = i * n_post if dense else syn.indptr[table[q, PRJ_PTR_START] + i]
    end = begin + n_post if dense else syn.indptr[table[q, PRJ_PTR_START] + i + 1]
    idx = table[q, PRJ_IDX_START]
    for k in range(begin, end):
        j = k - begin if dense else syn.indices[idx + k]
        add_weight_change(syn, q, k, factor * projected[j])


@njit(**HELPER_JIT)
def _change_dense_rows(
    net: NetworkState, q: int, values: np.ndarray, scale: float, projected: np.ndarray
) -> None:
    """``w[i, j] += scale * values[i] * projected[j]`` over a dense, write-through projection.

    Every row in one pass (a zero value changes nothing: the clipped sum
    keeps the weight), without a branch or a call per row.
    """
    syn = net.synapses
    table = syn.ints
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    start = table[q, PRJ_W_START]
    weights = syn.weights[start : start + n_pre * n_post]
    for i in range(n_pre):
        factor = scale * values[i]
        row = weights[i * n_post : (i + 1) * n_post]
        for j in range(n_post):
            row[j] = clipped_weight(row[j], factor * projected[j], low, high)


@njit(**HELPER_JIT)
def _change_readout(
    net: NetworkState, q: int, values: np.ndarray, scale: float, rule: PESState
) -> None:
    """``w[i, j] += scale * values[i] * projected[j]`` on a readout; the output follows.

    Output by output over contiguous columns; each output moves by the change
    of its weights times the traces (the sum vectorises under reassociation).
    """
    syn = net.synapses
    table = syn.ints
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    weights = syn.weights[table[q, PRJ_W_START] :]
    post_start = net.populations.ints[table[q, PRJ_POST], POP_START]
    value = net.neurons.v[post_start : post_start + n_post]
    projected, trace = rule.projected, rule.trace
    for j in range(n_post):
        factor = scale * projected[j]
        column = weights[j * n_pre : (j + 1) * n_pre]
        moved = 0.0
        for i in range(n_pre):
            old = column[i]
            new = clipped_weight(old, factor * values[i], low, high)
            column[i] = new
            moved += (new - old) * trace[i]
        value[j] += moved


@njit(**HELPER_JIT)
def _add_to_spiking_rows(net: NetworkState, q: int, rule: PESState) -> int:
    """``w[i, j] += projected[j]`` for every presynaptic neuron ``i`` that spiked; the spikes.

    On a readout the output moves by each change times the spiking neuron's trace.
    """
    syn, pops = net.synapses, net.populations.ints
    table = syn.ints
    pre = table[q, PRJ_PRE]
    pre_start, n_spikes = pops[pre, POP_START], pops[pre, POP_SPIKE_COUNT]
    spikes = net.neurons.spike_ids[pre_start : pre_start + n_spikes]
    projected = rule.projected
    if rule.switches[PES_READOUT] != 1:
        for s in range(n_spikes):
            _change_row(net, q, spikes[s] - pre_start, 1.0, projected)
        return n_spikes
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    weights = syn.weights[table[q, PRJ_W_START] :]
    post_start = pops[table[q, PRJ_POST], POP_START]
    value, trace = net.neurons.v[post_start : post_start + n_post], rule.trace
    for j in range(n_post):
        change = projected[j]
        column = weights[j * n_pre : (j + 1) * n_pre]
        moved = 0.0
        for s in range(n_spikes):
            i = spikes[s] - pre_start
            old = column[i]
            new = clipped_weight(old, change, low, high)
            column[i] = new
            moved += (new - old) * trace[i]
        value[j] += moved
    return n_spikes


@njit(**HELPER_JIT)
def _decay_weights(net: NetworkState, q: int, rule: PESState, factor: float) -> int:
    """Every weight of projection ``q`` times ``factor``; a readout's output follows; the MACs.

    A readout's output moves by each weight's change times its neuron's
    trace now, as with PES's own changes (the output may hold other
    projections' decodings too, which keep theirs). Several rules on one
    projection buffer the decay as a change, like their other changes.
    """
    syn = net.synapses
    table = syn.ints
    n_post = table[q, PRJ_N_POST]
    count = table[q, PRJ_N_SYN]  # every layout stores its synapses' weights contiguously
    shrink = factor - 1.0
    first = table[q, PRJ_W_START]
    if table[q, PRJ_DEFERRED] == 1:
        for k in range(count):
            add_weight_change(syn, q, k, shrink * syn.weights[first + k])
        return count
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    weights = syn.weights[first : first + count]
    if rule.switches[PES_READOUT] != 1:
        for k in range(count):
            weights[k] = clipped_weight(weights[k], shrink * weights[k], low, high)
        return count
    n_pre = table[q, PRJ_N_PRE]
    trace, last, powers = rule.trace, rule.last, rule.powers
    spiking, step, n_powers = (
        rule.switches[PES_PRE_RATES] != 1,
        net.clock[CLK_STEP],
        powers.shape[0],
    )
    post_start = net.populations.ints[table[q, PRJ_POST], POP_START]
    value = net.neurons.v[post_start : post_start + n_post]
    for i in range(n_pre):
        now = trace[i]
        if spiking:  # stored as of the neuron's last spike: brought to now
            elapsed = step - last[i]
            now *= powers[elapsed] if elapsed < n_powers else 0.0
        for j in range(n_post):
            k = j * n_pre + i  # a readout's weights are stored output by output
            old = weights[k]
            new = clipped_weight(old, shrink * old, low, high)
            weights[k] = new
            value[j] += (new - old) * now
    return 2 * count


@njit(**REDUCTION_JIT)
def pes_step(net: NetworkState, q: int, rule: PESState) -> None:
    r"""One step of PES on projection ``q``: :math:`\Delta w_{ij} = -\kappa\,dt\,a_i\,(PE)_j`.

    Filtered (``pre_tau``): the activity filter takes this step's spikes (or
    rates) first. Unfiltered: each spiking neuron's row moves by
    :math:`-\kappa\,(PE)_j` (adds of the once-scaled error: SynOps), or each
    active rate neuron's by :math:`-\kappa\,dt\,r_i\,(PE)_j`. A zero error
    costs nothing. On a readout the output follows (see the module
    docstring). A rule with a weight decay scales every weight first (every
    step, or every ``k``-th), also while disabled. Counts
    its operations in the projection table (``learning_synops_step``,
    ``learning_macs_step``).
    """
    table = net.synapses.ints
    switches, params = rule.switches, rule.params
    filtered = switches[PES_FILTERED] == 1
    readout = switches[PES_READOUT] == 1
    macs = _filter_activity(net, q, rule) if filtered else 0
    if readout:
        macs += _update_traces(net, q, rule)
    synops = 0
    # enabled or not: the memory forgets (at the end of every k-th step)
    decaying = params.shape[0] > PES_WEIGHT_DECAY
    if decaying and (net.clock[CLK_STEP] + 1) % np.int64(params[PES_DECAY_STEPS]) == 0:
        macs += _decay_weights(net, q, rule, params[PES_WEIGHT_DECAY])
    if switches[PES_ENABLED] == 1 and _project_error(rule):
        projected = rule.projected
        n_post = projected.shape[0]
        rate_dt = params[PES_RATE_DT]
        if filtered or switches[PES_PRE_RATES] == 1:
            pre_start = net.populations.ints[table[q, PRJ_PRE], POP_START]
            values = rule.activity if filtered else net.neurons.rate[pre_start:]
            n_pre = table[q, PRJ_N_PRE]
            active = 0
            for i in range(n_pre):
                active += values[i] != 0.0
            if readout:
                _change_readout(net, q, values, -rate_dt, rule)
                macs += active * n_post  # the output following its weights
            elif table[q, PRJ_DENSE] == STORAGE_DENSE and table[q, PRJ_DEFERRED] != 1:
                _change_dense_rows(net, q, values, -rate_dt, projected)
            else:
                for i in range(n_pre):
                    if values[i] != 0.0:
                        _change_row(net, q, i, -rate_dt * values[i], projected)
            macs += n_post + active * n_post
        else:
            # per spike: the error scaled once, then added to each spiking neuron's row
            per_spike = rate_dt / net.dt[0]
            for j in range(n_post):
                projected[j] *= -per_spike
            n_spikes = _add_to_spiking_rows(net, q, rule)
            macs += (n_post + (n_spikes * n_post if readout else 0)) if n_spikes else 0
            synops += n_spikes * n_post
    table[q, PRJ_LEARNING_SYNOPS_STEP] = synops
    table[q, PRJ_LEARNING_MACS_STEP] = macs


@njit(**REDUCTION_JIT)
def pes_readout_rates(net: NetworkState, q: int, rule: PESState) -> None:
    r"""The readout of a rate population
    (:func:`~neurocontrol.core.kernels.step.readout.readout_rates`) and its unfiltered PES in
    one pass over the weights; the readout's propagation kernel.

    In a step that learns and does not decay, each output's column is read
    once: :math:`y_j \mathrel{+}= g \sum_i r_i w_{ij}` with the weights before
    this step's change (as the readout kernel adds them before the rule
    runs), then the change and the output following it, the arithmetic of
    :func:`pes_step` term by term. Other steps (frozen, zero error, a decay
    due, filtered activity) call the two kernels in turn. The sums are
    compiled with reassociation, so they may differ from the two passes in
    the last bits; the weights do not. Operation counts as the two kernels
    set them.
    """
    table = net.synapses.ints
    switches, params = rule.switches, rule.params
    decaying = params.shape[0] > PES_WEIGHT_DECAY
    due = decaying and (net.clock[CLK_STEP] + 1) % np.int64(params[PES_DECAY_STEPS]) == 0
    if (
        due
        or switches[PES_FILTERED] == 1
        or switches[PES_ENABLED] != 1
        or table[q, PRJ_DEFERRED] == 1
        or not _project_error(rule)
    ):
        readout_rates(net.populations, q, net.synapses, net.neurons, net.ring, net.clock)
        pes_step(net, q, rule)
        return
    pops, floats = net.populations.ints, net.populations.floats
    syn = net.synapses
    pre, post = table[q, PRJ_PRE], table[q, PRJ_POST]
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    gain = floats[post, POP_R_M] * floats[pre, POP_DT]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    pre_start, post_start = pops[pre, POP_START], pops[post, POP_START]
    value = net.neurons.v[post_start : post_start + n_post]
    rate = net.neurons.rate[pre_start : pre_start + n_pre]
    weights = syn.weights[table[q, PRJ_W_START] :]
    macs = _update_traces(net, q, rule)
    trace, projected = rule.trace, rule.projected
    scale = -params[PES_RATE_DT]
    # unbounded (a readout's usual weights): the clip is the identity, three selects fewer
    unbounded = low == -np.inf and high == np.inf
    for j in range(n_post):
        factor = scale * projected[j]
        column = weights[j * n_pre : (j + 1) * n_pre]
        total = 0.0
        moved = 0.0
        if unbounded:
            for i in range(n_pre):
                r = rate[i]
                old = column[i]
                total += r * old
                change = factor * r
                new = old if change == 0.0 else old + change
                column[i] = new
                moved += (new - old) * trace[i]
        else:
            for i in range(n_pre):
                r = rate[i]
                old = column[i]
                total += r * old
                new = clipped_weight(old, factor * r, low, high)
                column[i] = new
                moved += (new - old) * trace[i]
        value[j] += gain * total
        value[j] += moved
    active = 0
    for i in range(n_pre):
        active += rate[i] != 0.0
    table[q, PRJ_MACS_STEP] = active * n_post
    table[q, PRJ_LEARNING_SYNOPS_STEP] = 0
    table[q, PRJ_LEARNING_MACS_STEP] = macs + n_post + 2 * active * n_post
