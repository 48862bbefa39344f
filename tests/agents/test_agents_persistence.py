"""Checkpoints continue learning bit-identically; same seed, same run; wrong checkpoints fail."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurocontrol.agents import load_agent, make_agent
from neurocontrol.core import checkpoint
from neurocontrol.errors import CheckpointError
from neurocontrol.loop.episode import run_episode

from .conftest import drive

SPECS = {
    "joint_pd": {"type": "joint_pd", "kp": 50.0},
    "adaptive_spiking": {"type": "adaptive_spiking", "n_neurons": 300, "learning_rate": 3e-3},
    "adaptive_spiking_events": {
        "type": "adaptive_spiking",
        "n_neurons": 300,
        "input_coding": "population_events",
    },
    "adaptive_spiking_nef_filtered": {
        "type": "adaptive_spiking",
        "n_neurons": 300,
        "input_coding": "nef_currents",
        "pes_pre_tau": 0.02,
    },
    "adaptive_rate": {"type": "adaptive_rate", "n_neurons": 300, "base": {"type": "joint_pd"}},
    "adaptive_rate_no_synapse": {"type": "adaptive_rate", "n_neurons": 300, "tau_synapse": None},
    # the default (feedforward base, sparse code) plus a fast decaying readout
    "adaptive_spiking_two_rate": {
        "type": "adaptive_spiking",
        "n_neurons": 300,
        "fast_learning_rate": 1e-2,
        "fast_decay_tau": 0.5,
    },
    "adaptive_rate_two_rate": {
        "type": "adaptive_rate",
        "n_neurons": 300,
        "fast_learning_rate": 1e-2,
        "fast_decay_tau": 0.5,
    },
    "osc_feedforward": {"type": "osc", "feedforward": True},
    "hybrid": {
        "type": "hybrid",
        "spiking": {"type": "adaptive_spiking", "n_neurons": 200},
        "dense": {"type": "adaptive_rate", "n_neurons": 200},
        "mode": "blend",
        "blend": 0.3,
    },
}


def _learned(agent) -> list[np.ndarray]:
    return [value.copy() for value in agent.state_dict().values()]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_save_load_continues_bit_identically(planar, planar_observations, tmp_path, name):
    first, rest = planar_observations[:700], planar_observations[700:]
    agent = make_agent(SPECS[name], planar, seed=4)
    drive(agent, first)
    agent.save(tmp_path / "ckpt")
    continued = drive(agent, rest)
    restored = load_agent(tmp_path / "ckpt", planar)
    assert type(restored) is type(agent)
    np.testing.assert_array_equal(drive(restored, rest), continued)
    for mine, theirs in zip(_learned(agent), _learned(restored), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    if name.startswith("adaptive"):
        assert np.any(agent.decoders != 0.0)  # learning happened after the checkpoint too


@pytest.mark.parametrize("neurons", ["spiking", "rate"])
def test_a_frozen_two_rate_agent_goes_on_forgetting_bit_identically_after_a_resume(
    planar, planar_observations, tmp_path, neurons
):
    """Frozen, the default fast readout keeps decaying (every 10 ms, on the step clock)."""
    agent = make_agent({"type": f"adaptive_{neurons}", "n_neurons": 300}, planar, seed=4)
    drive(agent, planar_observations[:600])
    agent.set_learning(False)
    drive(agent, planar_observations[600:703])  # saved between two decays
    slow = agent.decoders.copy()
    agent.save(tmp_path / "frozen")
    continued = drive(agent, planar_observations[703:900])
    restored = load_agent(tmp_path / "frozen", planar)
    assert not restored.learning
    np.testing.assert_array_equal(drive(restored, planar_observations[703:900]), continued)
    fast = restored.simulator.weight_matrix("fast")
    np.testing.assert_array_equal(fast, agent.simulator.weight_matrix("fast"))
    np.testing.assert_array_equal(restored.decoders, slow)  # the slow readout kept
    assert 0.0 < np.abs(fast).max() < 0.1 * np.abs(slow).max()  # the fast one nearly gone


def test_load_into_an_existing_agent_restores_its_state(planar, planar_observations, tmp_path):
    spec = SPECS["adaptive_spiking"]
    trained = make_agent(spec, planar, seed=1)
    drive(trained, planar_observations[:500])
    trained.save(tmp_path / "a")
    fresh = make_agent(spec, planar, seed=1)
    fresh.load(tmp_path / "a")
    np.testing.assert_array_equal(fresh.decoders, trained.decoders)
    np.testing.assert_array_equal(
        fresh.simulator.state["hidden.v"], trained.simulator.state["hidden.v"]
    )


def test_same_seed_same_trajectory_and_weights(planar):
    spec = {"type": "adaptive_spiking", "n_neurons": 400}
    runs = []
    for _ in range(2):
        agent = make_agent(spec, planar, seed=7)
        result = run_episode(
            planar,
            agent,
            seed=2,
            max_steps=1500,
            options={"perturbation": {"kind": "curl_field", "strength": 15.0}},
        )
        runs.append((result.trace["action"], agent.decoders.copy()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    other = make_agent(spec, planar, seed=8)
    assert not np.array_equal(
        other.tuning.encoders, make_agent(spec, planar, seed=7).tuning.encoders
    )


def test_checkpoint_of_another_agent_type_is_refused(planar, tmp_path):
    make_agent(SPECS["adaptive_rate"], planar).save(tmp_path / "rate")
    spiking = make_agent(SPECS["adaptive_spiking"], planar)
    with pytest.raises(
        CheckpointError, match=r"holds a 'adaptive_rate' agent; this agent is 'adaptive_spiking'"
    ):
        spiking.load(tmp_path / "rate")


def test_checkpoint_of_another_spec_or_broken_file_is_refused(planar, tmp_path):
    agent = make_agent(SPECS["adaptive_spiking"], planar, seed=0)
    agent.save(tmp_path / "s")
    other = make_agent({**SPECS["adaptive_spiking"], "n_neurons": 301}, planar, seed=0)
    before = other.decoders.copy()
    with pytest.raises(CheckpointError, match=r"another spec \(differs in \['n_neurons'\]\)"):
        other.load(tmp_path / "s")
    np.testing.assert_array_equal(other.decoders, before)
    with pytest.raises(CheckpointError, match="missing"):
        load_agent(tmp_path / "nothing", planar)
    (npz,) = tmp_path.glob("s.*.npz")
    npz.write_bytes(npz.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="does not match its header"):
        load_agent(tmp_path / "s", planar)


def test_state_arrays_of_the_wrong_shape_change_nothing(planar):
    agent = make_agent(SPECS["hybrid"], planar, seed=0)
    state = agent.state_dict()
    state["dense.snn.neurons.v"] = np.zeros(3)
    before = agent.spiking.decoders.copy()
    with pytest.raises(
        CheckpointError,
        match=r"^HybridAgent part 'dense': AdaptiveController part 'snn': Simulator state dict "
        r"entry 'neurons.v' must have shape \(202,\) and dtype float64, got shape \(3,\)",
    ):
        agent.load_state_dict(state)
    np.testing.assert_array_equal(agent.spiking.decoders, before)


def test_checkpoint_header_records_type_and_spec(planar, tmp_path):
    make_agent(SPECS["joint_pd"], planar).save(tmp_path / "pd")
    header = json.loads((tmp_path / "pd.json").read_text())
    assert header["config"]["agent_type"] == "joint_pd"
    assert header["config"]["spec"]["kp"] == [50.0, 50.0]


def test_simulator_state_of_another_network_is_refused_and_changes_nothing(planar):
    agent = make_agent(SPECS["adaptive_spiking"], planar, seed=0)
    state = agent.state_dict()
    assert "snn.neurons.v" in state and not any(".arena." in key for key in state)
    other = make_agent({**SPECS["adaptive_spiking"], "n_neurons": 301}, planar, seed=0)
    foreign = {
        **state,
        **{k: v for k, v in other.state_dict().items() if k.startswith("snn.")},
    }
    before = agent.state_dict()
    with pytest.raises(
        CheckpointError,
        match=r"^AdaptiveController part 'snn': "
        r"Simulator state dict is from a different network structure",
    ):
        agent.load_state_dict(foreign)
    del state["snn.network.ring"]
    with pytest.raises(
        CheckpointError,
        match=r"part 'snn': Simulator state dict does not match: missing keys \['network\.ring'\]",
    ):
        agent.load_state_dict(state)
    for key, value in agent.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_parts_are_named_by_prefix_at_every_depth(planar):
    state = make_agent(SPECS["hybrid"], planar, seed=0).state_dict()
    assert {
        "spiking.snn.neurons.v",
        "spiking.snn.simulator.structure",
        "spiking.snn.currents.level",  # the send-on-delta encoder is part of the network
        "spiking.snn.readout.pes.error",
        "spiking.base.last_torque",
        "dense.base.last_torque",
        "dense.snn.synapses.weights",  # the decoders: the readout's weights
    } <= set(state)
    events = make_agent(SPECS["adaptive_spiking_events"], planar, seed=0).state_dict()
    assert "snn.fields.activation" in events  # the receptive fields, drawn from snn.network.rng


def test_hybrid_refuses_keys_of_neither_side(planar):
    agent = make_agent(SPECS["hybrid"], planar, seed=0)
    with pytest.raises(
        CheckpointError,
        match=r"^HybridAgent state dict does not match: missing keys \[\], "
        r"unexpected keys \['other\.decoders'\]$",
    ):
        agent.load_state_dict({**agent.state_dict(), "other.decoders": np.zeros(2)})


def test_reset_clears_the_spiking_network_but_keeps_decoders(planar, planar_observations):
    agent = make_agent(SPECS["adaptive_spiking"], planar, seed=0)
    fresh = make_agent(SPECS["adaptive_spiking"], planar, seed=0).simulator.state_dict()
    drive(agent, planar_observations[:300])
    decoders = agent.decoders.copy()
    assert np.any(decoders != 0.0)
    agent.reset(0)
    np.testing.assert_array_equal(agent.decoders, decoders)
    sim = agent.simulator
    assert sim.n_steps == 300
    for key in ("neurons.v", "neurons.i_syn", "neurons.refractory", "network.ring"):
        np.testing.assert_array_equal(sim.state_dict()[key], fresh[key], err_msg=key)


def test_a_checkpoint_written_before_the_network_held_the_decoders_is_refused(planar):
    """A real checkpoint of the earlier format (an adaptive spiking controller, 20 neurons)."""
    old = Path(__file__).parents[1] / "data" / "adaptive_spiking_format5"
    with pytest.raises(
        CheckpointError,
        match=r"has format version 5 \(written before networks counted their operations and "
        r"before the adaptive controllers kept their decoders in their network; re-create the "
        r"checkpoint\); this version reads format versions 6 and 7$",
    ):
        load_agent(old, planar)


@pytest.mark.parametrize(
    "edit",
    [
        lambda header: header["config"].update(agent_type="adaptive_rate"),
        lambda header: header["config"]["spec"].update(learning_rate=1e-3),
        lambda header: header.update(kind="simulator"),
    ],
    ids=["agent_type", "spec parameter", "kind"],
)
def test_a_header_edited_by_hand_is_refused(planar, tmp_path, edit):
    agent = make_agent(SPECS["adaptive_spiking"], planar, seed=0)
    agent.save(tmp_path / "a")
    header = json.loads((tmp_path / "a.json").read_text())
    edit(header)
    (tmp_path / "a.json").write_text(json.dumps(header, indent=1))
    message = r"a\.json was changed after it was saved: its fields do not match its header_sha256"
    with pytest.raises(CheckpointError, match=message):
        load_agent(tmp_path / "a", planar)
    before = agent.decoders.copy()
    with pytest.raises(CheckpointError, match=message):
        agent.load(tmp_path / "a")
    np.testing.assert_array_equal(agent.decoders, before)


def test_a_format_6_adaptive_checkpoint_is_read_then_refused_by_its_agent_version(planar):
    """A real format-6 checkpoint (adaptive spiking, 20 neurons, after 300 learning steps):
    the file layout is still read, but its learning rate was per neuron (agent version 1)."""
    old = Path(__file__).parents[1] / "data" / "adaptive_spiking_format6"
    config, arrays = checkpoint.load(old, kind="agent")
    assert config["agent_type"] == "adaptive_spiking" and "agent_version" not in config
    assert any(np.any(value != 0.0) for key, value in arrays.items() if "weights" in key)
    message = (
        r"holds a 'adaptive_spiking' agent of checkpoint version 1 \(learning_rate applied per "
        r"neuron, not divided by n_neurons\); this version reads 'adaptive_spiking' checkpoints "
        r"of version 2; re-create the checkpoint"
    )
    with pytest.raises(CheckpointError, match=message):
        load_agent(old, planar)
    agent = make_agent(config["spec"], planar)
    before = agent.decoders.copy()
    with pytest.raises(CheckpointError, match=message):
        agent.load(old)
    np.testing.assert_array_equal(agent.decoders, before)


@pytest.mark.parametrize("agent_type", ["adaptive_rate", "hybrid"])
def test_adaptive_checkpoints_carry_their_agent_version(planar, tmp_path, agent_type):
    spec = SPECS["hybrid"] if agent_type == "hybrid" else {"type": agent_type, "n_neurons": 50}
    agent = make_agent(spec, planar, seed=0)
    agent.save(tmp_path / "a")
    header = json.loads((tmp_path / "a.json").read_text())
    assert header["config"]["agent_version"] == 2
    load_agent(tmp_path / "a", planar)
