"""Neuron update kernels: one call advances one population by one step.

The arithmetic of :class:`~neurocontrol.core.model.neurons.LIF`,
:class:`~neurocontrol.core.model.neurons.AdaptiveLIF`,
:class:`~neurocontrol.core.model.neurons.Izhikevich`,
:class:`~neurocontrol.core.model.neurons.LIFRate` and of the linear units of an
:class:`~neurocontrol.core.model.network.Output` (equations in their
docstrings). The generated step entry point (:mod:`neurocontrol.core.builder.codegen`)
calls, for each population, only the kernel of its model, with the signature
``kernel(populations, p, neurons, ring, clock, rng, events)``: a network
compiles only the models it uses. Each spiking kernel reads its input from
(and clears) the ring-buffer slot of this step, writes every flag of its
population in ``neurons.spiked`` (1 for this step's spikes, 0 otherwise, so
a flag set by hand lasts until the next step), lists the spikes in
``neurons.spike_ids[start:]`` and records the spike count in the population
table. The rate kernel reads and clears its slot too but never spikes (its
flags stay 0, its count is never set); an output only decays, since its
readouts write into it directly rather than through the ring.

The kernels take the flat :class:`Populations` / :class:`Neurons` tuples,
not the nested :class:`NetworkState`, which makes every function numba
compiles with it in its signature slower to compile. The spike
bookkeeping (clear last step's flags, record the count) is written out in
each kernel rather than in IR-inlined helpers: numba re-runs its front end
on an inlined helper at every call site, which costs more on a cold start
than the few repeated lines.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import HELPER_JIT, KERNEL_JIT
from neurocontrol.core.kernels.step.logarithm import log_inplace
from neurocontrol.core.kernels.step.rng import next_normal
from neurocontrol.core.kernels.step.state import (
    CLK_N_NEURONS,
    CLK_RING_LEN,
    CLK_STEP,
    MODEL_ALIF,
    POP_ADAPT_DECAY,
    POP_ADAPT_INCREMENT,
    POP_DECAY_M,
    POP_DELTA_CURRENT,
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
    POP_SPIKE_COUNT,
    POP_SPIKE_TOTAL,
    POP_START,
    POP_STOP,
    POP_SUBSTEP_MS,
    POP_SUBSTEPS,
    POP_SYN_DECAY,
    POP_SYN_TO_V,
    POP_TAU_M,
    POP_TAU_REF,
    POP_V_PEAK,
    POP_V_RESET,
    POP_V_REST,
    POP_V_TH,
    Neurons,
    Populations,
)

__all__ = [
    "RATE_FLOOR",
    "lif_rates",
    "read_input_events",
    "record_spikes",
    "update_izhikevich",
    "update_lif",
    "update_lif_noisy",
    "update_lif_rate",
    "update_output",
]


@njit(**KERNEL_JIT)
def _standard_normal(rng: np.ndarray) -> float:
    """:func:`~neurocontrol.core.kernels.step.rng.next_normal`, compiled apart for the noisy kernel.

    Called from the ``noisy`` branch of :func:`_lif`, which numba prunes
    (after inlining ``_lif`` with ``noisy=False``) before typing: the
    noiseless kernel never compiles the generator, as it would if its
    helpers were IR-inlined into ``_lif``.
    """
    return next_normal(rng)


@njit(**KERNEL_JIT)
def record_spikes(populations: Populations, p: int, neurons: Neurons) -> None:
    """List population ``p``'s spike flags in ``spike_ids[start:]`` and record the count."""
    ints = populations.ints
    start = ints[p, POP_START]
    spiked, spike_ids = neurons.spiked, neurons.spike_ids
    count = 0
    for n in range(start, ints[p, POP_STOP]):
        if spiked[n] != 0:
            spike_ids[start + count] = n
            count += 1
    ints[p, POP_SPIKE_COUNT] = count
    ints[p, POP_SPIKE_TOTAL] += count


@njit(**KERNEL_JIT)
def read_input_events(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    events: np.ndarray,
) -> None:
    """Record the given events (uint8 per input afferent) of input population ``p`` as spikes."""
    ints = populations.ints
    start = ints[p, POP_START]
    spiked, spike_ids = neurons.spiked, neurons.spike_ids
    count = 0
    for n in range(start, ints[p, POP_STOP]):
        fired = events[n] != 0
        spiked[n] = fired
        if fired:
            spike_ids[start + count] = n
            count += 1
    ints[p, POP_SPIKE_COUNT] = count
    ints[p, POP_SPIKE_TOTAL] += count


