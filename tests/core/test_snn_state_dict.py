"""Simulator.state_dict / load_state_dict / reset_state: bit-identical continuation, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    PES,
    AdaptiveLIF,
    AdaptiveThreshold,
    AllToAll,
    FixedProbability,
    Input,
    Izhikevich,
    Network,
    PairSTDP,
    Population,
    Projection,
    RewardSTDP,
    SynapticScaling,
    Uniform,
)
from neurocontrol.core.simulator import STRUCTURE_KEY, Simulator
from neurocontrol.errors import CheckpointError

N_IN = 20


def make_network(n_hidden: int = 40, p_recurrent: float = 0.2) -> Network:
    """Noise, synaptic currents, adaptation, Izhikevich, delays, dense, sparse, 6 rules.

    R-STDP epochs of 200 steps: its re-basing runs in the 1,000 steps after a load.
    """
    source = Input(N_IN, name="source")
    hidden = Population(n_hidden, LIF(noise_sigma=0.05, tau_syn=0.005), name="hidden")
    adapt = Population(15, AdaptiveLIF(tau_syn=0.004), name="adapt")
    izh = Population(10, Izhikevich(), name="izh")
    return Network(
        [source, hidden, adapt, izh],
        [
            Projection(
                source, hidden, AllToAll(), Uniform(0.0, 0.4),
                rule=RewardSTDP(
                    w_max=0.5, learning_rate=5.0, baseline_rate=0.1, tau_eligibility=0.1
                ),
                name="plastic",
            ),
            Projection(
                hidden, hidden, FixedProbability(p_recurrent), Uniform(-0.1, 0.1), delay=3,
                rule=PairSTDP(w_min=-0.5, w_max=0.5), name="recurrent",
            ),
            Projection(
                source, adapt, FixedProbability(0.5), Uniform(0.1, 0.5),
                rule=[PairSTDP(w_max=0.6), SynapticScaling(w_max=0.6)], name="scaled",
            ),
            Projection(
                hidden, adapt, AllToAll(), 0.02, rule=[PES(error_dims=15), AdaptiveThreshold()],
                name="readout",
            ),
            Projection(source, izh, AllToAll(), 4.0, name="drive"),
        ],
    )  # fmt: skip


def drive(sim: Simulator, steps: int, seed: int) -> np.ndarray:
    """Random input events, a reward every 50 steps and a PES error every 10; the spike raster."""
    rng = np.random.default_rng(seed)
    raster = np.zeros((steps, sim.n_neurons), dtype=bool)
    for t in range(steps):
        if t % 50 == 7:
            sim.set_third_factor("plastic.rstdp", rng.choice([-1.0, 0.5, 1.0]))
        if t % 10 == 3:
            sim.set_third_factor("readout.pes", rng.normal(0.0, 0.1, 15))
        raster[t] = sim.step(rng.random(N_IN) < 0.15)
    return raster


def weights(sim: Simulator) -> dict[str, np.ndarray]:
    sim.sync_weights()  # R-STDP writes weights lazily
    return {name: sim.state[f"{name}.weights"].copy() for name in sim.built.projection_index}


@pytest.fixture(scope="module")
def saved():
    """A simulator run 300 steps, its state dict, and the next 1,000 steps uninterrupted."""
    sim = Simulator(make_network(), seed=5)
    drive(sim, 300, seed=1)
    state = sim.state_dict()
    raster = drive(sim, 1000, seed=2)
    return state, raster, weights(sim), sim.state_dict()


def test_loaded_state_continues_bit_identically_for_1000_steps(saved):
    state, raster, final_weights, final_state = saved
    assert raster.sum() > 500 and raster[:, -10:].any()  # the Izhikevich neurons fire too
    sim = Simulator(make_network(), seed=5)
    v, spikes = sim.state["hidden.v"], sim.spikes
    sim.load_state_dict(state)
    assert sim.n_steps == 300
    assert v is sim.state["hidden.v"] and np.array_equal(v, state["neurons.v"][N_IN : N_IN + 40])
    got = drive(sim, 1000, seed=2)
    np.testing.assert_array_equal(got, raster)
    assert spikes is sim.spikes
    for name, expected in weights(sim).items():
        np.testing.assert_array_equal(expected, final_weights[name], err_msg=name)
    for key, value in sim.state_dict().items():  # and every other array
        np.testing.assert_array_equal(value, final_state[key], err_msg=key)


def test_a_simulator_rewinds_to_its_own_earlier_state(saved):
    state, raster, *_ = saved
    sim = Simulator(make_network(), seed=5)
    sim.load_state_dict(state)
    first = drive(sim, 200, seed=2)
    sim.load_state_dict(state)
    np.testing.assert_array_equal(drive(sim, 200, seed=2), first)
    np.testing.assert_array_equal(first, raster[:200])


def test_state_dict_holds_copies_of_finite_rule_state(saved):
    state = saved[0]
    sim = Simulator(make_network(), seed=5)
    sim.load_state_dict(state)
    copy = sim.state_dict()
    sim.step(np.ones(N_IN, dtype=bool))
    assert not np.array_equal(copy["neurons.v"], sim.state_dict()["neurons.v"])
    copy["neurons.v"][:] = 123.0
    assert not np.any(sim.built.arenas.views["neurons.v"] == 123.0)
    for key in ("plastic.rstdp.reward", "plastic.rstdp.dopamine", "readout.pes.error"):
        assert np.all(np.isfinite(state[key])), key  # no NaN sentinels in the rule state
    assert state[STRUCTURE_KEY].dtype == np.uint8 and state[STRUCTURE_KEY].shape == (32,)


def test_a_state_dict_of_another_network_is_refused(saved):
    state = saved[0]
    sim = Simulator(make_network(n_hidden=41), seed=5)
    with pytest.raises(CheckpointError, match=r"^Simulator state dict is from a different network"):
        sim.load_state_dict(state)
    # the same description, another seed: the sparse projections connect other neurons
    other_seed = Simulator(make_network(), seed=6)
    with pytest.raises(CheckpointError, match=r"different network structure"):
        other_seed.load_state_dict(state)
    other_rule = Simulator(make_network(p_recurrent=0.21), seed=5)
    with pytest.raises(CheckpointError, match=r"different network structure"):
        other_rule.load_state_dict(state)


def test_missing_unexpected_misshapen_and_mistyped_entries_are_refused(saved):
    state = saved[0]
    sim = Simulator(make_network(), seed=5)
    before = sim.state_dict()
    missing = {k: v for k, v in state.items() if k != "neurons.v"}
    with pytest.raises(
        CheckpointError,
        match=r"^Simulator state dict does not match: missing keys \['neurons\.v'\], "
        r"unexpected keys \[\]$",
    ):
        sim.load_state_dict(missing)
    with pytest.raises(CheckpointError, match=r"missing keys \['simulator\.structure'\]"):
        sim.load_state_dict({k: v for k, v in state.items() if k != STRUCTURE_KEY})
    with pytest.raises(CheckpointError, match=r"unexpected keys \['hidden\.w'\]"):
        sim.load_state_dict({**state, "hidden.w": np.zeros(3)})
    with pytest.raises(
        CheckpointError,
        match=r"entry 'network\.ring' must have shape \(\d+,\) and dtype float64, "
        r"got shape \(5,\) and dtype float64",
    ):
        sim.load_state_dict({**state, "network.ring": np.zeros(5)})
    with pytest.raises(
        CheckpointError, match=r"'neurons\.v' must have shape \(\d+,\) and dtype float64, .*float32"
    ):
        sim.load_state_dict({**state, "neurons.v": state["neurons.v"].astype(np.float32)})
    with pytest.raises(
        CheckpointError, match=r"'synapses\.weights' must be an array of shape .*got list"
    ):
        sim.load_state_dict({**state, "synapses.weights": list(state["synapses.weights"])})
    nan_v = state["neurons.v"].copy()
    nan_v[3] = np.nan
    with pytest.raises(CheckpointError, match=r"'neurons\.v' must hold no NaN or inf, got 1"):
        sim.load_state_dict({**state, "neurons.v": nan_v})
    with pytest.raises(CheckpointError, match=r"must be a mapping of arrays, got list"):
        sim.load_state_dict(list(state.values()))
    with pytest.raises(CheckpointError, match=r"different network structure"):
        sim.load_state_dict({**state, STRUCTURE_KEY: np.zeros(32, dtype=np.uint8)})
    for key, value in sim.state_dict().items():  # every refusal left the state alone
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_unbounded_weights_are_infinite_parameters_and_load_back(saved):
    state = saved[0]
    assert np.isinf(state["synapses.floats"]).any()  # an excitatory bound of +inf
    sim = Simulator(make_network(), seed=5)
    sim.load_state_dict(state)
    bounds = state["synapses.floats"].copy()
    bounds[np.isinf(bounds)] = np.nan
    with pytest.raises(CheckpointError, match=r"'synapses\.floats' must hold no NaN, got"):
        sim.load_state_dict({**state, "synapses.floats": bounds})
    weights = state["synapses.weights"].copy()
    weights[0] = np.inf  # an infinite weight is not a parameter: refused
    with pytest.raises(CheckpointError, match=r"'synapses\.weights' must hold no NaN or inf"):
        sim.load_state_dict({**state, "synapses.weights": weights})


# Kept by reset_state: the weights, what the rules learned, the generator, the totals
KEPT = {
    "synapses.weights",
    "network.rng",
    "plastic.rstdp.baseline",
    "readout.threshold.theta",
}
# Scratch buffers: written before they are read within a step, so whatever they hold is kept
SCRATCH = {
    "synapses.touched",
    "plastic.rstdp.increments",
    "scaled.stdp.scratch_rows",
    "scaled.stdp.scratch_synapses",
    "recurrent.stdp.scratch_traces",
    "scaled.scaling.factor",
    "readout.pes.projected",
}


def test_reset_state_restores_the_state_at_build_except_what_is_learned():
    fresh = Simulator(make_network(), seed=5).state_dict()
    sim = Simulator(make_network(), seed=5)
    drive(sim, 400, seed=3)
    sim.set_third_factor("plastic.rstdp", 1.0)  # pending: dropped by the reset
    twin = Simulator(make_network(), seed=5)
    twin.load_state_dict(sim.state_dict())
    synced = weights(twin)  # (a second sync would add float32 rounding residues)
    totals = sim.total_spikes(), sim.total_synops
    sim.reset_state()
    assert sim.n_steps == 400  # the clock is kept by default
    for name, expected in synced.items():  # R-STDP's pending changes were written, then kept
        np.testing.assert_array_equal(sim.state[f"{name}.weights"], expected, err_msg=name)
    assert (sim.total_spikes(), sim.total_synops) == totals
    assert not sim.spikes.any() and sim.spike_counts()["hidden"] == 0 and sim.synops == 0
    assert sim.state["plastic.rstdp.reward_pending"][0] == 0
    changed = {k for k in fresh if not np.array_equal(sim.state_dict()[k], fresh[k])}
    # the clock, the totals and R-STDP's running integral of dopamine follow the clock
    assert changed - KEPT - SCRATCH == {
        "network.clock",
        "network.operations",
        "populations.ints",
        "synapses.ints",
        "plastic.rstdp.switches",
        "plastic.rstdp.dopamine_sum",
    }
    assert KEPT - {"plastic.rstdp.baseline"} <= changed  # learning happened and was kept
    sim.reset_state(clock=True)
    assert sim.n_steps == 0
    changed = {k for k in fresh if not np.array_equal(sim.state_dict()[k], fresh[k])}
    assert changed - KEPT - SCRATCH == {
        "populations.ints",
        "synapses.ints",
        "network.operations",
    }  # the totals since build


def test_after_reset_state_a_simulator_runs_as_a_fresh_one_with_its_weights():
    sim = Simulator(make_network(), seed=5)
    drive(sim, 400, seed=3)
    sim.reset_state(clock=True)
    fresh = Simulator(make_network(), seed=5)
    learned = {k: v for k, v in sim.state_dict().items() if k in KEPT}  # scratch: fresh
    fresh.load_state_dict({**fresh.state_dict(), **learned})
    np.testing.assert_array_equal(drive(sim, 500, seed=4), drive(fresh, 500, seed=4))
    for name, expected in weights(fresh).items():
        np.testing.assert_array_equal(weights(sim)[name], expected, err_msg=name)
