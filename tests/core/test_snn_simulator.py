"""Simulator API: event vectors, state by name, counters, delays, third factor errors."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    OneToOne,
    PairSTDP,
    Population,
    Projection,
)
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError, ShapeError


@pytest.fixture(scope="module")
def sim():
    a, b = Input(4, name="a"), Input(3, name="b")
    hidden = Population(5, LIF(v_th=100.0, tau_m=1e6), name="hidden")  # integrator, never fires
    return Simulator(
        Network(
            [a, b, hidden],
            [
                Projection(a, hidden, AllToAll(), np.arange(20.0).reshape(4, 5), delay=2),
                Projection(b, hidden, FixedProbability(0.6, seed=3), 0.5, rule=PairSTDP()),
            ],
        ),
        seed=1,
    )


def test_event_vector_shapes_are_checked(sim):
    with pytest.raises(ShapeError, match=r"events must have shape \(7,\).*got \(6,\)"):
        sim.step(np.zeros(6, dtype=bool))
    with pytest.raises(ShapeError, match=r"events\['a'\] must have shape \(4,\), got \(3,\)"):
        sim.step({"a": np.zeros(3)})
    with pytest.raises(ConfigError, match=r"finite"):
        sim.step(np.full(7, np.nan))
    with pytest.raises(ConfigError, match=r"'hidden' is a Population, not an Input"):
        sim.step({"hidden": np.zeros(5)})


def test_delay_and_synops_follow_the_events():
    a = Input(4, name="a")
    hidden = Population(5, LIF(v_th=100.0, tau_m=1e6), name="hidden")
    weights = np.arange(20.0).reshape(4, 5)
    sim = Simulator(Network([a, hidden], [Projection(a, hidden, AllToAll(), weights, delay=2)]))
    v0 = sim.state["hidden.v"].copy()
    sim.step(np.array([1, 0, 1, 0], dtype=np.uint8))
    assert sim.synops == 2 * 5 and sim.spike_counts()["a"] == 2
    for _ in range(2):
        sim.step()
        np.testing.assert_allclose(sim.state["hidden.v"], v0, atol=1e-3)
    sim.step()  # spike of step 0 arrives at step 0 + 1 + delay
    expected = weights[0] + weights[2]
    np.testing.assert_allclose(sim.state["hidden.v"] - v0, expected, rtol=1e-6)


def test_state_by_name_is_a_live_view(sim):
    sim.state["hidden.i_ext"] = 0.25
    assert np.all(sim.state["hidden.i_ext"] == 0.25)
    with pytest.raises(ShapeError, match=r"hidden.v must have shape \(5,\)"):
        sim.state["hidden.v"] = np.zeros(4)
    with pytest.raises(ConfigError, match=r"must be finite"):
        sim.state["hidden.v"] = np.full(5, np.inf)
    with pytest.raises(KeyError, match=r"no state variable 'hidden.w'"):
        sim.state["hidden.w"]
    assert "b_to_hidden.stdp.pre_trace" in sim.state


def test_third_factor_and_plasticity_switch(sim):
    with pytest.raises(ConfigError, match=r"takes no third factor"):
        sim.set_third_factor("stdp", 1.0)
    with pytest.raises(ConfigError, match=r"no learning rule called 'pes'"):
        sim.set_third_factor("pes", 1.0)
    sim.set_plasticity(False)
    assert sim.state["b_to_hidden.stdp.switches"][2] == 0
    sim.set_plasticity(True)


def test_run_counts_spikes_per_neuron():
    a = Input(3, name="a")
    out = Population(3, LIF(tau_ref=0.0), name="out")
    sim = Simulator(Network([a, out], [Projection(a, out, OneToOne(), 2.0)]))
    counts = sim.run(10, lambda step: np.array([step % 2 == 0, False, True]))
    np.testing.assert_array_equal(counts["a"], [5, 0, 10])
    np.testing.assert_array_equal(counts["out"], [5, 0, 9])  # one step of latency
    assert sim.n_steps == 10 and sim.time == pytest.approx(0.01)
