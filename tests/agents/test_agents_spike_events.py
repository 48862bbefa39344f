"""Event-driven decoding and PES, level-crossing input, the twin's synapse: exact and counted."""

from __future__ import annotations

import numpy as np

from neurocontrol.agents import AdaptiveRateController, AdaptiveSpikingController
from neurocontrol.decoding import FilteredSpikeDecoder
from neurocontrol.encoding import SendOnDeltaEncoder

from .conftest import drive


def test_event_decoding_is_the_decoded_filtered_spike_trains(planar, planar_observations):
    """y = D^T a with a the filtered spike trains, also while PES changes D every spike."""
    agent = AdaptiveSpikingController.from_env(planar, n_neurons=40, seed=2)
    reference = FilteredSpikeDecoder(40, 2, tau=agent.tau_synapse, dt=agent.base.dt)
    for obs in planar_observations[:600]:
        agent.act(obs)
        reference.decode(agent._spikes)  # the per-neuron traces, as filtered_activities keeps
        np.testing.assert_allclose(
            agent.output_filtered, agent.decoders.T @ reference.activities, rtol=1e-9, atol=1e-12
        )
        spiked = agent._spikes.astype(bool)
        np.testing.assert_allclose(agent.trace[spiked], reference.activities[spiked], rtol=1e-12)
        before = agent.decoders.copy()
        error = agent.error.copy()
        agent.observe(0.0, False, False, {})
        # PES: every neuron that spiked moves by -kappa e; the others keep their decoders
        expected = before.copy()
        expected[spiked] -= agent.learning_rate * error
        np.testing.assert_allclose(agent.decoders, expected, rtol=0, atol=1e-18)
        np.testing.assert_allclose(
            agent.output_filtered, agent.decoders.T @ reference.activities, rtol=1e-9, atol=1e-12
        )
    assert np.any(agent.decoders)


def test_ops_of_a_tiny_network_by_hand(planar, planar_observations):
    """5 neurons, 2 joints: every operation of a step, counted from the spikes themselves."""
    agent = AdaptiveSpikingController.from_env(
        planar, n_neurons=5, seed=1, input_coding="nef_currents"
    )
    n, j, dims = 5, 2, 4
    for obs in planar_observations[:200]:
        agent.act(obs)
        spikes = int(np.count_nonzero(agent._spikes))
        after_act = agent.ops.copy()
        agent.observe(0.0, False, False, {})
        # act: NEF currents (n x 4 MACs); each spike adds its 2 decoders to the 2 outputs
        # (SynOps); the outputs' synapse (decay, gain) and each spiking neuron's trace (MACs)
        assert after_act.tolist() == [spikes * j, n, n * dims + 2 * j + spikes]
        # observe: kappa e (2 MACs, if anything spiked); per spike 2 decoder adds (SynOps) and
        # the decoded output following them (2 MACs)
        pes = [spikes * j, 0, (j + spikes * j) if spikes else 0]
        assert agent.ops.tolist() == (after_act + pes).tolist()


def test_filtered_activities_count_every_trace_and_decode(planar, planar_observations):
    agent = AdaptiveSpikingController.from_env(
        planar, n_neurons=5, seed=1, input_coding="nef_currents", decoding="filtered_activities"
    )
    for obs in planar_observations[:100]:
        agent.act(obs)
        after_act = agent.ops.copy()
        agent.observe(0.0, False, False, {})
        active = agent.n_active
        # every trace decays (5 MACs), the active ones times 2 decoders; PES per active neuron
        assert after_act.tolist() == [0, 5, 5 * 4 + 5 + active * 2]
        assert agent.ops.tolist() == [0, 5, after_act[2] + 2 + active * 2]


def test_level_crossing_input_holds_the_nef_currents_of_the_crossed_levels(
    planar, planar_observations
):
    agent = AdaptiveSpikingController.from_env(
        planar, n_neurons=30, seed=4, input_coding="delta_events", delta=0.02
    )
    encoder = agent.encoder
    crossings = SendOnDeltaEncoder(
        4, 0.02 * encoder.radius, max_events_per_step=255, initial=encoder.center
    )
    events_seen = 0
    for obs in planar_observations[:500]:
        agent.act(obs)
        events = crossings.encode(agent.joint_state)
        n_events = int(events.sum())
        events_seen += n_events
        # the held currents are the NEF currents of the reference levels
        np.testing.assert_allclose(
            agent._currents, encoder.encode(crossings.reference), rtol=1e-9, atol=1e-9
        )
        assert agent.n_input_events == n_events
        assert agent.ops[0] == n_events * 30 + agent.n_spikes * 2  # each event reaches all
        assert agent.ops[1] == 30 and agent.ops[2] == 4 + 2 * 2 + agent.n_spikes
        agent.observe(0.0, False, False, {})
    assert 0 < events_seen < 500 * 4  # a few crossings per step at most


def test_level_crossing_agent_adapts_and_restarts_from_the_centre(planar, planar_observations):
    agent = AdaptiveSpikingController.from_env(
        planar, n_neurons=100, seed=0, input_coding="delta_events"
    )
    drive(agent, planar_observations[:300])
    assert np.any(agent.decoders)
    agent.reset(0)
    np.testing.assert_allclose(agent._currents, agent.encoder.encode(agent.encoder.center))


def test_rate_twin_with_the_decoding_synapse(planar, planar_observations):
    """tau_synapse: D^T of the filtered rates drives; PES multiplies the instantaneous rates."""
    twin = AdaptiveRateController.from_env(planar, n_neurons=50, seed=3, tau_synapse=0.02)
    plain = AdaptiveRateController.from_env(planar, n_neurons=50, seed=3)
    decay = np.exp(-1e-3 / 0.02)
    filtered = np.zeros(50)
    for obs in planar_observations[:300]:
        twin.act(obs)
        rates = twin.encoder.encode_rates(twin.joint_state).copy()
        filtered = decay * filtered + (1.0 - decay) * rates
        filtered[np.abs(filtered) < 1e-30] = 0.0
        np.testing.assert_allclose(twin.filtered, filtered, rtol=1e-12)
        np.testing.assert_allclose(twin.decoder.value, twin.decoders.T @ filtered, rtol=1e-9)
        before, error = twin.decoders.copy(), twin.error.copy()
        twin.observe(0.0, False, False, {})
        expected = before - 1e-5 * 1e-3 * np.outer(rates, error)
        np.testing.assert_allclose(twin.decoders, expected, rtol=1e-9, atol=1e-20)
        # the synapse costs a multiply-add per neuron on top of the plain twin's count
        assert twin.ops[2] == 50 * 4 + 50 + 50 + 50 * 2 + 2 + twin.n_active * 2
    assert twin.spec()["tau_synapse"] == 0.02 and plain.spec()["tau_synapse"] is None
    twin.reset(0)
    assert not np.any(twin.filtered)
