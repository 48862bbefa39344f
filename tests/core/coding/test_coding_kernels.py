"""Each coding kernel against a plain NumPy reference on the same inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from neurocontrol.core.encoding import lif_rates
from neurocontrol.core.kernels import coding as k


def ref_send_on_delta(x, origin, delta, level, max_events):
    moved = (x - origin) / delta - level
    on = np.where(moved >= 1, np.minimum(np.floor(moved), max_events), 0).astype(np.int64)
    off = np.where(moved <= -1, np.minimum(np.floor(-moved), max_events), 0).astype(np.int64)
    events = np.empty(2 * x.size, dtype=np.uint8)
    events[0::2], events[1::2] = on, off
    return events, level + on - off


def ref_gaussian(x, low, high, centers, width, n_per, amplitude):
    xs = np.repeat(np.clip(x, low, high), n_per)
    sig = np.repeat(width, n_per)
    return amplitude * np.exp(-((xs - centers) ** 2) / (2 * sig**2))


def test_first_nonfinite():
    assert k.first_nonfinite(np.array([0.0, 1.0])) == -1
    assert k.first_nonfinite(np.array([0.0, np.inf, np.nan])) == 1


@pytest.mark.parametrize("max_events", [1, 3, 255])
def test_send_on_delta_step_matches_reference(max_events):
    rng = np.random.default_rng(0)
    n = 6
    delta = rng.uniform(0.01, 0.2, n)
    origin = rng.normal(size=n)
    level = rng.integers(-5, 5, n).astype(np.int64)
    for _ in range(200):
        x = origin + level * delta + rng.normal(scale=0.3, size=n)
        want_events, want_level = ref_send_on_delta(x, origin, delta, level, max_events)
        events = np.zeros(2 * n, dtype=np.uint8)
        assert k.send_on_delta_step(x, origin, 1.0 / delta, level, max_events, events) == -1
        np.testing.assert_array_equal(events, want_events)
        np.testing.assert_array_equal(level, want_level)


def test_send_on_delta_step_nonfinite_leaves_state():
    level = np.array([2, 3], dtype=np.int64)
    events = np.full(4, 7, dtype=np.uint8)
    x = np.array([10.0, np.nan])
    assert k.send_on_delta_step(x, np.zeros(2), np.ones(2), level, 1, events) == 1
    np.testing.assert_array_equal(level, [2, 3])
    np.testing.assert_array_equal(events, [7, 7, 7, 7])


@pytest.mark.parametrize("mode", ["current", "bernoulli", "poisson"])
def test_gaussian_population_step_matches_reference(mode):
    rng = np.random.default_rng(1)
    n_sig, n_per = 3, 11
    low, high = np.array([-1.0, 0.0, -5.0]), np.array([1.0, 2.0, 5.0])
    width = (high - low) / (n_per - 1)
    centers = np.concatenate([np.linspace(a, b, n_per) for a, b in zip(low, high, strict=True)])
    amplitude = 0.7
    for _ in range(50):
        x = rng.uniform(low - 1, high + 1)
        uniform = rng.random(n_sig * n_per)
        act = np.zeros(n_sig * n_per)
        events = np.zeros(n_sig * n_per, dtype=np.uint8)
        bad = k.gaussian_population_step(
            x, low, high, centers, -0.5 / width**2, n_per, amplitude, k.MODES[mode], uniform,
            act, events,
        )  # fmt: skip
        assert bad == -1
        want = ref_gaussian(x, low, high, centers, width, n_per, amplitude)
        np.testing.assert_allclose(act, want, rtol=1e-14, atol=0)
        if mode == "bernoulli":
            np.testing.assert_array_equal(events, uniform < act)
        elif mode == "poisson":
            np.testing.assert_array_equal(events, stats.poisson.ppf(uniform, act))
        else:
            assert not events.any()


def test_poisson_count_is_inverse_cdf():
    rng = np.random.default_rng(2)
    lam = rng.uniform(0, 10, 20000)
    u = rng.random(20000)
    got = np.array([k.poisson_count(a, b) for a, b in zip(lam, u, strict=True)])
    np.testing.assert_array_equal(got, stats.poisson.ppf(u, lam))
    assert k.poisson_count(0.0, 0.999) == 0


@pytest.mark.parametrize("poisson", [False, True])
def test_rate_spikes_step_matches_reference(poisson):
    rng = np.random.default_rng(3)
    rates = rng.uniform(0, 3000, 500)
    uniform = rng.random(500)
    events = np.zeros(500, dtype=np.uint8)
    assert k.rate_spikes_step(rates, 1e-3, poisson, uniform, events) == -1
    want = stats.poisson.ppf(uniform, rates * 1e-3) if poisson else uniform < rates * 1e-3
    np.testing.assert_array_equal(events, want)
    rates[7] = -1.0
    assert k.rate_spikes_step(rates, 1e-3, poisson, uniform, events) == 7


def log_scratch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The scratch arrays of the rates' logarithm (float64, int32)."""
    return np.zeros(n), np.zeros(n, dtype=np.int32)