@njit(**HELPER_JIT)
def _lif(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    noisy: bool,
) -> None:
    """One step of the (adaptive) LIF population ``p``, in two passes.

    First the update of every neuron through zero-based slices, with
    refractoriness and the spike as selects and the model switches
    loop-invariant, so that the noiseless loop has no branch and
    vectorises (a one-pass loop mispredicts a branch on every refractory
    neuron and spike); then the spike list. With
    ``noisy``, each non-refractory neuron draws its noise in index order,
    as before.
    """
    ints, floats = populations.ints, populations.floats
    start, stop = ints[p, POP_START], ints[p, POP_STOP]
    slot_base = (clock[CLK_STEP] % clock[CLK_RING_LEN]) * clock[CLK_N_NEURONS]
    decay_m, v_rest = floats[p, POP_DECAY_M], floats[p, POP_V_REST]
    r_m, i_bias = floats[p, POP_R_M], floats[p, POP_I_BIAS]
    v_reset, v_th = floats[p, POP_V_RESET], floats[p, POP_V_TH]
    delta = ints[p, POP_DELTA_SYNAPSES] == 1
    syn_decay, syn_to_v = floats[p, POP_SYN_DECAY], floats[p, POP_SYN_TO_V]
    noise_scale = floats[p, POP_NOISE_SCALE]
    adaptive = ints[p, POP_MODEL] == MODEL_ALIF
    adapt_decay, adapt_increment = floats[p, POP_ADAPT_DECAY], floats[p, POP_ADAPT_INCREMENT]
    ref_steps = np.int32(ints[p, POP_REF_STEPS])
    # zero-based slices of this population
    n_neurons = stop - start
    v, i_syn, i_ext = neurons.v[start:stop], neurons.i_syn[start:stop], neurons.i_ext[start:stop]
    refractory, adaptation = neurons.refractory[start:stop], neurons.adaptation[start:stop]
    spiked = neurons.spiked[start:stop]
    received = ring[slot_base + start : slot_base + stop]
    for n in range(n_neurons):
        threshold = v_th
        if adaptive:
            adaptation[n] *= adapt_decay
            threshold += adaptation[n]
        v_inf = v_rest + r_m * (i_bias + i_ext[n])
        v_free = v_inf + (v[n] - v_inf) * decay_m
        if delta:
            v_free += received[n]
        else:
            v_free += syn_to_v * i_syn[n]
            i_syn[n] = i_syn[n] * syn_decay + received[n]
        received[n] = 0.0
        waiting = refractory[n]
        if noisy and waiting <= 0:
            v_free += noise_scale * _standard_normal(rng)
        v_new = v_reset if waiting > 0 else v_free
        fired = v_new >= threshold
        v[n] = v_reset if fired else v_new
        refractory[n] = ref_steps if fired else (waiting - 1 if waiting > 0 else waiting)
        if adaptive:
            adaptation[n] = adaptation[n] + adapt_increment if fired else adaptation[n]
        spiked[n] = fired
    spike_ids = neurons.spike_ids
    count = 0
    for n in range(n_neurons):
        if spiked[n] != 0:
            spike_ids[start + count] = start + n
            count += 1
    ints[p, POP_SPIKE_COUNT] = count
    ints[p, POP_SPIKE_TOTAL] += count


@njit(**KERNEL_JIT)
def update_lif(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    events: np.ndarray,
) -> None:
    """Advance the noiseless (adaptive) LIF population ``p`` one step."""
    _lif(populations, p, neurons, ring, clock, rng, False)


@njit(**KERNEL_JIT)
def update_lif_noisy(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    events: np.ndarray,
) -> None:
    """Advance the (adaptive) LIF population ``p`` with membrane noise one step."""
    _lif(populations, p, neurons, ring, clock, rng, True)


@njit(**KERNEL_JIT)
def update_izhikevich(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    events: np.ndarray,
) -> None:
    """Advance the Izhikevich population ``p`` one step."""
    ints, floats = populations.ints, populations.floats
    start, stop = ints[p, POP_START], ints[p, POP_STOP]
    slot_base = (clock[CLK_STEP] % clock[CLK_RING_LEN]) * clock[CLK_N_NEURONS]
    a, b = floats[p, POP_IZH_A], floats[p, POP_IZH_B]
    c, d = floats[p, POP_IZH_C], floats[p, POP_IZH_D]
    v_peak, i_bias = floats[p, POP_V_PEAK], floats[p, POP_I_BIAS]
    h = floats[p, POP_SUBSTEP_MS]
    substeps = ints[p, POP_SUBSTEPS]
    delta = ints[p, POP_DELTA_SYNAPSES] == 1
    syn_decay = floats[p, POP_SYN_DECAY]
    v, u, i_syn, i_ext = neurons.v, neurons.recovery, neurons.i_syn, neurons.i_ext
    spiked, spike_ids = neurons.spiked, neurons.spike_ids
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
        fired = v_n >= v_peak
        spiked[n] = fired
        if fired:
            v_n = c
            u_n += d
            spike_ids[start + count] = n
            count += 1
        v[n], u[n] = v_n, u_n
    ints[p, POP_SPIKE_COUNT] = count
    ints[p, POP_SPIKE_TOTAL] += count


