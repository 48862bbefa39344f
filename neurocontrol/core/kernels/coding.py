"""Numba kernels of the encoders (:mod:`neurocontrol.core.encoding`) and decoders
(:mod:`neurocontrol.core.decoding`).

Each kernel is small and pure: its arguments are preallocated arrays, it
writes its results in place and allocates nothing. Validation of parameters
happens in the Python classes at construction; the only check done here is
the cheap scan for non-finite input, whose index is returned so the caller can
raise a clear error *before* any state was changed. Every kernel is compared
against a plain NumPy reference in ``tests/core/coding``. No ``fastmath`` except
:data:`REDUCTION_FLAGS` on the decoders' dot products: a sum over 1000
neurons is compared to NumPy within a tolerance anyway (BLAS sums in another
order), and letting it reassociate makes it vectorise;
the result is still deterministic for a given machine, so checkpoints still
continue bit-identically.
"""

from __future__ import annotations

import math

from numba import njit

from neurocontrol.core.kernels.step.flags import HELPER_JIT, REDUCTION_FLAGS
from neurocontrol.core.kernels.step.neurons import lif_rates

__all__ = [
    "MAX_EVENTS",
    "MODES",
    "REDUCTION_FLAGS",
    "decode_columns",
    "filter_decode_step",
    "first_nonfinite",
    "gaussian_fields",
    "gaussian_population_step",
    "lif_rates_inplace",
    "linear_decode_step",
    "nef_currents",
    "nef_step",
    "poisson_count",
    "rate_spikes_step",
    "send_on_delta_levels",
    "send_on_delta_step",
    "tactile_step",
]


#: Largest event count one afferent emits in one step (the events are ``uint8``).
MAX_EVENTS = 255

MODE_CURRENT = 0
MODE_BERNOULLI = 1
MODE_POISSON = 2
#: Output modes of the population encoders, by name.
MODES = {"current": MODE_CURRENT, "bernoulli": MODE_BERNOULLI, "poisson": MODE_POISSON}


@njit(cache=True)
def first_nonfinite(x):  # pragma: no cover - compiled
    """Index of the first NaN/inf in ``x``, or -1 if all are finite."""
    for i in range(x.shape[0]):
        if not math.isfinite(x[i]):
            return i
    return -1


@njit(**HELPER_JIT)
def send_on_delta_levels(x, origin, inv_delta, level, max_events, events):  # pragma: no cover
    """One step of send-on-delta for every (finite) signal; returns the number of events.

    ``level[i]`` is the integer number of deltas between signal ``i``'s last
    event level and ``origin[i]``. ON events of signal ``i`` go to
    ``events[2 i]``, OFF events to ``events[2 i + 1]`` (counts, at most
    ``max_events``). Shared by :func:`send_on_delta_step` and the network's
    send-on-delta encoder (:mod:`neurocontrol.core.kernels.step.encoders`).
    """
    total = 0
    for i in range(x.shape[0]):
        moved = (x[i] - origin[i]) * inv_delta[i] - level[i]
        on = 0
        off = 0
        if moved >= 1.0:
            on = min(math.floor(moved), max_events)
            level[i] += on
        elif moved <= -1.0:
            off = min(math.floor(-moved), max_events)
            level[i] -= off
        events[2 * i] = on
        events[2 * i + 1] = off
        total += on + off
    return total


@njit(cache=True)
def send_on_delta_step(x, origin, inv_delta, level, max_events, events):  # pragma: no cover
    """:func:`send_on_delta_levels` after a check of ``x``.

    Returns the index of the first non-finite input, or -1; on a non-finite
    input nothing is written.
    """
    bad = first_nonfinite(x)
    if bad >= 0:
        return bad
    send_on_delta_levels(x, origin, inv_delta, level, max_events, events)
    return -1


@njit(cache=True)
def poisson_count(lam, u):  # pragma: no cover - compiled
    """Poisson(``lam``) sample by inversion of the CDF at the uniform ``u``."""
    k = 0
    prob = math.exp(-lam)
    cdf = prob
    while u >= cdf and k < 255:
        k += 1
        prob *= lam / k
        cdf += prob
        if prob == 0.0:
            break
    return k


