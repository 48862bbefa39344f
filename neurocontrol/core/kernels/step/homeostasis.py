"""Kernels of the homeostatic rules (:mod:`neurocontrol.core.model.homeostasis`).

Synaptic scaling and weight normalisation touch every synapse of their
projection once per period (not per step); the adaptive threshold costs
O(postsynaptic neurons) per step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import KERNEL_JIT
from neurocontrol.core.kernels.step.state import (
    CLK_STEP,
    POP_ADAPT_DECAY,
    POP_SPIKE_COUNT,
    POP_START,
    PRJ_DENSE,
    PRJ_IDX_START,
    PRJ_N_POST,
    PRJ_N_PRE,
    PRJ_POST,
    PRJ_PTR_START,
    PRJ_W_START,
    NetworkState,
)
from neurocontrol.core.kernels.step.synapses import add_weight_change

__all__ = [
    "HOMEO_ENABLED",
    "HOMEO_PERIOD_STEPS",
    "NORM_TOTAL",
    "SCALING_GAIN_PERIOD",
    "SCALING_RATE_DECAY",
    "SCALING_RATE_SCALE",
    "SCALING_TARGET",
    "THRESHOLD_DECREMENT",
    "THRESHOLD_STEP",
    "AdaptiveThresholdState",
    "SynapticScalingState",
    "WeightNormalizationState",
    "adaptive_threshold_step",
    "synaptic_scaling_step",
    "weight_normalization_step",
]

# Entries of SynapticScalingState.switches and WeightNormalizationState.switches
HOMEO_ENABLED = 0
HOMEO_PERIOD_STEPS = 1
# Entries of SynapticScalingState.params
SCALING_RATE_DECAY = 0  # exp(-dt / rate_tau)
SCALING_RATE_SCALE = 1  # (1 - exp(-dt / rate_tau)) / dt
SCALING_TARGET = 2  # target rate, Hz
SCALING_GAIN_PERIOD = 3  # gain * period
# Entries of WeightNormalizationState.params
NORM_TOTAL = 0
# Entries of AdaptiveThresholdState.params
THRESHOLD_STEP = 0  # threshold change per spike
THRESHOLD_DECREMENT = 1  # threshold_step * target_rate * dt, per step


class SynapticScalingState(NamedTuple):
    """Rate estimates and parameters of one synaptic-scaling rule instance."""

    rate: np.ndarray  # f8 [n_post], low-passed postsynaptic rate, Hz
    factor: np.ndarray  # f8 [n_post], scratch: relative change per postsynaptic neuron
    params: np.ndarray  # f8 [4]
    switches: np.ndarray  # i8 [2], HOMEO_ENABLED, HOMEO_PERIOD_STEPS


class WeightNormalizationState(NamedTuple):
    """Parameters and scratch of one weight-normalisation rule instance."""

    sums: np.ndarray  # f8 [n_post], scratch: summed input weight per postsynaptic neuron
    params: np.ndarray  # f8 [1], NORM_TOTAL
    switches: np.ndarray  # i8 [2], HOMEO_ENABLED, HOMEO_PERIOD_STEPS


class AdaptiveThresholdState(NamedTuple):
    """Threshold offsets and parameters of one adaptive-threshold rule instance."""

    theta: np.ndarray  # f8 [n_post], threshold offset
    params: np.ndarray  # f8 [2], THRESHOLD_STEP, THRESHOLD_DECREMENT
    switches: np.ndarray  # i8 [1], HOMEO_ENABLED


@njit(**KERNEL_JIT)
def _scale_columns(net: NetworkState, q: int, factor: np.ndarray, skip_zero: bool) -> None:
    """Change every weight of projection ``q`` by ``w * factor[post]``."""
    syn = net.synapses
    dense = syn.ints[q, PRJ_DENSE] == 1
    n_pre, n_post = syn.ints[q, PRJ_N_PRE], syn.ints[q, PRJ_N_POST]
    w_start = syn.ints[q, PRJ_W_START]
    ptr, idx = syn.ints[q, PRJ_PTR_START], syn.ints[q, PRJ_IDX_START]
    for i in range(n_pre):
        begin = i * n_post if dense else syn.indptr[ptr + i]
        end = begin + n_post if dense else syn.indptr[ptr + i + 1]
        for k in range(begin, end):
            j = k - begin if dense else syn.indices[idx + k]
            if skip_zero and factor[j] == 0.0:
                continue
            add_weight_change(syn, q, k, syn.weights[w_start + k] * factor[j])


@njit(**KERNEL_JIT)
def _period_ends(net: NetworkState, switches: np.ndarray) -> bool:
    period = switches[HOMEO_PERIOD_STEPS]
    return switches[HOMEO_ENABLED] == 1 and (net.clock[CLK_STEP] + 1) % period == 0


@njit(**KERNEL_JIT)
def synaptic_scaling_step(net: NetworkState, q: int, rule: SynapticScalingState) -> None:
    """Update the rate estimates; at the end of each period scale the weights of ``q``."""
    pops, spike_ids = net.populations.ints, net.neurons.spike_ids
    params, rate = rule.params, rule.rate
    decay = params[SCALING_RATE_DECAY]
    for j in range(rate.shape[0]):
        rate[j] *= decay
    post = net.synapses.ints[q, PRJ_POST]
    post_start = pops[post, POP_START]
    scale = params[SCALING_RATE_SCALE]
    for s in range(pops[post, POP_SPIKE_COUNT]):
        rate[spike_ids[post_start + s] - post_start] += scale
    if not _period_ends(net, rule.switches):
        return
    target, gain = params[SCALING_TARGET], params[SCALING_GAIN_PERIOD]
    for j in range(rate.shape[0]):
        rule.factor[j] = gain * (target - rate[j])
    _scale_columns(net, q, rule.factor, False)


@njit(**KERNEL_JIT)
def weight_normalization_step(net: NetworkState, q: int, rule: WeightNormalizationState) -> None:
    """At the end of each period rescale each postsynaptic neuron's input weights to the total."""
    if not _period_ends(net, rule.switches):
        return
    syn, sums = net.synapses, rule.sums
    dense = syn.ints[q, PRJ_DENSE] == 1
    n_pre, n_post = syn.ints[q, PRJ_N_PRE], syn.ints[q, PRJ_N_POST]
    w_start = syn.ints[q, PRJ_W_START]
    ptr, idx = syn.ints[q, PRJ_PTR_START], syn.ints[q, PRJ_IDX_START]
    for j in range(n_post):
        sums[j] = 0.0
    for i in range(n_pre):
        begin = i * n_post if dense else syn.indptr[ptr + i]
        end = begin + n_post if dense else syn.indptr[ptr + i + 1]
        for k in range(begin, end):
            j = k - begin if dense else syn.indices[idx + k]
            sums[j] += syn.weights[w_start + k]
    total = rule.params[NORM_TOTAL]
    for j in range(n_post):  # sums now holds each column's relative change
        sums[j] = total / sums[j] - 1.0 if sums[j] != 0.0 else 0.0
    _scale_columns(net, q, sums, True)


@njit(**KERNEL_JIT)
def adaptive_threshold_step(net: NetworkState, q: int, rule: AdaptiveThresholdState) -> None:
    r"""Integrate :math:`\theta` and add it to the (AdaptiveLIF) threshold adaptation.

    The neuron update multiplies the adaptation by :math:`\lambda_a` before
    comparing with the threshold; writing :math:`\theta_{new}/\lambda_a -
    \theta_{old}` on top of it leaves the spike-triggered part untouched and
    makes the next step's threshold offset exactly :math:`\theta_{new}`.
    """
    pops, neurons = net.populations.ints, net.neurons
    post = net.synapses.ints[q, PRJ_POST]
    post_start = pops[post, POP_START]
    adapt_decay = net.populations.floats[post, POP_ADAPT_DECAY]
    theta = rule.theta
    learning = rule.switches[HOMEO_ENABLED] == 1
    step_up, step_down = rule.params[THRESHOLD_STEP], rule.params[THRESHOLD_DECREMENT]
    for j in range(theta.shape[0]):
        old = theta[j]
        new = old
        if learning:
            new -= step_down
            if neurons.spiked[post_start + j] != 0:
                new += step_up
            theta[j] = new
        neurons.adaptation[post_start + j] += new / adapt_decay - old