#: ``v_inf - v_th`` at or below which a rate is 0 (the logarithm needs a normal exponent)
RATE_FLOOR = 1e-300


@njit(**HELPER_JIT)
def lif_rates(
    above: np.ndarray,
    span: float,
    tau_m: float,
    tau_ref: float,
    scratch: np.ndarray,
    exponents: np.ndarray,
) -> None:
    r"""Steady-state LIF rates (Hz), in place of ``above`` = :math:`v_\infty - v_{th}`.

    :math:`[\tau_{ref} + \tau_m \ln((v_\infty - v_{reset}) / (v_\infty - v_{th}))]^{-1}`
    where :math:`v_\infty > v_{th}` (above :data:`RATE_FLOOR`), else 0, with
    ``span`` :math:`= v_{th} - v_{reset}` (1 for normalised currents, where
    ``above`` is :math:`J - 1`). Three passes without a branch or a call,
    so each vectorises; the logarithm is
    :func:`~neurocontrol.core.kernels.step.logarithm.log_inplace`
    (``scratch`` f8 and ``exponents`` i4, as long as ``above``).
    """
    n = above.shape[0]
    for i in range(n):
        a = above[i]
        scratch[i] = (a + span) / a if a > RATE_FLOOR else 1.0
    log_inplace(scratch, exponents)
    for i in range(n):
        rate = 1.0 / (tau_ref + tau_m * scratch[i])
        above[i] = rate if above[i] > RATE_FLOOR else 0.0


@njit(**KERNEL_JIT)
def update_lif_rate(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    events: np.ndarray,
) -> None:
    """The LIF rates (Hz) of rate-model population ``p`` for this step's input currents.

    Synaptic input is read as the LIF kernel reads it (the current
    :math:`I_{syn}` before this step's arrivals, or delta pulses as their
    mean current); the rates are :func:`lif_rates`,
    the arithmetic of the standalone encoders' rates
    (:func:`~neurocontrol.core.kernels.coding.lif_rates_inplace`): with
    normalised parameters the two agree to the last bit.
    """
    ints, floats = populations.ints, populations.floats
    start, stop = ints[p, POP_START], ints[p, POP_STOP]
    slot_base = (clock[CLK_STEP] % clock[CLK_RING_LEN]) * clock[CLK_N_NEURONS]
    v_rest, r_m, i_bias = floats[p, POP_V_REST], floats[p, POP_R_M], floats[p, POP_I_BIAS]
    v_th, v_reset = floats[p, POP_V_TH], floats[p, POP_V_RESET]
    tau_m, tau_ref = floats[p, POP_TAU_M], floats[p, POP_TAU_REF]
    delta = ints[p, POP_DELTA_SYNAPSES] == 1
    delta_current, syn_decay = floats[p, POP_DELTA_CURRENT], floats[p, POP_SYN_DECAY]
    n_neurons = stop - start
    i_syn, i_ext = neurons.i_syn[start:stop], neurons.i_ext[start:stop]
    rate, spiked = neurons.rate[start:stop], neurons.spiked[start:stop]
    received = ring[slot_base + start : slot_base + stop]
    for n in range(n_neurons):  # v_inf - v_th into the rates
        current = i_bias + i_ext[n]
        if delta:
            current += received[n] * delta_current
        else:
            current += i_syn[n]
            i_syn[n] = i_syn[n] * syn_decay + received[n]
        received[n] = 0.0
        rate[n] = v_rest + r_m * current - v_th
        spiked[n] = 0
    # a rate neuron has no membrane or refractory counter: their arrays are the scratch
    scratch, exponents = neurons.v[start:stop], neurons.refractory[start:stop]
    lif_rates(rate, v_th - v_reset, tau_m, tau_ref, scratch, exponents)


@njit(**KERNEL_JIT)
def update_output(
    populations: Populations,
    p: int,
    neurons: Neurons,
    ring: np.ndarray,
    clock: np.ndarray,
    rng: np.ndarray,
    events: np.ndarray,
) -> None:
    """Decay the values of output ``p`` (its readouts add this step's input after it)."""
    ints = populations.ints
    start, stop = ints[p, POP_START], ints[p, POP_STOP]
    decay = populations.floats[p, POP_DECAY_M]
    value = neurons.v
    for n in range(start, stop):
        value[n] *= decay
