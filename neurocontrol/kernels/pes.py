r"""PES (prescribed error sensitivity): on a decoder matrix and on a projection.

:func:`pes_decoder_update` is standalone (called once per control step from
an agent, outside the network step), so it is compiled and cached on its
own. :func:`pes_step` is the rule kernel of
:class:`~neurocontrol.model.error_rules.PES` inside the network step. Both
use the same learning-rate units: weight (decoder) change per second per Hz
of filtered activity per unit of error, unnormalised by the neuron count,
:math:`\Delta D = -\kappa\,dt\,a \otimes E`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.kernels.flags import HELPER_JIT, KERNEL_JIT
from neurocontrol.kernels.state import (
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_DEFERRED,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_LEARNING_MACS_STEP,
    PRJ_LEARNING_SYNOPS_STEP,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_PRE,
    PRJ_PTR_START,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    NetworkState,
)
from neurocontrol.kernels.synapses import (
    STORAGE_DENSE,
    STORAGE_READOUT,
    add_weight_change,
    clipped_weight,
)

__all__ = [
    "PES_ACTIVITY_DECAY",
    "PES_ACTIVITY_SCALE",
    "PES_ENABLED",
    "PES_FILTERED",
    "PES_IDENTITY",
    "PES_PRE_RATES",
    "PES_RATE_DT",
    "PESState",
    "pes_decoder_update",
    "pes_step",
]


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


# Entries of PESState.params
PES_ACTIVITY_DECAY = 0  # exp(-dt / pre_tau)
PES_ACTIVITY_SCALE = 1  # (1 - exp(-dt / pre_tau)) / dt: a spike's contribution, Hz
PES_RATE_DT = 2  # learning_rate * dt
# Entries of PESState.switches
PES_ENABLED = 0  # 0 freezes the weights (the activity filter still runs)
PES_IDENTITY = 1  # 1: the error is already per postsynaptic neuron (no encoders)
PES_FILTERED = 2  # 1: filtered presynaptic activity (pre_tau); 0: the spikes or rates themselves
PES_PRE_RATES = 3  # 1: the presynaptic population is a rate model (delivers r dt)

#: Filtered activities (Hz) below this are set to zero: a silent neuron's trace would
#: otherwise decay into subnormal floats, where every multiply costs ~100x.
ACTIVITY_FLOOR = 1e-30


class PESState(NamedTuple):
    """State and parameters of one PES rule instance on a projection."""

    activity: np.ndarray  # f8 [n_pre] filtered presynaptic activity a_i (Hz); [1] unfiltered
    error: np.ndarray  # f8 [error_dims], the error vector E (third factor)
    encoders: np.ndarray  # f8 [n_post, error_dims], projection P of the error
    projected: np.ndarray  # f8 [n_post], scratch: e = P E (-kappa e when per spike)
    params: np.ndarray  # f8 [3], PES_ACTIVITY_DECAY, PES_ACTIVITY_SCALE, PES_RATE_DT
    switches: np.ndarray  # i8 [4], PES_ENABLED, PES_IDENTITY, PES_FILTERED, PES_PRE_RATES


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
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    storage = table[q, PRJ_DENSE]
    if storage == STORAGE_READOUT:  # by output: synapse (i, j) is j * n_pre + i
        for j in range(n_post):
            add_weight_change(syn, q, j * n_pre + i, factor * projected[j])
        return
    dense = storage == STORAGE_DENSE
    begin = i * n_post if dense else syn.indptr[table[q, PRJ_PTR_START] + i]
    end = begin + n_post if dense else syn.indptr[table[q, PRJ_PTR_START] + i + 1]
    idx = table[q, PRJ_IDX_START]
    for k in range(begin, end):
        j = k - begin if dense else syn.indices[idx + k]
        add_weight_change(syn, q, k, factor * projected[j])


@njit(**HELPER_JIT)
def _change_written_through(
    net: NetworkState, q: int, values: np.ndarray, scale: float, projected: np.ndarray
) -> None:
    """``w[i, j] += scale * values[i] * projected[j]`` over a dense projection, clipped.

    A single rule writes through: every weight in one pass (a zero value
    changes nothing, as the clipped sum keeps the weight) without a branch
    or a call per row; a readout's weights by output, contiguous, so the
    pass vectorises.
    """
    syn = net.synapses
    table = syn.ints
    n_pre, n_post = table[q, PRJ_N_PRE], table[q, PRJ_N_POST]
    low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
    start = table[q, PRJ_W_START]
    weights = syn.weights[start : start + n_pre * n_post]
    if table[q, PRJ_DENSE] == STORAGE_READOUT:
        for j in range(n_post):
            factor = scale * projected[j]
            column = weights[j * n_pre : (j + 1) * n_pre]
            for i in range(n_pre):
                column[i] = clipped_weight(column[i], factor * values[i], low, high)
        return
    for i in range(n_pre):
        factor = scale * values[i]
        row = weights[i * n_post : (i + 1) * n_post]
        for j in range(n_post):
            row[j] = clipped_weight(row[j], factor * projected[j], low, high)


@njit(**HELPER_JIT)
def _add_to_spiking_rows(net: NetworkState, q: int, projected: np.ndarray) -> int:
    """``w[i, j] += projected[j]`` for every presynaptic neuron ``i`` that spiked; the spikes."""
    syn, pops = net.synapses, net.populations.ints
    table = syn.ints
    pre = table[q, PRJ_PRE]
    pre_start, n_spikes = pops[pre, POP_START], pops[pre, POP_SPIKE_COUNT]
    spikes = net.neurons.spike_ids[pre_start : pre_start + n_spikes]
    if table[q, PRJ_DENSE] == STORAGE_READOUT and table[q, PRJ_DEFERRED] != 1:
        n_pre = table[q, PRJ_N_PRE]
        low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
        weights = syn.weights[table[q, PRJ_W_START] :]
        for j in range(projected.shape[0]):
            change = projected[j]
            column = weights[j * n_pre : (j + 1) * n_pre]
            for s in range(n_spikes):
                i = spikes[s] - pre_start
                column[i] = clipped_weight(column[i], change, low, high)
        return n_spikes
    for s in range(n_spikes):
        _change_row(net, q, spikes[s] - pre_start, 1.0, projected)
    return n_spikes


@njit(**KERNEL_JIT)
def pes_step(net: NetworkState, q: int, rule: PESState) -> None:
    r"""One step of PES on projection ``q``: :math:`\Delta w_{ij} = -\kappa\,dt\,a_i\,(PE)_j`.

    Filtered (``pre_tau``): the activity filter takes this step's spikes (or
    rates) first. Unfiltered: each spiking neuron's row moves by
    :math:`-\kappa\,(PE)_j` (adds of the once-scaled error: SynOps), or each
    active rate neuron's by :math:`-\kappa\,dt\,r_i\,(PE)_j`. A zero error
    costs nothing. Counts its operations in the projection table
    (``learning_synops_step``, ``learning_macs_step``).
    """
    table = net.synapses.ints
    switches, params = rule.switches, rule.params
    filtered = switches[PES_FILTERED] == 1
    macs = _filter_activity(net, q, rule) if filtered else 0
    synops = 0
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
            storage = table[q, PRJ_DENSE]
            dense = storage in (STORAGE_DENSE, STORAGE_READOUT)
            if dense and table[q, PRJ_DEFERRED] != 1:
                _change_written_through(net, q, values, -rate_dt, projected)
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
            n_spikes = _add_to_spiking_rows(net, q, projected)
            macs += n_post if n_spikes else 0
            synops += n_spikes * n_post
    table[q, PRJ_LEARNING_SYNOPS_STEP] = synops
    table[q, PRJ_LEARNING_MACS_STEP] = macs
