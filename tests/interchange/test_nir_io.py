"""NIR export and import: round trip, refusals, bad files and graphs."""

from __future__ import annotations

import warnings

import nir
import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    AdaptiveLIF,
    Input,
    Izhikevich,
    Network,
    Population,
    Projection,
)
from neurocontrol.core.model.connectivity import FixedProbability
from neurocontrol.core.model.encoders import CurrentEncoder
from neurocontrol.core.model.error_rules import PES
from neurocontrol.core.model.network import Output, SignalInput
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import InterchangeError, ShapeError
from neurocontrol.interchange.nir_io import from_nir, read_nir, to_nir, write_nir

STEPS = 2000


def mixed_network() -> Network:
    """Every mapped element: encoder, delta and current synapses, sparse, delays, recurrence."""
    rng = np.random.default_rng(0)
    state = SignalInput(3, name="state")
    a = Population(40, LIF(tau_ref=0.0), name="a")
    b = Population(30, LIF(tau_ref=0.0, tau_m=0.01, v_reset=-0.1), name="b")
    c = Population(20, LIF(tau_ref=0.0, tau_syn=0.005), name="c")
    spikes = Input(10, name="spikes")
    torque = Output(2, tau=0.02, name="torque")
    encoder = CurrentEncoder(
        state, a, rng.normal(size=(40, 3)), gains=rng.uniform(1, 3, 40),
        biases=rng.uniform(0, 1.5, 40), name="enc",
    )  # fmt: skip
    projections = [
        Projection(a, b, FixedProbability(0.3), weights=0.4, delay=2, name="ab"),
        Projection(spikes, b, weights=rng.normal(0, 0.5, (10, 30)), name="sb"),
        Projection(b, c, weights=rng.normal(0.1, 0.3, (30, 20)), delay=1, name="bc"),
        Projection(c, b, weights=rng.normal(0, 0.2, (20, 30)), name="cb"),
        Projection(b, torque, weights=rng.normal(0, 0.01, (30, 2)), name="readout"),
    ]
    return Network([state, a, b, c, spikes, torque], projections, [encoder])


def test_round_trip_gives_the_same_spikes_bit_for_bit(tmp_path):
    sim = Simulator(mixed_network(), dt=1e-3, seed=1)
    graph = to_nir(sim)
    assert {type(n).__name__ for n in graph.nodes.values()} == {
        "Input", "Affine", "LIF", "CubaLIF", "Linear", "Delay", "LI", "Output",
    }  # fmt: skip
    assert graph.nodes["ab_delay"].delay[0] == pytest.approx(3e-3)  # t + 1 + delay
    imported = from_nir(write_nir(graph, tmp_path / "net.nir"))
    assert imported.notes == [] and imported.readouts == ["torque"]
    copy = imported.simulator(seed=7)  # no random draw left: the seed must not matter
    for name in ("ab", "sb", "bc", "cb", "readout"):
        np.testing.assert_array_equal(copy.weight_matrix(name), sim.weight_matrix(name))
    rng = np.random.default_rng(2)
    signals, events = rng.normal(size=(STEPS, 3)), (rng.random((STEPS, 10)) < 0.05)
    for t in range(STEPS):
        ours = sim.step(events=events[t].view(np.uint8), signals=signals[t]).copy()
        theirs = copy.step(events={"spikes": events[t].view(np.uint8)}, signals=signals[t])
        for name in "abc":
            np.testing.assert_array_equal(theirs[copy.slice_of(name)], ours[sim.slice_of(name)])
        np.testing.assert_array_equal(copy.state["torque.value"], sim.state["torque.value"])
    assert min(sim.total_spikes()[name] for name in "abc") > 500


