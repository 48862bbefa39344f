"""The hybrid agent drives with the chosen side, both sides learn, and its log adds up."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.agents import (
    AdaptiveController,
    HybridAgent,
    OperationalSpaceController,
    make_agent,
)
from neurocontrol.core.energy import EnergyModel
from neurocontrol.errors import ConfigError

from .conftest import drive

N = 300


def make_hybrid(env, **kwargs) -> HybridAgent:
    spiking = AdaptiveController.from_env(env, n_neurons=N, seed=5)
    dense = AdaptiveController.from_env(env, n_neurons=N, seed=5, neurons="rate")
    return HybridAgent(spiking, dense, **kwargs)


@pytest.mark.parametrize(("mode", "code"), [("spiking", 0), ("dense", 1), ("blend", 2)])
def test_the_chosen_side_drives_and_both_learn(planar, planar_observations, mode, code):
    hybrid = make_hybrid(planar, mode=mode, blend=0.25)
    actions = drive(hybrid, planar_observations[:800])
    log = hybrid.log()
    a_s, a_d = log["spiking_action"], log["dense_action"]
    expected = {"spiking": a_s, "dense": a_d, "blend": 0.25 * a_s + 0.75 * a_d}[mode]
    np.testing.assert_allclose(actions, expected, rtol=1e-6, atol=1e-7)
    assert np.all(log["driver"] == code)
    np.testing.assert_allclose(log["difference"], np.linalg.norm(a_s - a_d, axis=1), rtol=1e-6)
    assert log["summary"][f"fraction_driven_{mode}"] == 1.0
    # both learn from the same outcomes, whichever drives; twins, so they stay close
    assert np.any(hybrid.spiking.decoders) and np.any(hybrid.dense.decoders)
    assert log["summary"]["mean_action_difference"] > 0.0


def test_shadow_side_sees_the_same_observations_as_when_driving(planar, planar_observations):
    """On a replayed stream the spiking side's actions do not depend on who drives."""
    shadow = make_hybrid(planar, mode="dense")
    alone = AdaptiveController.from_env(planar, n_neurons=N, seed=5)
    drive(shadow, planar_observations[:400])
    np.testing.assert_array_equal(
        shadow.log()["spiking_action"], drive(alone, planar_observations[:400])
    )


def test_logged_compute_and_energy_are_consistent(planar, planar_observations):
    """Each side's log row is its network's own operation count, priced by the energy model."""
    energy = EnergyModel.loihi()
    hybrid = make_hybrid(planar, mode="spiking", energy=energy, log_capacity=128)
    spiking, dense = hybrid.spiking, hybrid.dense
    counts = {"spiking": [], "dense": []}
    for obs in planar_observations[:300]:  # 300 > 128: the log grows twice
        hybrid.act(obs)
        hybrid.observe(0.0, False, False, {})
        counts["spiking"].append(spiking.simulator.operations.copy())
        counts["dense"].append(dense.simulator.operations.copy())
    log = hybrid.log()
    assert log["spiking_action"].shape == (300, 2)
    for side in ("spiking", "dense"):
        ops = np.array(counts[side])
        for column, what in enumerate(("synops", "neuron_updates", "macs")):
            np.testing.assert_array_equal(log[f"{side}_{what}"], ops[:, column])
    np.testing.assert_array_equal(log["spiking_neuron_updates"], np.full(300, N))
    assert log["spiking_synops"].mean() > 0 and not np.any(log["dense_synops"])
    assert log["dense_macs"].min() > N * 4  # dense currents alone: N x 4 signals
    expected = (
        log["spiking_synops"] * energy.e_synop
        + log["spiking_neuron_updates"] * energy.e_neuron_update
        + log["spiking_macs"] * energy.e_mac
    )
    np.testing.assert_allclose(log["spiking_energy_j"], expected, rtol=1e-12)
    np.testing.assert_allclose(log["dense_energy_j"], log["dense_macs"] * energy.e_mac, rtol=1e-12)
    summary = log["summary"]
    assert summary["steps"] == 300 and summary["energy_model"]["e_synop"] == 23.6e-12
    assert summary["energy_ratio_spiking_to_dense"] == pytest.approx(
        log["spiking_energy_j"].mean() / log["dense_energy_j"].mean()
    )


