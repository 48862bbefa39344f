"""Readouts and rate propagation against NumPy, and the output units' own decay.

``readout_spikes`` (the decayed value plus the gain times the summed weights
of the spiking neurons, in spike order: exact), ``readout_rates`` (a dot
product compiled with reassociation: rtol-tight), ``propagate_dense_rates``
(rate x dt times each active row, into the ring slot the LIF population
reads next step: exact) and ``update_output`` (decay; no filter with
``tau=None``). Weights of a readout are stored by output; the named view is
``[n_pre, n_post]``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_IN, N_RATE, N_LIF, N_OUT = 4, 6, 5, 3
STEPS = 200


def decay_and_gain(tau: float | None) -> tuple[float, float]:
    """Output decay per step and input gain (1 - decay) / dt."""
    decay = 0.0 if tau is None else math.exp(-DT / tau)
    return decay, (1.0 - decay) / DT


def spike_sums(weights: np.ndarray, spiking: np.ndarray) -> np.ndarray:
    """Sum of the rows of the spiking neurons, added in spike order (as the kernels do)."""
    total = np.zeros(weights.shape[1])
    for i in np.flatnonzero(spiking):
        total = total + weights[i]
    return total


@pytest.fixture
def rng():
    return np.random.default_rng(5)


@pytest.mark.parametrize("tau", [0.005, None], ids=["tau", "no-filter"])
def test_readout_of_spikes_is_the_decayed_value_plus_the_summed_weights(
    make_rate_network, rng, tau
):
    sim = Simulator(make_rate_network(lif_tau=tau), dt=DT, seed=1)
    sim.state["lif_readout.weights"] = rng.normal(size=(N_LIF, N_OUT))
    weights = sim.weights("lif_readout").astype(np.float64)
    decay, gain = decay_and_gain(tau)
    lif = sim.slice_of("lif")
    expected = np.zeros(N_OUT)
    spikes_seen = 0
    for _ in range(STEPS):
        sim.state["lif.i_ext"] = rng.uniform(0.0, 20.0, N_LIF)
        spiking = sim.step()[lif]
        n_spikes = int(spiking.sum())
        expected = expected * decay
        if n_spikes:
            expected = expected + gain * spike_sums(weights, spiking)
        np.testing.assert_array_equal(sim.state["lif_out.value"], expected)
        counts = sim.operation_counts()["lif_readout"]
        assert counts["synops"] == n_spikes * N_OUT == sim.synops_per_projection()["lif_readout"]
        assert counts["macs"] == (N_OUT if n_spikes else 0)
        spikes_seen += n_spikes
    assert STEPS < spikes_seen < STEPS * N_LIF * 0.9  # several, not all, neurons spike per step


def test_readout_weights_are_stored_by_output_behind_a_pre_post_view(make_rate_network, rng):
    sim = Simulator(make_rate_network(), dt=DT)
    matrix = rng.normal(size=(N_LIF, N_OUT)).astype(np.float32)
    sim.state["lif_readout.weights"] = matrix
    np.testing.assert_array_equal(sim.state["lif_readout.weights"], matrix)
    np.testing.assert_array_equal(sim.weight_matrix("lif_readout"), matrix)
    q = sim.built.projection_index["lif_readout"]
    start = sim.state_targets()["synapses.ints"][q, 6]  # PRJ_W_START
    stored = sim.state_targets()["synapses.weights"][start : start + matrix.size]
    np.testing.assert_array_equal(stored, matrix.T.ravel())  # one column per output
    pre, post = sim.built.synapse_indices("lif_readout")
    np.testing.assert_array_equal(stored, matrix[pre, post])


@pytest.mark.parametrize("tau", [0.02, None], ids=["tau", "no-filter"])
def test_readout_of_rates_is_a_dot_product_per_output(make_rate_network, rng, tau):
    sim = Simulator(make_rate_network(rate_tau=tau), dt=DT, seed=2)
    weights = sim.weights("rate_readout").astype(np.float64)
    decay, gain = decay_and_gain(tau)
    expected = np.zeros(N_OUT)
    for _ in range(STEPS):
        sim.state["rate.i_ext"] = rng.uniform(0.0, 3.0, N_RATE)  # some neurons below threshold
        sim.step()
        rate = sim.state["rate.rate"]
        expected = expected * decay + gain * DT * (rate @ weights)
        np.testing.assert_allclose(sim.state["rate_out.value"], expected, rtol=1e-12, atol=1e-12)
        active = np.count_nonzero(rate)
        assert sim.operation_counts()["rate_readout"] == {
            "synops": 0,
            "neuron_updates": 0,
            "macs": active * N_OUT,
        }
    assert np.abs(expected).max() > 10.0


def test_rates_reach_lif_neurons_through_the_ring_as_rate_dt_times_each_row(make_rate_network, rng):
    sim = Simulator(make_rate_network(), dt=DT, seed=3)
    weights = sim.weights("rate_lif").astype(np.float64)
    syn_decay = math.exp(-DT / 0.004)
    ring, lif = sim.state_targets()["network.ring"], sim.slice_of("lif")
    received, i_syn = np.zeros(N_LIF), np.zeros(N_LIF)
    for _ in range(STEPS):
        sim.state["rate.i_ext"] = rng.uniform(0.0, 3.0, N_RATE)
        sim.step()
        i_syn = i_syn * syn_decay + received  # last step's rates arrive in this step
        np.testing.assert_array_equal(sim.state["lif.i_syn"], i_syn)
        rate = sim.state["rate.rate"]
        received = np.zeros(N_LIF)
        for i in np.flatnonzero(rate):
            received = received + (rate[i] * DT) * weights[i]
        np.testing.assert_array_equal(ring[lif], received)  # waiting for the next step
        assert sim.operation_counts()["rate_lif"]["macs"] == np.count_nonzero(rate) * N_LIF
    assert np.abs(i_syn).max() > 0.1


@pytest.mark.parametrize("tau", [0.01, None], ids=["tau", "no-filter"])
def test_outputs_decay_by_exp_minus_dt_over_tau(make_rate_network, tau):
    sim = Simulator(make_rate_network(rate_tau=tau, lif_tau=tau), dt=DT)
    sim.state["rate_readout.weights"] = 0.0
    sim.state["lif_readout.weights"] = 0.0
    values = np.array([1.5, -2.0, 0.25])
    sim.state["rate_out.value"] = values
    sim.state["lif_out.value"] = -values
    sim.state["rate.i_ext"] = 2.0
    sim.state["lif.i_ext"] = 50.0  # spiking every step: the readout adds its zero weights
    decay, _ = decay_and_gain(tau)
    for _ in range(3):
        sim.step()
        values = values * decay
        np.testing.assert_array_equal(sim.state["rate_out.value"], values)
        np.testing.assert_array_equal(sim.state["lif_out.value"], -values)
    assert sim.spike_counts()["lif"] > 0
    counts = sim.operation_counts()
    assert (
        counts["rate_out"]
        == counts["lif_out"]
        == {
            "synops": 0,
            "neuron_updates": 0,
            "macs": N_OUT,  # the output synapse, a multiply-add per unit
        }
    )
