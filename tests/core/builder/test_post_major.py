"""Post-major storage of sparse pair-STDP projections: the layout, and the network it runs.

A sparse projection whose only rule is additive pair STDP is stored by
postsynaptic neuron and propagated by its rule kernel. These tests check
the layout against the CSR pattern it was built from, and that a network
with it spikes and learns exactly as the same network stored CSR (the
general pair-STDP kernel, selected by refusing the post-major form).
"""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.builder import connectivity, network
from neurocontrol.core.builder.connectivity import ProjectionArrays, post_major_view
from neurocontrol.core.kernels.step.state import PRJ_INT_COLUMNS
from neurocontrol.core.kernels.step.synapses import STORAGE_CSR_NARROW, STORAGE_POST_MAJOR
from neurocontrol.core.model import (
    LIF,
    FixedProbability,
    Input,
    Network,
    Normal,
    PairSTDP,
    Population,
    Projection,
    Uniform,
)
from neurocontrol.core.simulator import Simulator


def _csr(n_pre: int, n_post: int, p: float, seed: int) -> ProjectionArrays:
    rng = np.random.default_rng(seed)
    mask = rng.random((n_pre, n_post)) < p
    indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int32)
    indices = np.nonzero(mask)[1].astype(np.int32)
    weights = rng.random(indices.size).astype(np.float32)
    return ProjectionArrays(False, weights, indices, indptr)


def test_post_major_view_holds_the_csr_synapses_by_column() -> None:
    n_pre, n_post = 37, 23
    csr = _csr(n_pre, n_post, 0.3, seed=3)
    major = post_major_view(csr, n_post)
    assert major is not None and major.n_syn == csr.n_syn
    dense = np.full((n_pre, n_post), np.nan, np.float32)
    rows = np.repeat(np.arange(n_pre), np.diff(csr.indptr))
    dense[rows, csr.indices] = csr.weights
    columns = np.repeat(np.arange(n_post), np.diff(major.col_ptr))
    np.testing.assert_array_equal(major.weights, dense[major.pre_indices, columns])
    for j in range(n_post):  # ascending presynaptic neuron within a column
        assert np.all(np.diff(major.pre_indices[major.col_ptr[j] : major.col_ptr[j + 1]]) > 0)
    # each packed row entry names its column and the position of the synapse in it
    np.testing.assert_array_equal(major.row_ptr, csr.indptr)
    entries = major.row_entries.astype(np.int64)
    post = entries >> major.offset_bits
    position = major.col_ptr[post] + (entries & ((1 << major.offset_bits) - 1))
    np.testing.assert_array_equal(post, csr.indices)
    np.testing.assert_array_equal(major.pre_indices[position], rows)
    np.testing.assert_array_equal(major.weights[position], csr.weights)