@njit(**HELPER_JIT)
def gaussian_fields(
    x, low, high, centers, neg_half_inv_var, n_per, amplitude, mode, uniform, activation, events
):  # pragma: no cover - compiled
    """Gaussian receptive fields of 1-D populations, one per (finite) signal.

    Neuron ``j`` of signal ``i`` (flat index ``i * n_per + j``) gets
    ``activation = amplitude * exp(neg_half_inv_var[i] * (x_i - c)^2)`` with
    ``x_i`` clipped to ``[low[i], high[i]]``. ``mode`` 0 writes only
    ``activation``; 1 (Bernoulli) sets ``events = uniform < activation``; 2
    (Poisson) draws ``events ~ Poisson(activation)`` by inversion. For the
    spike modes ``amplitude`` is the maximum probability/mean per step.
    Shared by :func:`gaussian_population_step` and the network's
    receptive-field encoder (:mod:`neurocontrol.core.kernels.step.encoders`).
    """
    for i in range(x.shape[0]):
        xi = min(max(x[i], low[i]), high[i])
        coef = neg_half_inv_var[i]
        for j in range(i * n_per, (i + 1) * n_per):
            d = xi - centers[j]
            a = amplitude * math.exp(coef * d * d)
            activation[j] = a
            if mode == MODE_BERNOULLI:
                events[j] = 1 if uniform[j] < a else 0
            elif mode == MODE_POISSON:
                events[j] = poisson_count(a, uniform[j])


@njit(cache=True)
def gaussian_population_step(
    x, low, high, centers, neg_half_inv_var, n_per, amplitude, mode, uniform, activation, events
):  # pragma: no cover - compiled
    """:func:`gaussian_fields` after a check of ``x``.

    Returns -1, or the index of the first non-finite input.
    """
    bad = first_nonfinite(x)
    if bad >= 0:
        return bad
    gaussian_fields(
        x, low, high, centers, neg_half_inv_var, n_per, amplitude, mode, uniform, activation,
        events,
    )  # fmt: skip
    return -1


@njit(cache=True)
def rate_spikes_step(rates, dt, poisson, uniform, events):  # pragma: no cover - compiled
    """Spikes from rates (Hz): Bernoulli ``uniform < rate dt`` or Poisson(rate dt) counts.

    Returns -1, or the index of the first rate that is non-finite or negative.
    """
    for i in range(rates.shape[0]):
        if not (math.isfinite(rates[i]) and rates[i] >= 0.0):
            return i
    for i in range(rates.shape[0]):
        lam = rates[i] * dt
        if poisson:
            events[i] = poisson_count(lam, uniform[i])
        else:
            events[i] = 1 if uniform[i] < lam else 0
    return -1


# Not cached on disk (unlike the kernels around it): it calls into another module, and
# numba's cache would keep running the old code after that module changed.
@njit
def lif_rates_inplace(current, tau_rc, tau_ref, out, scratch, exponents):  # pragma: no cover
    """Steady-state LIF rates (Hz) of normalised currents (threshold at 1), into ``out``.

    The arithmetic of the network's rate model
    (:func:`~neurocontrol.core.kernels.step.neurons.lif_rates`);
    ``scratch`` (f8) and ``exponents`` (i4) are as long as ``current``.
    """
    for i in range(current.shape[0]):
        out[i] = current[i] - 1.0
    lif_rates(out, 1.0, tau_rc, tau_ref, scratch, exponents)


@njit(**HELPER_JIT)
def nef_currents(x, weights_t, offset, currents):  # pragma: no cover - compiled
    """``currents = weights_t.T @ x + offset`` (``weights_t`` is ``(dimensions, n_neurons)``).

    The inner loop runs over contiguous neurons (an axpy per dimension,
    vectorised without reordering any sum). Shared by :func:`nef_step` and
    the network's current encoder (:mod:`neurocontrol.core.kernels.step.encoders`).
    """
    n_dims, n_neurons = weights_t.shape
    for k in range(n_neurons):
        currents[k] = offset[k]
    for d in range(n_dims):
        xd = x[d]
        for k in range(n_neurons):
            currents[k] += weights_t[d, k] * xd


