"""The adaptive controller's network against NumPy: decoding, PES, level crossings, the twin."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.agents import AdaptiveController
from neurocontrol.core.decoding import FilteredSpikeDecoder
from neurocontrol.core.encoding import SendOnDeltaEncoder
from neurocontrol.errors import ConfigError

from .conftest import drive


def test_the_output_is_the_decoded_filtered_spike_trains_while_pes_learns_per_spike(
    planar, planar_observations
):
    """y = D^T a (a: the spike trains through the decoding synapse), with the decoders of
    after each step's PES, which moves each spiking neuron's decoders by -kappa e; D is
    the slow readout's decoders plus the fast one's."""
    agent = AdaptiveController.from_env(planar, n_neurons=40, seed=2)
    sim = agent.simulator
    reference = FilteredSpikeDecoder(40, 2, tau=0.02, dt=agent.base.dt)
    hidden = sim.slice_of("hidden")
    for obs in planar_observations[:600]:
        before = agent.decoders.astype(np.float64)
        agent.act(obs)
        spiked = sim.spikes[hidden].copy()
        reference.decode(spiked)
        expected = before.copy()
        expected[spiked] -= agent.learning_rate / agent.n_neurons * agent.error
        np.testing.assert_allclose(agent.decoders, expected, rtol=1e-6, atol=1e-12)
        both = agent.decoders.astype(np.float64) + sim.weight_matrix("fast")
        np.testing.assert_allclose(
            sim.state["torque.value"],
            both.T @ reference.activities,
            rtol=1e-6,  # kept incrementally: rounding is forgotten with the synapse's decay
            atol=1e-9,
        )
    assert np.any(agent.decoders)


def test_pes_on_filtered_activities(planar, planar_observations):
    """pes_pre_tau: each step D -= kappa dt a e with a the spikes filtered with pre_tau."""
    agent = AdaptiveController.from_env(
        planar, n_neurons=30, seed=1, input_coding="nef_currents", pes_pre_tau=0.01
    )
    sim = agent.simulator
    filtered = FilteredSpikeDecoder(30, 2, tau=0.01, dt=agent.base.dt)
    for obs in planar_observations[:300]:
        before = agent.decoders.astype(np.float64)
        agent.act(obs)
        filtered.decode(sim.spikes[sim.slice_of("hidden")])
        rate = agent.learning_rate / agent.n_neurons
        change = -rate * agent.base.dt * np.outer(filtered.activities, agent.error)
        np.testing.assert_allclose(agent.decoders, before + change, rtol=1e-6, atol=1e-12)


def test_level_crossing_input_holds_the_nef_currents_of_the_crossed_levels(
    planar, planar_observations
):
    agent = AdaptiveController.from_env(
        planar, n_neurons=30, seed=4, input_coding="delta_events", delta=0.02
    )
    tuning, sim = agent.tuning, agent.simulator
    crossings = SendOnDeltaEncoder(
        4, 0.02 * tuning.radius, max_events_per_step=255, initial=tuning.center
    )
    events_seen = 0
    for obs in planar_observations[:500]:
        agent.act(obs)
        events = crossings.encode(agent.joint_state)
        events_seen += int(events.sum())
        np.testing.assert_array_equal(sim.state["currents.events"], events)
        # the held currents are the NEF currents of the reference levels
        np.testing.assert_allclose(
            sim.state["hidden.i_ext"], tuning.encode(crossings.reference), rtol=1e-9, atol=1e-9
        )
    assert 0 < events_seen < 500 * 4  # a few crossings per step at most


def test_an_episode_restarts_the_levels_from_the_centre(planar, planar_observations):
    agent = AdaptiveController.from_env(planar, n_neurons=100, seed=0)
    drive(agent, planar_observations[:300])
    assert np.any(agent.decoders)
    learned = agent.decoders.copy()
    agent.reset(0)
    obs = planar_observations[0]
    agent.act(obs)
    crossings = SendOnDeltaEncoder(
        4, 0.01 * agent.tuning.radius, max_events_per_step=255, initial=agent.tuning.center
    )
    crossings.encode(agent.joint_state)
    np.testing.assert_allclose(
        agent.simulator.state["hidden.i_ext"],
        agent.tuning.encode(crossings.reference),
        rtol=1e-9,
        atol=1e-9,
    )
    assert np.abs(agent.decoders - learned).max() < 1e-3 * np.abs(learned).max()  # kept


def test_rate_twin_decodes_its_rates_through_the_synapse_and_learns_on_the_rates(
    planar, planar_observations
):
    """The same network with the LIF rate model: y = D^T r_bar, D -= (kappa / N) dt r e."""
    twin = AdaptiveController.from_env(planar, n_neurons=50, seed=3, neurons="rate")
    decay = np.exp(-1e-3 / 0.02)
    filtered = np.zeros(50)
    for obs in planar_observations[:300]:
        before = twin.decoders.astype(np.float64)
        twin.act(obs)
        rates = twin.tuning.encode_rates(twin.joint_state).copy()
        np.testing.assert_allclose(twin.simulator.state["hidden.rate"], rates, rtol=1e-12)
        filtered = decay * filtered + (1.0 - decay) * rates
        expected = before - twin.learning_rate / 50 * 1e-3 * np.outer(rates, twin.error)
        np.testing.assert_allclose(twin.decoders, expected, rtol=1e-6, atol=1e-12)
        both = twin.decoders.astype(np.float64) + twin.simulator.weight_matrix("fast")
        decoded = both.T @ filtered  # open loop, the outputs grow: rounding relative to them
        atol = 1e-9 + 1e-7 * np.abs(decoded).max()
        np.testing.assert_allclose(
            twin.simulator.state["torque.value"], decoded, rtol=1e-6, atol=atol
        )
    assert twin.spec()["tau_synapse"] == 0.02 and twin.spec()["input_coding"] == "nef_currents"
    twin.reset(0)
    assert not np.any(twin.simulator.state["torque.value"])


def test_learning_rate_zero_and_frozen_learning_keep_the_decoders(planar, planar_observations):
    agent = AdaptiveController.from_env(planar, n_neurons=60, seed=1)
    drive(agent, planar_observations[:200])
    agent.set_learning(False)
    frozen = agent.decoders.copy()
    drive(agent, planar_observations[200:400])
    np.testing.assert_array_equal(agent.decoders, frozen)
    agent.set_learning(True)
    drive(agent, planar_observations[400:500])
    assert np.any(agent.decoders != frozen)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"neurons": "izhikevich"}, r"neurons must be one of 'spiking', 'rate'; got 'izhikevich'"),
        ({"tau_synapse": -0.01}, r"tau_synapse must be"),
        ({"pes_pre_tau": 0.0}, r"pes_pre_tau must be"),
        ({"delta": 0.0}, r"delta must be"),
        ({"afferents_per_signal": 1}, r"afferents_per_signal must be"),
    ],
)
def test_bad_parameters_are_refused(planar, params, message):
    with pytest.raises(ConfigError, match=message):
        AdaptiveController.from_env(planar, n_neurons=10, **params)