def test_lif_rates_kernel_matches_formula():
    current = np.linspace(-2, 30, 1001)
    out = np.zeros_like(current)
    k.lif_rates_inplace(current, 0.02, 0.002, out, *log_scratch(current.size))
    want = np.array([1 / (0.002 + 0.02 * math.log(j / (j - 1))) if j > 1 else 0.0 for j in current])
    np.testing.assert_allclose(out, want, rtol=1e-12)
    # the kernel's vectorised logarithm and NumPy's log1p agree within an ulp or two
    np.testing.assert_allclose(out, lif_rates(current, 0.02, 0.002), rtol=1e-14)


@pytest.mark.parametrize("with_rates", [False, True])
def test_nef_step_matches_reference(with_rates):
    rng = np.random.default_rng(4)
    weights_t = rng.normal(size=(4, 300))
    offset = rng.normal(size=300)
    x = rng.normal(size=4)
    currents, rates = np.zeros(300), np.full(300, -1.0)
    scratch = log_scratch(300)
    assert (
        k.nef_step(x, weights_t, offset, currents, 0.02, 0.002, rates, with_rates, *scratch) == -1
    )
    np.testing.assert_allclose(currents, weights_t.T @ x + offset, rtol=1e-12, atol=1e-12)
    if with_rates:
        np.testing.assert_allclose(rates, lif_rates(currents), rtol=1e-14)
    else:
        assert (rates == -1.0).all()
    x[2] = np.inf
    assert k.nef_step(x, weights_t, offset, currents, 0.02, 0.002, rates, with_rates, *scratch) == 2


def test_tactile_step_matches_reference():
    rng = np.random.default_rng(5)
    n = 4
    on, off = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.5, 1.0, 0.1, 2.5])
    inv_fmax = 1 / np.array([10.0, 5.0, 2.0, 20.0])
    contact = np.zeros(n, dtype=np.uint8)
    ref_contact = np.zeros(n, dtype=bool)
    for _ in range(500):
        force = rng.uniform(-0.5, 4.0, n)
        u = rng.random(n)
        events = np.zeros(3 * n, dtype=np.uint8)
        rates = np.zeros(n)
        assert (
            k.tactile_step(force, on, off, contact, inv_fmax, 300.0, 1e-3, u, events, rates) == -1
        )
        onset = ~ref_contact & (force >= on)
        offset = ref_contact & (force <= off)
        ref_contact = (ref_contact | onset) & ~offset
        want_rates = 300.0 * np.clip(force * inv_fmax, 0, 1)
        np.testing.assert_array_equal(events[:n], onset)
        np.testing.assert_array_equal(events[n : 2 * n], offset)
        np.testing.assert_array_equal(rates, want_rates)
        np.testing.assert_array_equal(events[2 * n :], u < want_rates * 1e-3)
        np.testing.assert_array_equal(contact, ref_contact)


@pytest.mark.parametrize("order", ["C", "F"])
def test_linear_decode_step_matches_reference(order):
    rng = np.random.default_rng(6)
    act = rng.uniform(0, 300, 1000)
    dec = np.asarray(rng.normal(scale=1e-3, size=(1000, 7)), order=order)
    scale = rng.uniform(0.5, 2.0, 7)
    value, command = np.zeros(7), np.zeros(7)
    assert k.linear_decode_step(act, dec, scale, value, command)
    np.testing.assert_allclose(value, act @ dec, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(command, np.clip(value * scale, -1, 1))
    dec[3, 2] = np.nan
    assert not k.linear_decode_step(act, dec, scale, value, command)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.float64])
def test_filter_decode_step_matches_reference(dtype):
    rng = np.random.default_rng(7)
    decay = math.exp(-1e-3 / 0.02)
    gain = (1 - decay) / 1e-3
    dec = np.asarray(rng.normal(size=(200, 3)), order="F")
    scale = np.ones(3)
    filtered, ref = np.zeros(200), np.zeros(200)
    value, command = np.zeros(3), np.zeros(3)
    for _ in range(300):
        spikes = (rng.random(200) < 0.05).astype(dtype)
        assert k.filter_decode_step(spikes, decay, gain, filtered, dec, scale, value, command)
        ref = decay * ref + gain * spikes.astype(np.float64)
        np.testing.assert_array_equal(filtered, ref)
        np.testing.assert_allclose(value, ref @ dec, rtol=1e-11, atol=1e-9)


def test_filter_flushes_silent_traces_before_they_turn_subnormal():
    decay = math.exp(-1e-3 / 0.02)
    gain = (1 - decay) / 1e-3
    filtered = np.array([1.0, 0.0])
    dec = np.ones((2, 1), order="F")
    value, command = np.zeros(1), np.zeros(1)
    spikes = np.zeros(2, dtype=np.bool_)
    steps = 0
    while filtered[0] != 0.0:
        k.filter_decode_step(spikes, decay, gain, filtered, dec, np.ones(1), value, command)
        steps += 1
    # It decays exactly until it would cross 1e-30, then is zero (never subnormal).
    assert decay ** (steps - 1) >= k.FILTER_FLOOR * 0.99 and steps < 2000
