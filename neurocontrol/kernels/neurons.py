"""Neuron update kernels: one call advances one population by one step.

The arithmetic of :class:`~neurocontrol.model.neurons.LIF`,
:class:`~neurocontrol.model.neurons.AdaptiveLIF` and
:class:`~neurocontrol.model.neurons.Izhikevich` (equations in their
docstrings). Input of the step is read from (and cleared in) the ring-buffer
slot ``slot_base + n``. Spikes are appended to
``neurons.spike_ids[start:]`` and flagged in ``neurons.spiked``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neurocontrol.kernels.flags import KERNEL_JIT
from neurocontrol.kernels.rng import next_normal
from neurocontrol.kernels.state import (
    MODEL_ALIF,
    POP_ADAPT_DECAY,
    POP_ADAPT_INCREMENT,
    POP_DECAY_M,
    POP_DELTA_SYNAPSES,
    POP_I_BIAS,
    POP_IZH_A,
    POP_IZH_B,
    POP_IZH_C,
    POP_IZH_D,
    POP_MODEL,
    POP_NOISE_SCALE,
    POP_R_M,
    POP_REF_STEPS,
    POP_START,
    POP_STOP,
    POP_SUBSTEP_MS,
    POP_SUBSTEPS,
    POP_SYN_DECAY,
    POP_SYN_TO_V,
    POP_V_PEAK,
    POP_V_RESET,
    POP_V_REST,
    POP_V_TH,
    NetworkState,
)

__all__ = ["read_input_events", "update_izhikevich", "update_lif"]


@njit(**KERNEL_JIT)
def read_input_events(net: NetworkState, p: int, events: np.ndarray) -> int:
    """Record the given events of input population ``p`` as its spikes; return the count."""
    ints, neurons = net.populations.ints, net.neurons
    start = ints[p, POP_START]
    count = 0
    for n in range(start, ints[p, POP_STOP]):
        if events[n] != 0:
            neurons.spike_ids[start + count] = n
            neurons.spiked[n] = 1
            count += 1
    return count


@njit(**KERNEL_JIT)
def update_lif(net: NetworkState, p: int, slot_base: int) -> int:
    """Advance the (adaptive) LIF population ``p`` one step; return its spike count."""
    ints, floats = net.populations.ints, net.populations.floats
    neurons, ring = net.neurons, net.ring
    start, stop = ints[p, POP_START], ints[p, POP_STOP]
    decay_m, v_rest = floats[p, POP_DECAY_M], floats[p, POP_V_REST]
    r_m, i_bias = floats[p, POP_R_M], floats[p, POP_I_BIAS]
    v_reset, v_th = floats[p, POP_V_RESET], floats[p, POP_V_TH]
    delta = ints[p, POP_DELTA_SYNAPSES] == 1
    syn_decay, syn_to_v = floats[p, POP_SYN_DECAY], floats[p, POP_SYN_TO_V]
    noise_scale = floats[p, POP_NOISE_SCALE]
    adaptive = ints[p, POP_MODEL] == MODEL_ALIF
    adapt_decay, adapt_increment = floats[p, POP_ADAPT_DECAY], floats[p, POP_ADAPT_INCREMENT]
    ref_steps = np.int32(ints[p, POP_REF_STEPS])
    v, i_syn, i_ext = neurons.v, neurons.i_syn, neurons.i_ext
    refractory, adaptation = neurons.refractory, neurons.adaptation
    count = 0
    for n in range(start, stop):
        received = ring[slot_base + n]
        ring[slot_base + n] = 0.0
        threshold = v_th
        if adaptive:
            adaptation[n] *= adapt_decay
            threshold += adaptation[n]
        if refractory[n] > 0:
            refractory[n] -= 1
            v_new = v_reset
        else:
            v_inf = v_rest + r_m * (i_bias + i_ext[n])
            v_new = v_inf + (v[n] - v_inf) * decay_m
            if delta:
                v_new += received
            else:
                v_new += syn_to_v * i_syn[n]
            if noise_scale > 0.0:
                v_new += noise_scale * next_normal(net.rng)
        if not delta:
            i_syn[n] = i_syn[n] * syn_decay + received
        if v_new >= threshold:
            v_new = v_reset
            refractory[n] = ref_steps
            if adaptive:
                adaptation[n] += adapt_increment
            neurons.spike_ids[start + count] = n
            neurons.spiked[n] = 1
            count += 1
        v[n] = v_new
    return count


@njit(**KERNEL_JIT)
def update_izhikevich(net: NetworkState, p: int, slot_base: int) -> int:
    """Advance the Izhikevich population ``p`` one step; return its spike count."""
    ints, floats = net.populations.ints, net.populations.floats
    neurons, ring = net.neurons, net.ring
    start, stop = ints[p, POP_START], ints[p, POP_STOP]
    a, b = floats[p, POP_IZH_A], floats[p, POP_IZH_B]
    c, d = floats[p, POP_IZH_C], floats[p, POP_IZH_D]
    v_peak, i_bias = floats[p, POP_V_PEAK], floats[p, POP_I_BIAS]
    h = floats[p, POP_SUBSTEP_MS]
    substeps = ints[p, POP_SUBSTEPS]
    delta = ints[p, POP_DELTA_SYNAPSES] == 1
    syn_decay = floats[p, POP_SYN_DECAY]
    v, u, i_syn, i_ext = neurons.v, neurons.recovery, neurons.i_syn, neurons.i_ext
    count = 0
    for n in range(start, stop):
        received = ring[slot_base + n]
        ring[slot_base + n] = 0.0
        current = i_bias + i_ext[n]
        if delta:
            current += received
        else:
            current += i_syn[n]
            i_syn[n] = i_syn[n] * syn_decay + received
        v_n, u_n = v[n], u[n]
        for _ in range(substeps):
            v_n += h * (0.04 * v_n * v_n + 5.0 * v_n + 140.0 - u_n + current)
            u_n += h * a * (b * v_n - u_n)
            if v_n >= v_peak:
                break
        if v_n >= v_peak:
            v_n = c
            u_n += d
            neurons.spike_ids[start + count] = n
            neurons.spiked[n] = 1
            count += 1
        v[n], u[n] = v_n, u_n
    return count