def test_post_major_view_refuses_entries_beyond_int32(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    csr = _csr(40, 30, 0.5, seed=1)
    assert post_major_view(csr, 30) is not None
    monkeypatch.setattr(connectivity, "PACK_LIMIT", 16)  # 29 columns need more than 4 bits
    assert post_major_view(csr, 30) is None


def _network(rule: PairSTDP | None) -> Network:
    source = Input(60, name="input")
    hidden = Population(80, LIF(tau_m=0.02, tau_ref=0.002), name="hidden")
    return Network(
        [source, hidden],
        [
            Projection(
                source,
                hidden,
                FixedProbability(0.3),
                Uniform(0.0, 0.5),
                rule=rule,
                name="plastic",
                delay=1,
            ),
            Projection(hidden, hidden, FixedProbability(0.1), Normal(0.0, 0.05), name="rec"),
        ],
    )


def _run(sim: Simulator, steps: int = 400) -> np.ndarray:
    rng = np.random.default_rng(5)
    raster = np.zeros((steps, sim.n_neurons), bool)
    for t in range(steps):
        raster[t] = sim.step(rng.random(60) < 0.08)
    return raster


def _dense(sim: Simulator) -> np.ndarray:
    weights = np.full((60, 80), np.nan, np.float32)
    weights[sim.built.synapse_indices("plastic")] = sim.state["plastic.weights"]
    return weights


RULE = PairSTDP(a_plus=0.01, a_minus=0.0105, w_min=0.0, w_max=0.5)


def test_post_major_network_spikes_and_learns_as_the_csr_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    post_major = Simulator(_network(RULE), seed=2)
    storage = post_major.built.arenas.views["synapses.ints"][:, PRJ_INT_COLUMNS.index("dense")]
    assert storage.tolist() == [STORAGE_POST_MAJOR, STORAGE_CSR_NARROW]
    monkeypatch.setattr(network, "post_major_view", lambda arrays, n_post: None)
    csr = Simulator(_network(RULE), seed=2)
    assert "plastic.indptr" in csr.state and "plastic.col_ptr" not in csr.state
    np.testing.assert_array_equal(_dense(post_major), _dense(csr))
    raster = _run(post_major)
    np.testing.assert_array_equal(raster, _run(csr))
    assert raster[:, 60:].sum() > 200
    np.testing.assert_array_equal(_dense(post_major), _dense(csr))
    assert post_major.synops_per_projection() == csr.synops_per_projection()
    assert post_major.total_synops == csr.total_synops > 0
    n_plastic = post_major.state["plastic.weights"].size
    assert post_major.state["plastic.pre_indices"].dtype == np.uint16
    assert post_major.built.synapse_bytes["plastic"] == 10 * n_plastic  # f4 + u2 + packed i4
    assert csr.built.synapse_bytes["plastic"] == 12 * n_plastic  # f4 + i4 + CSC i4
    assert post_major.built.synapse_bytes["rec"] == csr.built.synapse_bytes["rec"]


def test_frozen_post_major_projection_still_propagates() -> None:
    frozen = Simulator(_network(RULE), seed=2)
    frozen.set_plasticity(False)
    static = Simulator(_network(None), seed=2)
    before = _dense(frozen)
    np.testing.assert_array_equal(before, np.where(np.isnan(before), np.nan, _dense(static)))
    np.testing.assert_array_equal(_run(frozen), _run(static))
    np.testing.assert_array_equal(_dense(frozen), before)


def test_weights_of_a_post_major_projection_are_set_by_name() -> None:
    sim = Simulator(_network(RULE), seed=2)
    pre, post = sim.built.synapse_indices("plastic")
    assert np.all(np.diff(post) >= 0)  # stored by postsynaptic neuron
    sim.state["plastic.weights"] = np.where(pre == 7, 0.25, 0.0)
    sim.state["rec.weights"] = 0.0
    sim.set_plasticity(False)
    events = np.zeros(60, bool)
    events[7] = True
    sim.step(events)  # input 7 fires at step 0; delay 1: its targets move at step 2
    sim.step(None)
    assert not sim.state["hidden.v"].any()
    sim.step(None)
    targets = np.zeros(80, bool)
    targets[post[pre == 7]] = True
    assert 0 < targets.sum() < 80
    np.testing.assert_array_equal(sim.state["hidden.v"] > 0, targets)
    np.testing.assert_array_equal(sim.state["hidden.v"][targets], 0.25)


def test_synapse_indices_of_an_unknown_projection_is_refused() -> None:
    sim = Simulator(_network(RULE), seed=2)
    with pytest.raises(KeyError, match="no projection 'nope'; known: plastic, rec"):
        sim.built.synapse_indices("nope")


def test_post_major_propagation_matches_numpy() -> None:
    """The fused walk delivers W^T s (float64 sums in presynaptic order) before it depresses."""
    sim = Simulator(_network(RULE), seed=4)
    pre, post = sim.built.synapse_indices("plastic")
    rng = np.random.default_rng(8)
    sim.state["plastic.weights"] = rng.uniform(0.0, 0.1, pre.size)
    sim.state["rec.weights"] = 0.0
    sim.state["plastic.stdp.post_trace"] = 1.0  # every delivered synapse is also depressed
    weights = sim.state["plastic.weights"].copy()
    events = rng.random(60) < 0.2
    expected = np.zeros(80)
    for i in np.flatnonzero(events):  # the kernel's order: spikes ascending, one add per synapse
        mine = pre == i
        expected[post[mine]] += weights[mine].astype(np.float64)
    assert 0.0 < expected.max() < 1.0  # below threshold: v is the delivered input
    sim.step(events)
    delivered = np.isin(pre, np.flatnonzero(events))
    assert np.all(sim.state["plastic.weights"][delivered] < weights[delivered])
    np.testing.assert_array_equal(sim.state["plastic.weights"][~delivered], weights[~delivered])
    sim.step(None)
    sim.step(None)  # delay 1: arrives in the input of step 2
    np.testing.assert_array_equal(sim.state["hidden.v"], expected)
