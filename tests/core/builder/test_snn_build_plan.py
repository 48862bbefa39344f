"""The generated step calls only what a network uses; connectivity patterns are cached exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from neurocontrol.core.builder import build_network, connectivity
from neurocontrol.core.kernels.step import neurons, pair_stdp, synapses
from neurocontrol.core.model import (
    LIF,
    AllToAll,
    FixedProbability,
    Input,
    Izhikevich,
    Network,
    PairSTDP,
    Population,
    Projection,
)


def _network(model: object, feedforward: object, rules: tuple = ()) -> Network:
    source = Input(5, name="input")
    hidden = Population(8, model, name="hidden")  # type: ignore[arg-type]
    return Network(
        [source, hidden],
        [
            Projection(source, hidden, feedforward, 0.3, rule=rules or None, name="ff"),
            Projection(hidden, hidden, FixedProbability(0.5, seed=2), 0.1, name="rec"),
        ],
    )


def _plan(network: Network, tmp_path, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEUROCONTROL_CACHE_DIR", str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("neurocontrol_step_")]:
        monkeypatch.delitem(sys.modules, name)  # an earlier test's step of the same structure
    built = build_network(network)
    (source,) = (tmp_path / "steps").glob("neurocontrol_step_*.py")
    assert built.step_function.py_func.__module__ == source.stem
    return source.read_text()


def test_plan_calls_the_kernels_of_the_models_and_storage_used(tmp_path, monkeypatch) -> None:
    source = _plan(_network(Izhikevich(), AllToAll()), tmp_path, monkeypatch)
    assert "read_input_events(populations, int64(0)," in source
    assert "update_izhikevich(populations, int64(1)," in source
    assert "update_lif" not in source
    assert "propagate_dense(populations, int64(0)," in source
    assert "propagate_sparse_narrow(populations, int64(1)," in source  # static, uint16 indices
    assert "NetworkState" not in source  # no rule: the nested tuple is not built
    assert "apply_weight_changes" not in source


@pytest.mark.parametrize(
    ("feedforward", "rules", "kernel"),
    [
        (AllToAll(), (PairSTDP(),), pair_stdp.pair_stdp_additive_dense),
        (FixedProbability(0.5, seed=1), (PairSTDP(),), pair_stdp.pair_stdp_additive_post_major),
        (AllToAll(), (PairSTDP(weight_dependence="multiplicative"),), pair_stdp.pair_stdp_step),
        (AllToAll(), (PairSTDP(name="a"), PairSTDP(name="b")), pair_stdp.pair_stdp_step),
    ],
)
def test_pair_stdp_variant_fits_the_projection(
    feedforward, rules, kernel, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    source = _plan(_network(LIF(), feedforward, rules), tmp_path, monkeypatch)
    assert f"{kernel.__name__}(net, int64(0), rule_0)" in source
    assert ("apply_weight_changes(synapses)" in source) == (len(rules) >= 2)
    other = {
        pair_stdp.pair_stdp_additive_dense,
        pair_stdp.pair_stdp_additive_post_major,
        pair_stdp.pair_stdp_step,
    } - {kernel}
    assert not any(f"{k.__name__}(" in source for k in other)
    # a post-major projection is propagated by its rule kernel, every other one by its storage's
    post_major = kernel is pair_stdp.pair_stdp_additive_post_major
    assert ("propagate_by_rule(populations, int64(0)," in source) == post_major
    assert "propagate_sparse(populations, int64(0)," not in source


def test_noisy_lif_gets_the_noisy_kernel(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = _plan(_network(LIF(noise_sigma=0.1), AllToAll()), tmp_path, monkeypatch)
    assert "update_lif_noisy(populations, int64(1)," in source
    assert neurons.update_lif_noisy is not neurons.update_lif
    assert synapses.propagate_dense is not synapses.propagate_sparse


def _large_pattern_network() -> Network:
    source = Input(60, name="input")
    hidden = Population(70, LIF(), name="hidden")
    return Network(
        [source, hidden],
        [
            Projection(source, hidden, FixedProbability(0.2), 0.1, name="ff"),
            Projection(hidden, hidden, FixedProbability(0.1, allow_self_connections=False), 0.1),
        ],
    )


def test_cached_patterns_build_the_same_network(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEUROCONTROL_CACHE_DIR", str(tmp_path))
    uncached = build_network(_large_pattern_network(), seed=4).arenas.arrays
    monkeypatch.setattr(connectivity, "CACHE_MIN_CELLS", 1)
    first = build_network(_large_pattern_network(), seed=4).arenas.arrays  # draws, writes
    entries = sorted((tmp_path / "steps" / "patterns").glob("pattern_*.npz"))
    assert len(entries) == 2
    second = build_network(_large_pattern_network(), seed=4).arenas.arrays  # reads
    other_seed = build_network(_large_pattern_network(), seed=5).arenas.arrays
    for kind in uncached:
        np.testing.assert_array_equal(first[kind], uncached[kind])
        np.testing.assert_array_equal(second[kind], uncached[kind])
    assert not np.array_equal(other_seed["i4"], uncached["i4"])
    entries[0].write_bytes(b"not a zip file")  # a broken entry is redrawn, not trusted
    third = build_network(_large_pattern_network(), seed=4).arenas.arrays
    for kind in uncached:
        np.testing.assert_array_equal(third[kind], uncached[kind])


def test_kernels_load_numba_without_scipy_linalg() -> None:
    script = """
import json, sys
import numpy as np
import neurocontrol.core.kernels
from numba import njit
before = "scipy.linalg" in sys.modules

@njit
def convolve(a, b):
    return np.convolve(a, b)

@njit
def dot(a, b):
    return np.dot(a, b)

a, b = np.arange(4.0), np.array([1.0, -2.0, 0.5])
print(json.dumps([before, convolve(a, b).tolist(), np.convolve(a, b).tolist(),
                  float(dot(a, a)), float(a @ a)]))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    before, ours, reference, dot, dot_reference = json.loads(out.strip().splitlines()[-1])
    assert before is False
    assert ours == reference
    assert dot == dot_reference
