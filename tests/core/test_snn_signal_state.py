"""State of a network with signals, encoders, a rate population, outputs and PES.

Its state dict, and a checkpoint of it on disk, continue bit-identically:
the output values, the weights, the send-on-delta levels, the receptive
fields' draws and every other array.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.checkpoint import load_simulator, save_simulator
from neurocontrol.core.simulator import STRUCTURE_KEY, Simulator

DT = 1e-3
PARAMETERS = {"unfiltered": {}, "filtered": {"ens_pes_tau": 0.005, "delta": 0.03}}


@pytest.fixture(scope="module", params=list(PARAMETERS))
def saved(request, make_signal_network, drive_signal_network):
    """A simulator after 200 steps, its state dict, then what the next 300 steps did."""
    network = make_signal_network(**PARAMETERS[request.param])
    sim = Simulator(network, dt=DT, seed=7)
    drive_signal_network(sim, 200, seed=1)
    state = sim.state_dict()
    values = drive_signal_network(sim, 300, seed=2)
    return network, state, values, sim.state_dict()


def assert_continues(sim: Simulator, saved, drive) -> None:
    _, _, values, final = saved
    np.testing.assert_array_equal(drive(sim, 300, seed=2), values)
    got = sim.state_dict()
    assert got.keys() == final.keys()
    for key, value in final.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def test_the_run_learns_and_moves_every_kind_of_state(saved):
    _, state, values, final = saved
    assert np.abs(values).max() > 0.01  # the outputs carry the learned readouts
    for key in ("synapses.weights", "q_ens.level", "f_aff.uniform", "rates_out.pes.activity",
                "network.rng", "neurons.rate", "neurons.v"):  # fmt: skip
        assert not np.array_equal(state[key], final[key]), key
    assert np.abs(final["q_ens.level"]).max() >= 2


def test_a_loaded_state_dict_continues_bit_identically(saved, drive_signal_network):
    network, state, *_ = saved
    sim = Simulator(network, dt=DT, seed=7)
    sim.load_state_dict(state)
    assert sim.n_steps == 200
    assert_continues(sim, saved, drive_signal_network)


def test_a_checkpoint_on_disk_continues_bit_identically(saved, drive_signal_network, tmp_path):
    network, state, *_ = saved
    sim = Simulator(network, dt=DT, seed=7)
    sim.load_state_dict(state)
    save_simulator(tmp_path / "signals", sim)
    loaded = load_simulator(tmp_path / "signals")
    np.testing.assert_array_equal(loaded.structure_digest(), state[STRUCTURE_KEY])
    assert [e.name for e in loaded.network.encoders] == ["q_ens", "q_rates", "f_aff"]
    assert_continues(loaded, saved, drive_signal_network)