@pytest.mark.parametrize("neurons", ["spiking", "rate"])
def test_operation_counts_by_hand(planar, planar_observations, neurons):
    """Every operation of a step, counted from what the network did (j = 2 joints, 4 signals;
    one readout)."""
    agent = AdaptiveController.from_env(
        planar, n_neurons=N, seed=5, neurons=neurons, fast_learning_rate=0.0
    )
    sim, j = agent.simulator, 2
    for obs in planar_observations[:300]:
        agent.act(obs)
        learned = bool(np.any(agent.error)) and agent.learning_rate > 0
        if neurons == "spiking":
            spikes = sim.spike_counts()["hidden"]
            events = int(sim.state["currents.events"].sum())
            # a level crossing reaches all N neurons; a spike reaches the 2 outputs and its 2
            # decoders get a PES add
            synops = events * N + spikes * j + (spikes * j if learned else 0)
            # a comparison per signal; the output decays; the readout's gain per output (when
            # something spiked); each spike's trace; PES: kappa e per output and the output
            # following each decoder change
            macs = 4 + j + (j if spikes else 0) + spikes
            macs += (j + spikes * j) if learned and spikes else 0
            assert sim.operations.tolist() == [synops, N, macs]
        else:
            active = int(np.count_nonzero(sim.state["hidden.rate"]))
            # dense currents, the rate nonlinearity, the output decay, the readout, the
            # traces through the output synapse; PES: kappa e, its rows, the output following
            macs = N * 4 + N + j + active * j + N + ((j + 2 * active * j) if learned else 0)
            assert sim.operations.tolist() == [0, 0, macs]
        np.testing.assert_array_equal(agent.ops, sim.operations)


def test_episodes_are_numbered_and_the_log_can_be_cleared(planar, planar_observations):
    hybrid = make_hybrid(planar)
    for _ in range(2):
        hybrid.reset(0)
        drive(hybrid, planar_observations[:50])
    assert np.array_equal(np.unique(hybrid.log()["episode"]), [0, 1])
    hybrid.clear_log()
    assert hybrid.log()["summary"] == {
        "steps": 0,
        "mode": "spiking",
        "blend": 0.5,
        "energy_model": EnergyModel().to_dict(),
        "shared_base": True,
    }


def test_hybrid_errors(planar):
    spiking = AdaptiveController.from_env(planar, n_neurons=50)
    dense = OperationalSpaceController.from_env(planar)
    with pytest.raises(ConfigError, match=r"mode must be one of .*'blend'.*got 'both'"):
        HybridAgent(spiking, dense, mode="both")
    with pytest.raises(ConfigError, match=r"blend must be a number in \[0, 1\], got 1.5"):
        HybridAgent(spiking, dense, mode="blend", blend=1.5)
    with pytest.raises(ConfigError, match="dense must be an Agent, got function"):
        HybridAgent(spiking, lambda obs: obs)


@pytest.mark.parametrize("base", ["osc", "joint_pd"])
def test_shared_base_gives_the_same_actions_as_two_bases(planar, planar_observations, base):
    def twins(share: bool) -> HybridAgent:
        spec = {"base": {"type": base}, "n_neurons": 100, "seed": 2}
        return make_agent(
            {"type": "hybrid", "spiking": {"type": "adaptive_spiking", **spec},
             "dense": {"type": "adaptive_rate", **spec}, "share_base": share}, planar,
        )  # fmt: skip

    shared, separate = twins(True), twins(False)
    assert shared.share_base and not separate.share_base
    for agent in (shared, separate):
        drive(agent, planar_observations[:600])
    np.testing.assert_array_equal(shared.log()["dense_action"], separate.log()["dense_action"])
    for key, value in separate.dense.state_dict().items():
        np.testing.assert_array_equal(shared.dense.state_dict()[key], value)


def test_share_base_needs_equal_bases(planar):
    spiking = AdaptiveController.from_env(planar, n_neurons=50)
    dense = AdaptiveController(
        OperationalSpaceController.from_env(planar, kp=100.0), n_neurons=50, neurons="rate"
    )
    assert not HybridAgent(spiking, dense).share_base
    with pytest.raises(ConfigError, match="share_base=True needs two adaptive controllers"):
        HybridAgent(spiking, dense, share_base=True)


def test_event_coded_input_counts_its_synops(planar, planar_observations):
    agent = AdaptiveController.from_env(
        planar,
        n_neurons=N,
        input_coding="population_events",
        afferents_per_signal=10,
        fast_learning_rate=0.0,  # one readout, counted by hand
    )
    sim, j = agent.simulator, 2
    afferent_spikes = sim.spikes[sim.slice_of("afferents")]
    events = []
    for obs in planar_observations[:300]:
        agent.act(obs)
        events.append(int(np.count_nonzero(afferent_spikes)))
        spikes = sim.spike_counts()["hidden"]
        learned = bool(np.any(agent.error))
        # every afferent event reaches all N neurons; spikes reach the 2 output units and
        # add to their 2 decoders
        assert agent.ops[0] == events[-1] * N + spikes * j + (spikes * j if learned else 0)
        # one receptive field per afferent; the output decays, the readout's gain, the
        # spiking neurons' traces; PES
        macs = 2 * 2 * 10 + j + (j if spikes else 0) + spikes
        assert agent.ops[2] == macs + ((j + spikes * j) if learned and spikes else 0)
        assert agent.ops[1] == 2 * N  # current synapses: v and I_syn per neuron
    assert np.mean(events) > 1.0  # the afferents fire: about one per signal per step
    np.testing.assert_array_equal(sim.state["hidden.i_ext"], agent.tuning.biases)
