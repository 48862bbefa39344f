"""The vectorised logarithm against NumPy's, over the whole range of normal doubles."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit

from neurocontrol.core.kernels.step.logarithm import log_inplace


@njit(cache=True)
def log_of(values, exponents):  # pragma: no cover - compiled
    """``log_inplace`` called from compiled code (as the kernels call it)."""
    log_inplace(values, exponents)


def logarithm(values: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64)
    log_of(out, np.zeros(out.size, dtype=np.int32))
    return out


def test_matches_numpy_from_the_smallest_to_the_largest_normal_double():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            10.0 ** rng.uniform(-307.5, 308.0, 20000),
            1.0 + rng.uniform(-1e-6, 1e-6, 1000),  # around 1, where ln x is near 0
            [1.0, 2.0, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 2.0), 0.5, 1e-300, 1e300],
            [np.finfo(np.float64).tiny, np.finfo(np.float64).max],
        ]
    )
    np.testing.assert_array_max_ulp(logarithm(values), np.log(values), maxulp=2)
    assert logarithm(np.array([1.0]))[0] == 0.0


@settings(max_examples=50, deadline=None)
@given(values=arrays(np.float64, 16, elements=st.floats(1.0 + 1e-12, 1e6)))
def test_ratios_of_the_rate_model(values):
    """The arguments the rate model takes, (v_inf - v_reset) / (v_inf - v_th) > 1."""
    np.testing.assert_allclose(logarithm(values), np.log(values), rtol=4.5e-16, atol=1e-300)
