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

from neurocontrol.kernels.flags import KERNEL_JIT
from neurocontrol.kernels.state import (
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_DEFERRED,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_PRE,
    PRJ_PTR_START,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    NetworkState,
)
from neurocontrol.kernels.synapses import add_weight_change, clipped_weight

__all__ = [
    "PES_ACTIVITY_DECAY",
    "PES_ACTIVITY_SCALE",
    "PES_ENABLED",
    "PES_IDENTITY",
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


class PESState(NamedTuple):
    """State and parameters of one PES rule instance on a projection."""

    activity: np.ndarray  # f8 [n_pre], filtered presynaptic activity a_i (Hz)
    error: np.ndarray  # f8 [error_dims], the error vector E (third factor)
    encoders: np.ndarray  # f8 [n_post, error_dims], projection P of the error
    projected: np.ndarray  # f8 [n_post], scratch: e = P E
    params: np.ndarray  # f8 [3], PES_ACTIVITY_DECAY, PES_ACTIVITY_SCALE, PES_RATE_DT
    switches: np.ndarray  # i8 [2], PES_ENABLED, PES_IDENTITY


@njit(**KERNEL_JIT)
def pes_step(net: NetworkState, q: int, rule: PESState) -> None:
    r"""One step of PES on projection ``q``: :math:`\Delta w_{ij} = -\kappa\,dt\,a_i\,(PE)_j`.

    The activity filter takes this step's presynaptic spikes first; rows of
    silent neurons (``a_i == 0``) and a zero error cost nothing.
    """
    syn, pops, spike_ids = net.synapses, net.populations.ints, net.neurons.spike_ids
    params, activity = rule.params, rule.activity
    decay = params[PES_ACTIVITY_DECAY]
    for i in range(activity.shape[0]):
        activity[i] *= decay
    pre = syn.ints[q, PRJ_PRE]
    pre_start = pops[pre, POP_START]
    scale = params[PES_ACTIVITY_SCALE]
    for s in range(pops[pre, POP_SPIKE_COUNT]):
        activity[spike_ids[pre_start + s] - pre_start] += scale
    if rule.switches[PES_ENABLED] != 1:
        return
    error, projected = rule.error, rule.projected
    any_error = False
    if rule.switches[PES_IDENTITY] == 1:
        for j in range(projected.shape[0]):
            projected[j] = error[j]
            any_error = any_error or error[j] != 0.0
    else:
        encoders = rule.encoders
        for j in range(projected.shape[0]):
            total = 0.0
            for d in range(error.shape[0]):
                total += encoders[j, d] * error[d]
            projected[j] = total
            any_error = any_error or total != 0.0
    if not any_error:
        return
    rate_dt = params[PES_RATE_DT]
    dense = syn.ints[q, PRJ_DENSE] == 1
    n_post = syn.ints[q, PRJ_N_POST]
    if dense and syn.ints[q, PRJ_DEFERRED] != 1:
        # PES alone on a dense projection: each active row updated in place with the
        # arithmetic of add_weight_change, without a call and a table lookup per synapse
        # (CL-1k's 1000 x 7 readout: about 25 -> 5 us per step)
        low, high = syn.floats[q, PRJ_W_LOW], syn.floats[q, PRJ_W_HIGH]
        weights = syn.weights[syn.ints[q, PRJ_W_START] :]
        for i in range(activity.shape[0]):
            a = activity[i]
            if a == 0.0:
                continue
            scaled = -rate_dt * a
            row = weights[i * n_post : (i + 1) * n_post]
            for j in range(n_post):
                row[j] = clipped_weight(row[j], scaled * projected[j], low, high)
        return
    ptr, idx = syn.ints[q, PRJ_PTR_START], syn.ints[q, PRJ_IDX_START]
    for i in range(activity.shape[0]):
        a = activity[i]
        if a == 0.0:
            continue
        scaled = -rate_dt * a
        begin = i * n_post if dense else syn.indptr[ptr + i]
        end = begin + n_post if dense else syn.indptr[ptr + i + 1]
        for k in range(begin, end):
            j = k - begin if dense else syn.indices[idx + k]
            add_weight_change(syn, q, k, scaled * projected[j])