def test_time_constants_and_weights_follow_the_continuous_form():
    net = mixed_network()
    graph = to_nir(net)
    b = graph.nodes["b"]
    assert b.tau[0] == 0.01 and b.v_reset[0] == -0.1 and b.v_threshold[0] == 1.0
    c = graph.nodes["c"]
    assert c.tau_syn[0] == 0.005 and c.w_in[0] == pytest.approx(5.0)
    # a jump of w in v is w / ((1 - exp(-dt/tau)) r) held for one step
    sim = Simulator(net, seed=0)
    expected = sim.weight_matrix("sb").T / -np.expm1(-0.1)
    np.testing.assert_allclose(graph.nodes["sb"].weight, expected)
    assert graph.nodes["torque"].r[0] == pytest.approx(1000.0)
    assert graph.metadata["dt"] == 1e-3


def adaptive_like(model=None, rule=True, delta=0.01) -> Network:
    state = SignalInput(2, name="state")
    hidden = Population(5, model or LIF(), name="hidden")
    torque = Output(1, tau=0.02, name="torque")
    encoder = CurrentEncoder(state, hidden, np.ones((5, 2)), delta=delta, name="currents")
    readout = Projection(
        hidden, torque, weights=0.0, rule=PES(learning_rate=1e-5) if rule else None,
        name="readout",
    )  # fmt: skip
    return Network([state, hidden, torque], [readout], [encoder])


def test_refusal_lists_every_unsupported_element_and_where():
    net = adaptive_like(AdaptiveLIF(noise_sigma=0.1))
    with pytest.raises(InterchangeError, match="5 element") as info:
        to_nir(net)
    message = str(info.value)
    for part in (
        "refractory period: population 'hidden'",
        "adaptive threshold: population 'hidden'",
        "membrane noise: population 'hidden'",
        "send-on-delta input coding: encoder 'currents'",
        "learning rule: PES on projection 'readout'",
    ):
        assert part in message


def test_lossy_export_writes_omissions_and_rule_into_metadata(tmp_path):
    with pytest.warns(UserWarning, match="refractory period"):
        graph = to_nir(adaptive_like(), lossy=True)
    read = read_nir(write_nir(graph, tmp_path / "c.nir"))
    assert "send-on-delta" in read.metadata["omitted"]
    assert '"learning_rate": 1e-05' in read.metadata["learning_rules"]
    assert from_nir(read).network.node("hidden").model.tau_ref == 0.0


def test_models_without_a_nir_form_are_refused_even_when_lossy():
    with pytest.raises(InterchangeError, match="Izhikevich neurons, which no NIR node"):
        to_nir(adaptive_like(Izhikevich(), rule=False, delta=None), lossy=True)
    state, hidden = SignalInput(2, name="s"), Population(3, LIF(tau_ref=0.0), name="h")
    raw = Output(1, name="raw")
    net = Network(
        [state, hidden, raw], [Projection(hidden, raw, weights=0.0)],
        [CurrentEncoder(state, hidden, np.ones((3, 2)))],
    )  # fmt: skip
    with pytest.raises(InterchangeError, match="output 'raw' has no synapse"):
        to_nir(net, lossy=True)


def test_objects_without_a_network_are_refused():
    with pytest.raises(InterchangeError, match="holds no spiking network"):
        to_nir(object())


# -- bad input ---------------------------------------------------------------------------


def test_missing_corrupt_and_truncated_files_are_refused(tmp_path):
    with pytest.raises(InterchangeError, match="no NIR file"):
        from_nir(tmp_path / "none.nir")
    junk = tmp_path / "junk.nir"
    junk.write_bytes(b"not an hdf5 file at all")
    with pytest.raises(InterchangeError, match="not a readable NIR file"):
        from_nir(junk)
    good = write_nir(to_nir(Simulator(mixed_network(), seed=1)), tmp_path / "good.nir")
    truncated = tmp_path / "truncated.nir"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InterchangeError, match="truncated"):
        from_nir(truncated)


