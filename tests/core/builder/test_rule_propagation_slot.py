"""Dense additive pair STDP propagates its own rows, in its projection's propagation slot."""

from __future__ import annotations

import numpy as np

from neurocontrol.core.model import LIF, AllToAll, Input, Network, PairSTDP, Population, Projection
from neurocontrol.core.simulator import Simulator


def _network(rule: PairSTDP | None) -> Network:
    source = Input(20, name="input")
    hidden = Population(30, LIF(tau_ref=0.002), name="hidden")
    return Network(
        [source, hidden],
        [
            Projection(source, hidden, AllToAll(), 0.08, rule=rule, delay=1, name="ff"),
            Projection(hidden, hidden, AllToAll(), -0.02, name="rec"),
        ],
    )


def test_the_rule_kernel_stands_in_the_propagation_slot(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEUROCONTROL_CACHE_DIR", str(tmp_path))
    Simulator(_network(PairSTDP(w_min=0.0, w_max=0.1)), seed=1)
    generated = next((tmp_path / "steps").glob("neurocontrol_step_*.py")).read_text()
    calls = [line.strip() for line in generated.splitlines() if "int64(" in line]
    # the rule runs where ff's propagation ran (before rec's), so the ring's sums keep
    # their order; no separate dense propagation kernel is compiled
    assert calls[2].startswith("pair_stdp_additive_dense(net, int64(0), rule_0)")
    assert calls[3].startswith("propagate_dense(populations, int64(1),")
    assert generated.count("propagate_dense(") == 1


def test_frozen_rule_still_propagates_like_a_static_projection() -> None:
    plastic = Simulator(_network(PairSTDP(w_min=0.0, w_max=0.1)), seed=1)
    static = Simulator(_network(None), seed=1)
    plastic.set_plasticity(False)
    raster = np.random.default_rng(3).random((400, 20)) < 0.2
    for events in raster:
        np.testing.assert_array_equal(plastic.step(events), static.step(events))
    np.testing.assert_array_equal(plastic.state["hidden.v"], static.state["hidden.v"])
    assert plastic.total_synops == static.total_synops > 0
    assert plastic.total_spikes()["hidden"] > 0
    np.testing.assert_array_equal(plastic.state["ff.weights"], static.state["ff.weights"])
