from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.energy import EnergyModel
from neurocontrol.errors import ConfigError
from neurocontrol.utils.statistics import latency_summary, per_cycle_rms, rms


def test_rms_matches_definition() -> None:
    values = np.array([3.0, -4.0])
    assert rms(values) == pytest.approx(np.sqrt(12.5))
    assert np.isnan(rms(np.array([])))


def test_per_cycle_rms_cuts_at_cycle_boundaries() -> None:
    dt = 1e-3
    time = np.arange(1, 3001) * dt  # 3 s at 1 kHz
    error = np.where(time <= 1.0 + 1e-12, 1.0, 2.0)
    error[time > 2.0 + 1e-12] = 3.0
    cycles = per_cycle_rms(error, time, cycle_duration=1.0)
    np.testing.assert_allclose(cycles, [1.0, 2.0, 3.0])


def test_per_cycle_rms_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        per_cycle_rms(np.zeros(3), np.zeros(4), 1.0)


def test_latency_summary_percentiles() -> None:
    values = np.arange(1, 101, dtype=float)
    summary = latency_summary(values)
    assert summary["p50_us"] == pytest.approx(50.5)
    assert summary["p99_us"] == pytest.approx(np.percentile(values, 99))
    assert summary["max_us"] == 100.0


def test_energy_model_counts_operations() -> None:
    model = EnergyModel()
    assert model.spiking_energy(synops=1e6, neuron_updates=0) == pytest.approx(0.9e-6)
    assert model.dense_energy(macs=1e6) == pytest.approx(4.6e-6)
    loihi = EnergyModel.loihi()
    assert loihi.e_synop == pytest.approx(23.6e-12)
    assert "Davies" in loihi.source


def test_energy_model_rejects_negative_energy() -> None:
    with pytest.raises(ConfigError, match=r"EnergyModel.e_mac must be a finite number >= 0"):
        EnergyModel(e_mac=-1.0)
