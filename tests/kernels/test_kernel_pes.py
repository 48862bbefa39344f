from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.kernels.pes import pes_decoder_update


def pes_reference(decoders, activities, error, rate_dt):
    return decoders - rate_dt * np.outer(activities, error)


@pytest.mark.parametrize("order", ["C", "F"])
def test_pes_kernel_matches_numpy(order) -> None:
    rng = np.random.default_rng(0)
    decoders = np.asarray(rng.normal(size=(300, 7)), order=order)
    activities = rng.exponential(50.0, 300) * (rng.random(300) < 0.3)
    error = rng.normal(size=7)
    expected = pes_reference(decoders, activities, error, 1e-8)
    pes_decoder_update(decoders, activities, error, 1e-8)
    np.testing.assert_allclose(decoders, expected, rtol=0, atol=1e-15)


def test_pes_kernel_zero_error_changes_nothing() -> None:
    decoders = np.ones((10, 2))
    pes_decoder_update(decoders, np.full(10, 100.0), np.zeros(2), 1e-3)
    np.testing.assert_array_equal(decoders, 1.0)
