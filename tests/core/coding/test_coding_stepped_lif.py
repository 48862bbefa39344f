"""The stepped LIF rate model is the simulated one; NEF gains solved for it keep the mean rates."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.encoding import NEFEncoder, lif_rates, lif_rates_stepped
from neurocontrol.core.model import LIF, Network, Population
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError


def simulated_rates(currents: np.ndarray, seconds: float = 2.0, dt: float = 1e-3) -> np.ndarray:
    """Rates (Hz) of LIF neurons in the simulator under constant normalised currents."""
    network = Network([Population(currents.size, LIF(tau_m=0.02, tau_ref=0.002), name="hidden")])
    sim = Simulator(network, dt=dt, seed=0)
    sim.state["hidden.i_ext"][...] = currents
    spikes = sim.spikes[sim.slice_of("hidden")]
    first, last = np.full(currents.size, -1), np.zeros(currents.size, dtype=int)
    count = np.zeros(currents.size)
    for step in range(round(seconds / dt)):
        sim.step()
        fired = spikes.astype(bool)
        first[fired & (first < 0)] = step
        last[fired] = step
        count += fired
    # whole interspike intervals between the first and last spike: no start-up transient
    rates = np.zeros(currents.size)
    ok = count > 1
    rates[ok] = (count[ok] - 1) / ((last[ok] - first[ok]) * dt)
    return rates


def test_stepped_rate_is_the_simulated_lif_rate():
    currents = np.concatenate([np.linspace(0.5, 1.0, 5), np.geomspace(1.001, 40.0, 200)])
    np.testing.assert_allclose(simulated_rates(currents), lif_rates_stepped(currents), rtol=1e-9)
    # and below the continuous curve, by up to one step per interval
    above = currents > 1.0
    stepped, continuous = lif_rates_stepped(currents)[above], lif_rates(currents)[above]
    assert np.all(stepped <= continuous)
    assert np.all(1.0 / stepped - 1.0 / continuous <= 1e-3 + 1e-12)


def test_tuning_for_the_stepped_neuron_keeps_each_neurons_mean_rate():
    continuous = NEFEncoder(300, 4, seed=3)
    stepped = NEFEncoder(300, 4, seed=3, dt=1e-3)
    np.testing.assert_array_equal(stepped.encoders, continuous.encoders)
    intercepts = (1.0 - continuous.biases) / continuous.gains
    np.testing.assert_allclose((1.0 - stepped.biases) / stepped.gains, intercepts)
    assert np.all(stepped.gains > continuous.gains)
    # along each encoder, over [intercept, 1]: the simulated neuron's mean rate is the curve's
    u = (np.arange(400) + 0.5) / 400
    x = intercepts[:, None] + (1.0 - intercepts[:, None]) * u
    want = lif_rates(continuous.gains[:, None] * x + continuous.biases[:, None]).mean(axis=1)
    got = lif_rates_stepped(stepped.gains[:, None] * x + stepped.biases[:, None]).mean(axis=1)
    np.testing.assert_allclose(got, want, rtol=0.02)
    # without the correction the simulated population is ~10% slower
    slow = lif_rates_stepped(continuous.gains[:, None] * x + continuous.biases[:, None])
    assert slow.mean() < 0.93 * want.mean()


def test_stepped_tuning_refuses_rates_the_stepped_neuron_cannot_reach():
    with pytest.raises(ConfigError, match="lower max_rates"):
        NEFEncoder(50, 2, seed=0, dt=1e-3, max_rates=(450.0, 490.0))
    with pytest.raises(ConfigError, match="whole number of steps"):
        NEFEncoder(50, 2, seed=0, dt=1e-3, tau_ref=0.0015, max_rates=(100.0, 200.0))
