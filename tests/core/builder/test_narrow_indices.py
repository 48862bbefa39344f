"""Static sparse projections onto at most 65,536 neurons keep uint16 postsynaptic indices.

The narrow form must spike exactly as the int32 form (selected by setting
the limit to 0), save and restore through the state dict, and be used
only where it fits: not for plastic projections, not beyond the limit.
"""

from __future__ import annotations

import numpy as np

from neurocontrol.core.builder import network
from neurocontrol.core.builder.connectivity import ProjectionArrays, post_major_view
from neurocontrol.core.kernels.step.state import PRJ_INT_COLUMNS
from neurocontrol.core.kernels.step.synapses import (
    STORAGE_CSR,
    STORAGE_CSR_NARROW,
    STORAGE_DENSE,
)
from neurocontrol.core.model import (
    LIF,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    Normal,
    Population,
    Projection,
    TripletSTDP,
    Uniform,
)
from neurocontrol.core.simulator import Simulator


def _network(plastic_recurrent: bool = False) -> Network:
    source = Input(40, name="input")
    hidden = Population(70, LIF(tau_m=0.02, tau_ref=0.002), name="hidden")
    rule = TripletSTDP(w_min=-1.0, w_max=1.0) if plastic_recurrent else None
    recurrent = Uniform(-0.08, 0.08) if plastic_recurrent else Normal(0.0, 0.05)
    return Network(
        [source, hidden],
        [
            Projection(source, hidden, AllToAll(), Uniform(0.0, 0.12), name="feed"),
            Projection(
                hidden,
                hidden,
                FixedProbability(0.2, seed=4),
                recurrent,
                rule=rule,
                name="rec",
            ),
            Projection(source, hidden, FixedProbability(0.3, seed=5), 0.05, delay=2, name="late"),
        ],
    )


def _storage(sim: Simulator) -> list[int]:
    table = sim.built.arenas.views["synapses.ints"]
    return table[:, PRJ_INT_COLUMNS.index("dense")].tolist()  # type: ignore[no-any-return]


def _run(sim: Simulator, steps: int = 300) -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.array([sim.step(rng.random(40) < 0.1).copy() for _ in range(steps)])


def test_narrow_network_spikes_as_the_int32_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    narrow = Simulator(_network(), seed=3)
    assert _storage(narrow) == [STORAGE_DENSE, STORAGE_CSR_NARROW, STORAGE_CSR_NARROW]
    assert narrow.state["rec.indices"].dtype == np.uint16
    monkeypatch.setattr(network, "NARROW_INDEX_LIMIT", 0)
    wide = Simulator(_network(), seed=3)
    assert _storage(wide) == [STORAGE_DENSE, STORAGE_CSR, STORAGE_CSR]
    assert wide.state["rec.indices"].dtype == np.int32
    np.testing.assert_array_equal(narrow.state["rec.indices"], wide.state["rec.indices"])
    raster = _run(narrow)
    np.testing.assert_array_equal(raster, _run(wide))
    assert raster[:, 40:].sum() > 100
    np.testing.assert_array_equal(narrow.state["hidden.v"], wide.state["hidden.v"])
    assert narrow.synops_per_projection() == wide.synops_per_projection()
    assert narrow.built.synapse_bytes["rec"] == 6 * narrow.state["rec.weights"].size
    assert wide.built.synapse_bytes["rec"] == 8 * wide.state["rec.weights"].size


def test_narrow_state_dict_round_trip_is_bit_identical() -> None:
    sim = Simulator(_network(), seed=3)
    _run(sim, 50)
    saved = sim.state_dict()
    assert any(np.asarray(value).dtype == np.uint16 for value in saved.values())
    expected = _run(sim, 100)
    restored = Simulator(_network(), seed=3)
    restored.load_state_dict(saved)
    np.testing.assert_array_equal(_run(restored, 100), expected)


def test_plastic_and_too_large_projections_keep_int32_indices(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    plastic = Simulator(_network(plastic_recurrent=True), seed=3)
    assert _storage(plastic) == [STORAGE_DENSE, STORAGE_CSR, STORAGE_CSR_NARROW]
    assert plastic.state["rec.indices"].dtype == np.int32
    monkeypatch.setattr(network, "NARROW_INDEX_LIMIT", 69)  # hidden has 70 neurons
    too_large = Simulator(_network(), seed=3)
    assert _storage(too_large) == [STORAGE_DENSE, STORAGE_CSR, STORAGE_CSR]


def test_post_major_form_needs_at_most_65536_presynaptic_neurons() -> None:
    def pattern(n_pre: int) -> ProjectionArrays:
        indptr = np.zeros(n_pre + 1, dtype=np.int32)
        indptr[1:] = np.minimum(np.arange(1, n_pre + 1), 3)  # rows 0..2: one synapse each
        indices = np.array([4, 0, 2], dtype=np.int32)
        return ProjectionArrays(False, np.ones(3, np.float32), indices, indptr)

    major = post_major_view(pattern(1 << 16), n_post=5)
    assert major is not None and major.pre_indices.dtype == np.uint16
    np.testing.assert_array_equal(major.pre_indices, [1, 2, 0])
    assert post_major_view(pattern((1 << 16) + 1), n_post=5) is None
