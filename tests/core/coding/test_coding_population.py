"""Gaussian population codes, Poisson spikes and NEF currents: formulas and statistics."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.encoding import (
    GaussianPopulationEncoder,
    NEFEncoder,
    PoissonEncoder,
    lif_rates,
)

LOW = np.array([-1.0, -2.0, -5.0, -5.0])
HIGH = np.array([1.0, 2.0, 5.0, 5.0])


def receptive_field(x, n_per, amplitude, width=None):
    out = []
    for i in range(len(x)):
        centers = np.linspace(LOW[i], HIGH[i], n_per)
        sigma = (HIGH[i] - LOW[i]) / (n_per - 1) if width is None else width[i]
        xi = np.clip(x[i], LOW[i], HIGH[i])
        out.append(amplitude * np.exp(-((xi - centers) ** 2) / (2 * sigma**2)))
    return np.concatenate(out)


def test_current_mode_is_the_receptive_field_formula():
    enc = GaussianPopulationEncoder(4, LOW, HIGH, 9, max_current=2.5)
    x = np.array([0.3, -1.7, 4.0, 0.0])
    np.testing.assert_allclose(enc.encode(x), receptive_field(x, 9, 2.5), rtol=1e-14)
    assert enc.encode(x).dtype == np.float64 and enc.n_outputs == 36
    # the neuron whose center is nearest fires most, per signal
    act = enc.encode(x).reshape(4, 9)
    centers = enc.centers.reshape(4, 9)
    np.testing.assert_array_equal(act.argmax(1), np.abs(centers - x[:, None]).argmin(1))


def test_inputs_outside_the_range_saturate_at_the_edge():
    enc = GaussianPopulationEncoder(4, LOW, HIGH, 5, width=[0.1, 0.2, 0.3, 0.4])
    far = enc.encode(np.array([10.0, -10.0, 100.0, -100.0])).copy()
    edge = enc.encode(HIGH * [1, -1, 1, -1]).copy()
    np.testing.assert_array_equal(far, edge)
    np.testing.assert_allclose(
        far, receptive_field(HIGH * [1, -1, 1, -1], 5, 1.0, [0.1, 0.2, 0.3, 0.4]), rtol=1e-14
    )


def test_bernoulli_rates_match_the_receptive_fields_within_sampling_error():
    n_steps, n_per, max_rate, dt = 20000, 12, 300.0, 1e-3
    enc = GaussianPopulationEncoder(
        4, LOW, HIGH, n_per, mode="bernoulli", max_rate=max_rate, dt=dt, seed=11
    )
    x = np.array([0.2, 1.1, -3.3, 4.9])
    counts = np.zeros(enc.n_outputs)
    for _ in range(n_steps):
        counts += enc.encode(x)
    p = receptive_field(x, n_per, max_rate * dt)
    np.testing.assert_allclose(enc.activation, p, rtol=1e-14)
    sampling_sd = np.sqrt(p * (1 - p) / n_steps)
    assert (np.abs(counts / n_steps - p) <= 5 * sampling_sd + 1e-12).all()
    rate_hz = counts / (n_steps * dt)
    assert abs(rate_hz.max() - max_rate) < 0.2 * max_rate  # the best-tuned neuron


def test_poisson_mode_counts_have_poisson_mean_and_variance():
    n_steps = 20000
    enc = GaussianPopulationEncoder(1, -1.0, 1.0, 3, mode="poisson", max_rate=2000.0, seed=3)
    samples = np.array([enc.encode(np.array([0.0])).copy() for _ in range(n_steps)], float)
    lam = receptive_field(np.array([0.0]), 3, 2.0)[:3]
    np.testing.assert_allclose(lam, [2 * np.exp(-0.5), 2.0, 2 * np.exp(-0.5)])
    se = np.sqrt(lam / n_steps)
    assert (np.abs(samples.mean(0) - lam) < 5 * se).all()
    assert (np.abs(samples.var(0) / lam - 1) < 0.06).all()
    assert samples.max() > 3  # counts, not just spikes


def test_same_seed_same_events_and_reset_reseeds():
    def events(enc):
        return np.array([enc.encode(np.array([0.1, 0.2, 0.3, 0.4])).copy() for _ in range(200)])

    kw = {"mode": "bernoulli", "max_rate": 400.0}
    a = GaussianPopulationEncoder(4, LOW, HIGH, 10, seed=5, **kw)
    b = GaussianPopulationEncoder(4, LOW, HIGH, 10, seed=5, **kw)
    c = GaussianPopulationEncoder(4, LOW, HIGH, 10, seed=6, **kw)
    first = events(a)
    np.testing.assert_array_equal(first, events(b))
    assert (first != events(c)).any()
    a.reset(seed=5)
    np.testing.assert_array_equal(events(a), first)
    a.reset()  # keeps the generator going: a new stretch of noise
    assert (events(a) != first).any()


@pytest.mark.parametrize("mode", ["bernoulli", "poisson"])
def test_poisson_encoder_rates(mode):
    n_steps, dt = 20000, 1e-3
    rates = np.array([0.0, 5.0, 50.0, 400.0])
    enc = PoissonEncoder(4, mode=mode, dt=dt, seed=2)
    counts = np.zeros(4)
    for _ in range(n_steps):
        counts += enc.encode(rates)
    lam = rates * dt
    assert counts[0] == 0
    sd = np.sqrt(lam * (1 - lam if mode == "bernoulli" else 1) / n_steps)
    assert (np.abs(counts / n_steps - lam) <= 5 * sd).all()


def test_poisson_encoder_bernoulli_saturates_at_one_spike():
    enc = PoissonEncoder(2, mode="bernoulli", seed=0)
    np.testing.assert_array_equal(enc.encode(np.array([1e4, 1e9])), [1, 1])


def test_nef_gains_biases_give_max_rates_and_intercepts():
    enc = NEFEncoder(200, 4, max_rates=(150.0, 250.0), intercepts=(-0.5, 0.5), seed=9)
    np.testing.assert_allclose(np.linalg.norm(enc.encoders, axis=1), 1.0, rtol=1e-12)
    # at x = e_k (preferred direction, unit length) neuron k fires at its max rate
    currents_at_pref = enc.gains + enc.biases
    rates = lif_rates(currents_at_pref)
    assert (rates >= 150.0 - 1e-9).all() and (rates <= 250.0 + 1e-9).all()
    # the intercept c_k = (1 - bias) / gain is where the current reaches threshold
    intercepts = (1 - enc.biases) / enc.gains
    assert (intercepts >= -0.5).all() and (intercepts <= 0.5).all()
    assert intercepts.std() > 0.2  # spread, not constant


def test_nef_currents_and_rates_follow_the_formula():
    center, radius = np.array([0.5, 1.0, 0.0, 0.0]), np.array([1.0, 1.5, 5.0, 5.0])
    enc = NEFEncoder(1000, 4, center=center, radius=radius, seed=1)
    x = np.array([0.9, 0.2, -2.0, 3.0])
    want = enc.gains * (enc.encoders @ ((x - center) / radius)) + enc.biases
    np.testing.assert_allclose(enc.encode(x), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(enc.encode_rates(x), lif_rates(want), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(
        enc.tuning_curves(np.vstack([x, x]))[1], lif_rates(want), rtol=1e-10, atol=1e-9
    )
    active = (enc.encode_rates(x) > 0).mean()
    assert 0.2 < active < 0.8


def test_nef_seed_determines_the_population():
    a, b = NEFEncoder(50, 2, seed=4), NEFEncoder(50, 2, seed=4)
    np.testing.assert_array_equal(a.encoders, b.encoders)
    np.testing.assert_array_equal(a.gains, b.gains)
    assert (NEFEncoder(50, 2, seed=5).encoders != a.encoders).any()


def test_nef_loaded_parameters_drive_the_currents():
    enc = NEFEncoder(30, 2, center=[1.0, 0.0], radius=[2.0, 1.0], seed=0)
    state = enc.state_dict()
    state["gains"] = state["gains"] * 2.0
    enc.load_state_dict(state)
    x = np.array([2.0, 0.5])
    want = state["gains"] * (state["encoders"] @ ((x - [1.0, 0.0]) / [2.0, 1.0]))
    np.testing.assert_allclose(enc.encode(x), want + state["biases"], rtol=1e-12, atol=1e-12)
