"""A kernel used by several populations or projections is compiled once, not once per index."""

from __future__ import annotations

import numpy as np
from numba import types

from neurocontrol.core.kernels.step import neurons, synapses
from neurocontrol.core.model import LIF, FixedProbability, Input, Network, Population, Projection
from neurocontrol.core.simulator import Simulator


def test_population_and_projection_indices_are_not_literal(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEUROCONTROL_CACHE_DIR", str(tmp_path))
    source = Input(6, name="input")
    first, second = Population(9, LIF(), name="first"), Population(7, LIF(), name="second")
    network = Network(
        [source, first, second],
        [
            Projection(source, first, FixedProbability(0.5, seed=1), 0.6, name="a"),
            Projection(first, second, FixedProbability(0.5, seed=2), 0.6, name="b"),
            Projection(second, first, FixedProbability(0.5, seed=3), 0.6, name="c"),
        ],
    )
    sim = Simulator(network, seed=1)
    generated = next((tmp_path / "steps").glob("neurocontrol_step_*.py")).read_text()
    assert "update_lif(populations, int64(1)," in generated
    assert "update_lif(populations, int64(2)," in generated
    assert "propagate_sparse_narrow(populations, int64(2)," in generated
    for _ in range(5):
        sim.step(np.ones(6, dtype=bool))
    assert sim.total_spikes()["first"] > 0
    for kernel in (neurons.update_lif, synapses.propagate_sparse_narrow):
        index_types = {signature[1] for signature in kernel.signatures}
        assert index_types == {types.int64}, (kernel.__name__, index_types)