def small_graph(**replace) -> nir.NIRGraph:
    nodes = {
        "in": nir.Input(input_type={"input": np.array([2])}),
        "w": nir.Affine(weight=np.ones((3, 2)), bias=np.zeros(3)),
        "lif": nir.LIF(
            tau=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3)
        ),
        "out": nir.Output(output_type={"output": np.array([3])}),
    }
    nodes.update(replace)
    edges = [("in", "w"), ("w", "lif"), ("lif", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_foreign_graph_maps_onto_encoder_and_population():
    imported = from_nir(small_graph())
    assert [n.name for n in imported.network.populations] == ["in", "lif"]
    assert imported.network.encoders[0].name == "w"


def test_unknown_node_type_is_refused_by_name():
    graph = small_graph(w=nir.Conv1d(None, np.ones((3, 2, 1)), 1, 0, 1, 1, np.zeros(3)))
    with pytest.raises(InterchangeError, match=r"node 'w' is a Conv1d.*accepted node types"):
        from_nir(graph)
    graph = small_graph(lif=nir.IF(r=np.ones(3), v_threshold=np.ones(3)))
    with pytest.raises(InterchangeError, match="node 'lif' is a IF"):
        from_nir(graph)


def test_mismatched_shapes_name_the_edge():
    graph = small_graph(w=nir.Affine(weight=np.ones((4, 2)), bias=np.zeros(4)))
    with pytest.raises(ShapeError, match=r"'w' -> 'lif'.*'w' gives 4 values, 'lif' takes 3"):
        from_nir(graph)


def test_cycle_without_delay_is_refused_naming_the_node():
    graph = small_graph(rec=nir.Linear(weight=np.eye(3)))
    graph.edges += [("lif", "rec"), ("rec", "lif")]
    with pytest.raises(InterchangeError, match=r"cycle without a Delay node: .*'lif'"):
        from_nir(graph)
    graph.nodes["d"] = nir.Delay(delay=np.full(3, 2e-3))
    graph.edges = [e for e in graph.edges if e != ("rec", "lif")] + [("rec", "d"), ("d", "lif")]
    projection = from_nir(graph).network.projection("rec")
    assert projection.delay == 1  # a Delay of two steps: the core's one step plus one


def test_per_neuron_parameters_the_core_shares_are_refused():
    lif = nir.LIF(
        tau=np.array([0.02, 0.03, 0.02]), r=np.ones(3), v_leak=np.zeros(3),
        v_threshold=np.ones(3),
    )  # fmt: skip
    with pytest.raises(InterchangeError, match=r"node 'lif' .* per-neuron tau"):
        from_nir(small_graph(lif=lif))


def test_instantaneous_edge_between_neurons_is_noted():
    graph = small_graph(rec=nir.Linear(weight=np.eye(3)), lif2=nir.LIF(
        tau=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3)
    ))  # fmt: skip
    graph.edges += [("lif", "rec"), ("rec", "lif2")]
    imported = from_nir(graph)
    assert imported.network.projection("rec").delay == 0
    assert "delivered one step later" in imported.notes[0]


def test_warning_free_strict_export_of_a_static_network():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_nir(adaptive_like(LIF(tau_ref=0.0), rule=False, delta=None))


def test_a_fading_readout_is_exported_at_the_weights_it_fades_to():
    rng = np.random.default_rng(3)
    state = SignalInput(2, name="state")
    hidden = Population(30, LIF(tau_ref=0.0), name="hidden")
    torque = Output(2, tau=0.02, name="torque")
    encoder = CurrentEncoder(
        state, hidden, rng.normal(size=(30, 2)), gains=rng.uniform(1, 3, 30),
        biases=rng.uniform(0, 1.5, 30), name="currents",
    )  # fmt: skip
    lasting = rng.normal(0, 0.01, (30, 2))
    projections = [
        Projection(hidden, torque, weights=lasting, rule=PES(1e-3), name="readout"),
        Projection(hidden, torque, weights=rng.normal(0, 0.01, (30, 2)),
                   rule=PES(1e-1, decay_tau=0.05), name="fast"),
    ]  # fmt: skip
    net = Network([state, hidden, torque], projections, [encoder])
    with pytest.raises(InterchangeError, match="weight decay: projection 'fast' forgets"):
        to_nir(net)
    with pytest.warns(UserWarning, match="fades to, zero"):
        graph = to_nir(net, lossy=True)
    np.testing.assert_array_equal(graph.nodes["fast"].weight, 0.0)
    np.testing.assert_allclose(graph.nodes["readout"].weight, lasting.T, rtol=1e-6)  # float32