@njit  # not cached on disk: it calls lif_rates_inplace (see there)
def nef_step(
    x, weights_t, offset, currents, tau_rc, tau_ref, rates, with_rates, scratch, exponents
):  # pragma: no cover
    """Input currents :func:`nef_currents`; with ``with_rates`` also their LIF rates.

    Returns -1, or the index of the first non-finite input.
    """
    bad = first_nonfinite(x)
    if bad >= 0:
        return bad
    nef_currents(x, weights_t, offset, currents)
    if with_rates:
        lif_rates_inplace(currents, tau_rc, tau_ref, rates, scratch, exponents)
    return -1


@njit(cache=True)
def tactile_step(
    force,
    on_threshold,
    off_threshold,
    in_contact,
    inv_force_max,
    max_rate,
    dt,
    uniform,
    events,
    rates,
):  # pragma: no cover - compiled
    """Onset/offset events with hysteresis and a force-proportional rate channel.

    For ``n`` pads, ``events[:n]`` are onsets, ``events[n:2n]`` offsets and
    ``events[2n:]`` Bernoulli spikes of the rate channel, whose rate
    ``max_rate * clip(force / force_max, 0, 1)`` is written to ``rates``.
    Returns -1, or the index of the first non-finite force.
    """
    bad = first_nonfinite(force)
    if bad >= 0:
        return bad
    n = force.shape[0]
    for i in range(n):
        f = force[i]
        onset = 0
        offset = 0
        if in_contact[i]:
            if f <= off_threshold[i]:
                in_contact[i] = 0
                offset = 1
        elif f >= on_threshold[i]:
            in_contact[i] = 1
            onset = 1
        events[i] = onset
        events[n + i] = offset
        rate = max_rate * min(max(f * inv_force_max[i], 0.0), 1.0)
        rates[i] = rate
        events[2 * n + i] = 1 if uniform[i] < rate * dt else 0
    return -1


@njit(cache=True, fastmath=REDUCTION_FLAGS)
def decode_columns(activities, decoders, value):  # pragma: no cover - compiled
    """``value[o] = activities . decoders[:, o]``: one dot product per output.

    Each column is contiguous when the matrix is Fortran-ordered (as
    :class:`~neurocontrol.core.decoding.LinearDecoder` keeps it); compiled with
    :data:`REDUCTION_FLAGS` so the sum vectorises.
    """
    n_neurons, n_out = decoders.shape
    for o in range(n_out):
        acc = 0.0
        for k in range(n_neurons):
            acc += activities[k] * decoders[k, o]
        value[o] = acc


@njit(cache=True)
def linear_decode_step(activities, decoders, output_scale, value, command):  # pragma: no cover
    """``value = activities @ decoders``; ``command = clip(value * output_scale, -1, 1)``.

    Returns False if any value is non-finite (a NaN/inf activity or decoder).
    """
    decode_columns(activities, decoders, value)
    finite = True
    for o in range(value.shape[0]):
        command[o] = min(max(value[o] * output_scale[o], -1.0), 1.0)
        finite = finite and math.isfinite(value[o])
    return finite


#: Filtered activities (Hz) smaller than this are set to zero (far above subnormals).
FILTER_FLOOR = 1e-30


@njit(cache=True)
def filter_decode_step(
    spikes, decay, spike_gain, filtered, decoders, output_scale, value, command
):  # pragma: no cover - compiled
    """Exponential synaptic filter then linear decoding.

    ``filtered = decay * filtered + spike_gain * spikes`` (``decay = exp(-dt /
    tau)``, ``spike_gain = (1 - decay) / dt``), then :func:`linear_decode_step`
    (whose finiteness flag it returns). Values below :data:`FILTER_FLOOR` in
    magnitude are flushed to zero: a silent neuron's trace decays
    geometrically and would otherwise become a subnormal float after ~15 s,
    where every multiply with it (decode, PES) costs ~100x.
    """
    for k in range(filtered.shape[0]):
        f = decay * filtered[k] + spike_gain * spikes[k]
        filtered[k] = 0.0 if -FILTER_FLOOR < f < FILTER_FLOOR else f
    return linear_decode_step(filtered, decoders, output_scale, value, command)
