"""The per-step calls write into preallocated arrays: no array is allocated per step."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from neurocontrol.core.decoding import FilteredSpikeDecoder, LinearDecoder
from neurocontrol.core.encoding import (
    GaussianPopulationEncoder,
    NEFEncoder,
    PoissonEncoder,
    SendOnDeltaEncoder,
    TactileEncoder,
)

X4 = np.array([0.1, -0.2, 0.5, 0.9])
SPIKES = np.random.default_rng(0).random(1000) < 0.05
RATES = np.random.default_rng(1).uniform(0, 200, 1000)

STEPS = {
    "send_on_delta": (SendOnDeltaEncoder(4, 0.01, initial=0.0).encode, X4),
    "gaussian_current": (GaussianPopulationEncoder(4, -1, 1, 250).encode, X4),
    "gaussian_bernoulli": (
        GaussianPopulationEncoder(4, -1, 1, 250, mode="bernoulli", max_rate=200.0).encode,
        X4,
    ),
    "poisson": (PoissonEncoder(1000, seed=0).encode, RATES),
    "nef_currents": (NEFEncoder(1000, 4, seed=0).encode, X4),
    "nef_rates": (NEFEncoder(1000, 4, seed=0).encode_rates, X4),
    "tactile": (TactileEncoder(4, 1.0, 0.5, 2.0, seed=0).encode, X4 + 1),
    "filtered_decoder": (FilteredSpikeDecoder(1000, 7).decode, SPIKES),
    "linear_decoder": (LinearDecoder(1000, 7).decode, RATES),
}

ARRAY_BYTES = 8000  # one float64 array of 1000 neurons


def peak_growth(step, x, n_steps=500) -> int:
    for _ in range(3):
        step(x)  # compile, warm up
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(n_steps):
            step(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start


def test_the_check_sees_a_per_step_array():
    assert peak_growth(lambda x: np.zeros(1000) + x[0], X4) >= ARRAY_BYTES


@pytest.mark.parametrize("name", sorted(STEPS))
def test_step_allocates_no_array(name):
    step, x = STEPS[name]
    first = step(x)
    assert step(x) is first  # the same preallocated output every step
    assert peak_growth(step, x) < ARRAY_BYTES // 4
