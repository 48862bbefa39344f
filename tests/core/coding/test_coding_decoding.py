"""Decoders: NEF least squares, exact exponential filter, clipping, in-place learning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.decoding import (
    FilteredSpikeDecoder,
    LinearDecoder,
    nef_decoders,
    solve_decoders,
)
from neurocontrol.core.encoding import NEFEncoder


@pytest.mark.parametrize("n_neurons", [200, 500])
def test_nef_decoders_recover_identity_and_sine(n_neurons):
    enc = NEFEncoder(n_neurons, 1, seed=n_neurons)
    solution = nef_decoders(enc, lambda x: np.column_stack([x[:, 0], np.sin(np.pi * x[:, 0])]))
    assert solution.decoders.shape == (n_neurons, 2)
    # fresh test points, not the fitted ones
    x = np.linspace(-1, 1, 401)[:, None]
    decoded = enc.tuning_curves(x) @ solution.decoders
    rmse = np.sqrt(np.mean((decoded - np.column_stack([x, np.sin(np.pi * x)])) ** 2, axis=0))
    assert (rmse < 0.05).all(), rmse
    assert solution.rmse < 0.05


def test_nef_decoders_in_joint_space_with_physical_units():
    enc = NEFEncoder(500, 2, center=[0.5, 0.0], radius=[1.0, 4.0], seed=0)
    solution = nef_decoders(enc, lambda x: x, n_eval_points=2000, seed=1)
    x = np.array([[0.8, -2.0], [0.1, 3.0], [1.2, 0.5]])
    np.testing.assert_allclose(enc.tuning_curves(x) @ solution.decoders, x, atol=0.1 * 4.0)
    assert solution.eval_points.shape == (2000, 2)
    assert (np.abs(solution.eval_points - [0.5, 0.0]) <= [1.0, 4.0]).all()


def test_solve_decoders_is_regularised_least_squares():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 200, size=(300, 40))
    y = rng.normal(size=(300, 2))
    reg = 0.1
    sigma = reg * a.max()
    want = np.linalg.solve(a.T @ a + 300 * sigma**2 * np.eye(40), a.T @ y)
    np.testing.assert_allclose(solve_decoders(a, y, reg), want, rtol=1e-10)
    # reg=0 is ordinary least squares; more regularisation shrinks the decoders
    ols = np.linalg.lstsq(a, y, rcond=None)[0]
    np.testing.assert_allclose(solve_decoders(a, y, 0.0), ols, rtol=1e-6, atol=1e-10)
    assert np.linalg.norm(solve_decoders(a, y, 1.0)) < np.linalg.norm(want)
    assert solve_decoders(a, y[:, 0]).shape == (40,)


def test_filter_decay_is_exact_exponential():
    dt, tau = 1e-3, 0.05
    dec = FilteredSpikeDecoder(3, 1, tau=tau, dt=dt, decoders=[[1.0], [0.0], [0.0]])
    spikes = np.array([1, 0, 2], dtype=np.uint8)
    dec.decode(spikes)
    gain = (1 - math.exp(-dt / tau)) / dt
    np.testing.assert_array_equal(dec.activities, [gain, 0.0, 2 * gain])
    silent = np.zeros(3, dtype=np.uint8)
    expected = gain
    for step in range(1, 200):
        dec.decode(silent)
        expected = expected * math.exp(-dt / tau)
        assert dec.activities[0] == expected
        assert abs(dec.activities[0] - gain * math.exp(-step * dt / tau)) <= 1e-13 * gain
    assert dec.value[0] == dec.activities[0]


def test_filtered_rate_of_a_regular_spike_train_is_its_rate():
    dec = FilteredSpikeDecoder(2, 1, tau=0.02)
    for step in range(2000):
        dec.decode(np.array([True, step % 10 == 0]))
    np.testing.assert_allclose(dec.activities[0], 1000.0, rtol=1e-12)  # every step
    assert 60.0 < dec.activities[1] < 160.0  # 100 Hz, ripple of the 20 ms filter


def test_spiking_population_decodes_its_input():
    enc = NEFEncoder(400, 1, seed=3)
    solution = nef_decoders(enc, lambda x: np.sin(np.pi * x[:, 0]))
    dec = FilteredSpikeDecoder(400, 1, tau=0.05, decoders=solution.decoders)
    rng = np.random.default_rng(0)
    x = np.array([0.3])
    values = []
    for _ in range(1500):
        spikes = rng.random(400) < enc.encode_rates(x) * 1e-3
        values.append(dec.decode(spikes)[0])
    assert abs(np.mean(values[500:]) - np.sin(np.pi * 0.3)) < 0.05


def test_command_is_scaled_and_clipped_value_is_not():
    dec = LinearDecoder(2, 3, decoders=[[1.0, -1.0, 0.1], [1.0, -1.0, 0.1]],
                        output_scale=[0.5, 0.5, 2.0])  # fmt: skip
    command = dec.decode(np.array([1.5, 1.5]))
    np.testing.assert_allclose(dec.value, [3.0, -3.0, 0.3])
    np.testing.assert_allclose(command, [1.0, -1.0, 0.6])
    assert command is dec.command
    out = np.zeros(3)
    assert dec.decode(np.array([0.1, 0.1]), out=out) is out
    np.testing.assert_allclose(out, [0.1, -0.1, 0.04])


def test_decoders_are_a_plain_array_updated_in_place():
    dec = FilteredSpikeDecoder(4, 2)
    held = dec.decoders  # what a PES rule keeps
    assert isinstance(held, np.ndarray) and held.dtype == np.float64 and not held.any()
    spikes = np.array([1, 1, 0, 0], dtype=np.uint8)
    dec.decode(spikes)
    held += np.outer(dec.activities, [0.01, -0.02])  # a learning step
    value = dec.decode(np.zeros(4, dtype=np.uint8)) * 0 + dec.value
    np.testing.assert_allclose(value, dec.activities @ held)
    assert value[0] > 0 > value[1]
    dec.decoders = np.ones((4, 2))
    assert dec.decoders is held and (held == 1).all()
    dec.reset()
    assert not dec.activities.any() and (dec.decoders == 1).all()  # learned state kept
