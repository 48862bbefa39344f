"""``update_lif_rate`` against NumPy: the steady-state LIF rate of this step's input current.

Normalised parameters against :func:`neurocontrol.core.encoding.lif_rates` (the
same rate, written with ``log1p``: within 1e-13 of the kernel's logarithm of
the ratio), to the last bit against the compiled ``lif_rates_inplace`` of
the standalone encoders, and within a few ulps of the formula written with
the C library's ``log`` (the kernel's logarithm is its own, vectorised);
general ``v_rest/v_reset/v_th/r_m`` against that formula; synaptic input
from a spiking projection through an exponential synapse (``tau_syn``) or
as the mean current of delta pulses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neurocontrol.core.encoding import lif_rates
from neurocontrol.core.kernels.coding import lif_rates_inplace
from neurocontrol.core.model.neurons import LIFRate
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_IN, N_RATE = 4, 6
#: a membrane in volts and a current in amperes-like units (r_m scales it)
GENERAL = {"tau_m": 0.03, "v_rest": -0.065, "v_reset": -0.07, "v_th": -0.05,
           "tau_ref": 0.0015, "r_m": 50.0, "i_bias": 1e-4}  # fmt: skip


def log(x: np.ndarray) -> np.ndarray:
    """The C library's ``log`` (the kernel's), element by element."""
    return np.array([math.log(value) for value in x])


def steady_rate(model: LIFRate, current: np.ndarray) -> np.ndarray:
    """The LIF rate model's formula in NumPy (the docstring of :class:`LIFRate`)."""
    above = model.v_rest + model.r_m * current - model.v_th
    rate = np.zeros_like(above)
    positive = above > 0.0
    span = model.v_th - model.v_reset
    ratio = (above[positive] + span) / above[positive]
    rate[positive] = 1.0 / (model.tau_ref + model.tau_m * log(ratio))
    return rate


@pytest.fixture(scope="module")
def normalised(make_rate_network):
    return Simulator(make_rate_network(LIFRate(tau_m=0.02, tau_ref=0.002)), dt=DT)


@settings(max_examples=25, deadline=None)
@given(currents=arrays(np.float64, N_RATE, elements=st.floats(-2.0, 60.0)))
def test_normalised_rates_are_the_lif_rates_of_the_encoders(normalised, currents):
    normalised.state["rate.i_ext"] = currents
    normalised.step()
    rate = normalised.state["rate.rate"]
    np.testing.assert_allclose(rate, lif_rates(currents, 0.02, 0.002), rtol=1e-13, atol=0)
    compiled = np.zeros(N_RATE)
    lif_rates_inplace(currents, 0.02, 0.002, compiled, np.zeros(N_RATE), np.zeros(N_RATE, np.int32))
    np.testing.assert_array_equal(rate, compiled)
    np.testing.assert_array_max_ulp(rate, steady_rate(LIFRate(), currents), maxulp=4)


def test_threshold_and_below_give_zero_and_no_spikes(normalised):
    normalised.state["rate.i_ext"] = [-1.0, 0.0, 0.5, 1.0, 1.0 + 1e-12, 2.0]
    spikes = normalised.step()
    rate = normalised.state["rate.rate"]
    np.testing.assert_array_equal(rate[:4], 0.0)
    assert 0.0 < rate[4] < 10.0 < rate[5]
    assert not spikes[normalised.slice_of("rate")].any()
    assert normalised.spike_counts()["rate"] == 0


def test_general_membrane_parameters_match_the_formula(make_rate_network):
    model = LIFRate(**GENERAL)
    sim = Simulator(make_rate_network(model), dt=DT)
    currents = np.linspace(0.0, 1e-3, N_RATE)  # the threshold is at 2e-4 (3e-4 - i_bias)
    sim.state["rate.i_ext"] = currents
    sim.step()
    expected = steady_rate(model, model.i_bias + currents)
    np.testing.assert_array_max_ulp(sim.state["rate.rate"], expected, maxulp=4)
    assert expected[0] == 0.0 and (expected[2:] > 20.0).all()


@pytest.mark.parametrize(
    "model",
    [
        LIFRate(),
        LIFRate(**GENERAL),
        LIFRate(tau_syn=0.005),
        LIFRate(**{**GENERAL, "tau_syn": 0.003}),
    ],
    ids=["delta", "delta-general", "tau_syn", "tau_syn-general"],
)
def test_synaptic_input_from_spikes(make_rate_network, model):
    """Spikes of step t reach the rates of step t + 1: as ``I_syn`` (read before this step's
    arrivals) or as ``tau_m w / (r_m dt)`` per weight received."""
    sim = Simulator(make_rate_network(model), dt=DT, seed=3)
    rng = np.random.default_rng(0)
    scale = 1.0 if model.r_m == 1.0 else 1e-3
    weights = sim.weights("inp_rate").astype(np.float64) * scale
    sim.state["inp_rate.weights"] = weights
    weights = sim.weights("inp_rate").astype(np.float64)  # as stored (float32)
    delta_current = model.tau_m / (model.r_m * DT)
    syn_decay = 0.0 if model.tau_syn is None else math.exp(-DT / model.tau_syn)
    received, i_syn = np.zeros(N_RATE), np.zeros(N_RATE)
    active = 0
    for _ in range(150):
        events = rng.random(N_IN) < 0.4
        i_ext = rng.uniform(0.5, 3.0, N_RATE) * scale
        sim.state["rate.i_ext"] = i_ext
        sim.step(events)
        current = model.i_bias + i_ext
        if model.tau_syn is None:
            current = current + received * delta_current
        else:
            current = current + i_syn
            i_syn = i_syn * syn_decay + received
        expected = steady_rate(model, current)
        np.testing.assert_array_max_ulp(sim.state["rate.rate"], expected, maxulp=4)
        np.testing.assert_array_equal(sim.state["rate.i_syn"], i_syn)
        active += np.count_nonzero(expected)
        received = np.zeros(N_RATE)
        for i in np.flatnonzero(events):  # the ring sums the rows in spike order
            received = received + weights[i]
    assert 0.2 * 150 * N_RATE < active < 150 * N_RATE  # both sides of threshold were visited
