"""The step's operation counts, by hand on tiny networks: ``sim.operations`` and per part.

SynOps: a weight accumulated into a target (a spike through a synapse, a
send-on-delta event reaching a neuron, an event-driven weight add); neuron
updates: state variables integrated; MACs: dense multiply-adds (dense
encoders, rate nonlinearities, output synapses, rate-weighted rows,
filtered learning).
"""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.model import LIF, AdaptiveLIF
from neurocontrol.core.model.neurons import LIFRate
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_IN, N_RATE, N_LIF, N_OUT = 2, 3, 2, 2


def counts(synops: int = 0, updates: int = 0, macs: int = 0) -> dict[str, int]:
    return {"synops": synops, "neuron_updates": updates, "macs": macs}


def total(parts: dict[str, dict[str, int]]) -> list[int]:
    return [sum(part[kind] for part in parts.values()) for kind in counts()]


@pytest.mark.parametrize(
    ("lif_model", "rate_model", "lif_updates", "rate_updates"),
    [
        (LIF(tau_ref=0.0), LIFRate(), 1, 0),
        (LIF(tau_ref=0.0, tau_syn=0.004), LIFRate(tau_syn=0.01), 2, 1),
        (AdaptiveLIF(tau_ref=0.0, tau_syn=0.004), LIFRate(), 3, 0),
    ],
    ids=["delta", "tau_syn", "adaptive"],
)
def test_counts_of_neurons_outputs_readouts_and_rate_rows(
    make_rate_network, lif_model, rate_model, lif_updates, rate_updates
):
    sim = Simulator(
        make_rate_network(rate_model, lif_model, N_IN, N_RATE, N_LIF, N_OUT), dt=DT, seed=1
    )
    rng = np.random.default_rng(0)
    totals = np.zeros(3, dtype=np.int64)
    readouts, partial = set(), 0
    for _ in range(60):
        sim.state["rate.i_ext"] = rng.uniform(0.0, 3.0, N_RATE)
        sim.state["lif.i_ext"] = rng.uniform(0.0, 40.0, N_LIF)
        events = rng.random(N_IN) < 0.5
        sim.step(events)
        spikes, active = sim.spike_counts()["lif"], np.count_nonzero(sim.state["rate.rate"])
        expected = {
            "inp": counts(),
            "rate": counts(updates=rate_updates * N_RATE, macs=N_RATE),  # the rate: one MAC
            "lif": counts(updates=lif_updates * N_LIF),
            "rate_out": counts(macs=N_OUT),  # the output synapse
            "lif_out": counts(macs=N_OUT),
            "inp_rate": counts(synops=int(events.sum()) * N_RATE),
            "rate_readout": counts(macs=active * N_OUT),
            "rate_lif": counts(macs=active * N_LIF),
            "lif_readout": counts(synops=spikes * N_OUT, macs=N_OUT if spikes else 0),
            "encoders": counts(),
        }
        assert sim.operation_counts() == expected
        np.testing.assert_array_equal(sim.operations, total(expected))
        totals += total(expected)
        np.testing.assert_array_equal(sim.total_operations, totals)
        readouts.add(spikes > 0)
        partial += 0 < active < N_RATE
    assert readouts == {False, True} and partial > 10  # silent and spiking; rates both sides


def signal_step_counts(sim: Simulator, errors: bool) -> dict[str, dict[str, int]]:
    """The counts of one step of the signal network, from what the step did."""
    n_ens, n_rate, n_aff = (sim.slice_of(name).stop - sim.slice_of(name).start
                            for name in ("ens", "rates", "aff"))  # fmt: skip
    spikes = sim.spike_counts()
    active = np.count_nonzero(sim.state["rates.rate"])
    events = int(sim.state["q_ens.events"].sum())
    ens = spikes["ens"]
    return {
        "cmd": counts(),
        "aff": counts(),
        "ens": counts(updates=2 * n_ens),
        "rates": counts(macs=n_rate),
        "out": counts(macs=2),
        "cmd_ens": counts(synops=spikes["cmd"] * n_ens),
        "aff_ens": counts(synops=spikes["aff"] * n_ens),
        # readout of spikes, then per-spike PES: a SynOp per spike and output, a MAC per
        # output for the gain and one for the error's scaling, one per spike for its trace
        # through the output synapse and one per changed weight for the output following it
        "ens_out": counts(
            synops=ens * 2 * (1 + errors), macs=(2 + ens + errors * (2 + 2 * ens)) if ens else 0
        ),
        # readout of rates, then PES on filtered rates (two MACs a neuron for the filter, one
        # for its trace through the output synapse, the output following each change)
        "rates_out": counts(macs=active * 2 + 3 * n_rate + errors * (2 + active * 2 + active * 2)),
        # send-on-delta (a comparison per dimension, n_post SynOps per event), NEF currents
        # every step (n_post x dims), receptive fields (one per afferent)
        "encoders": counts(synops=events * n_ens, macs=2 + n_rate * 2 + n_aff),
    }


@pytest.fixture
def signal_sim(make_signal_network):
    return Simulator(make_signal_network(delta=0.05, n_ens=5, n_rate=3), dt=DT, seed=3)


def test_counts_of_encoders_and_pes(signal_sim):
    sim = signal_sim
    rng = np.random.default_rng(1)
    x, totals, events = np.zeros(3), np.zeros(3, dtype=np.int64), 0
    for t in range(80):
        errors = t % 3 != 0
        for rule in ("ens_out.pes", "rates_out.pes"):
            sim.set_third_factor(rule, rng.normal(size=2) * errors)
        x = x + rng.normal(0.0, 0.1, 3)
        sim.step(rng.random(3) < 0.3, x)
        expected = signal_step_counts(sim, errors)
        assert sim.operation_counts() == expected, t
        np.testing.assert_array_equal(sim.operations, total(expected))
        totals += total(expected)
        events += int(sim.state["q_ens.events"].sum())
    np.testing.assert_array_equal(sim.total_operations, totals)
    assert events > 20 and sim.total_spikes()["ens"] > 10


def test_reset_state_clears_the_step_counts_and_keeps_the_totals(signal_sim):
    sim = signal_sim
    zero = {name: counts() for name in signal_step_counts(sim, False)}
    assert sim.operation_counts() == zero  # no step yet
    np.testing.assert_array_equal(sim.operations, 0)
    rng = np.random.default_rng(2)
    for _ in range(30):
        sim.set_third_factor("ens_out.pes", rng.normal(size=2))
        sim.step(rng.random(3) < 0.5, rng.normal(size=3))
    totals = sim.total_operations
    assert sim.operations.any() and (totals > 0).all()
    sim.reset_state()
    np.testing.assert_array_equal(sim.operations, 0)
    assert sim.operation_counts() == zero
    assert sim.synops == 0 and sim.synops_per_projection() == dict.fromkeys(
        ("cmd_ens", "aff_ens", "ens_out", "rates_out"), 0
    )
    np.testing.assert_array_equal(sim.total_operations, totals)
    sim.step(np.zeros(3, bool), np.zeros(3))
    np.testing.assert_array_equal(sim.total_operations, totals + sim.operations)
    assert sim.operation_counts() == signal_step_counts(sim, False)  # the errors were reset
