"""Checkpoints: bit-identical continuation, refusal of truncated or mismatched files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.core.checkpoint import load, load_simulator, save, save_simulator
from neurocontrol.core.model import (
    LIF,
    AllToAll,
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
from neurocontrol.errors import CheckpointError


def make_network(feedforward: object = None) -> Network:
    """Plastic input (dense by default; sparse: stored post-major) and static recurrence."""
    source = Input(30, name="source")
    hidden = Population(60, LIF(noise_sigma=0.05, tau_syn=0.005), name="hidden")
    plastic = Projection(
        source, hidden, feedforward or AllToAll(), Uniform(0, 0.3), rule=PairSTDP(w_max=0.3)
    )
    return Network(
        [source, hidden],
        [
            plastic,
            Projection(hidden, hidden, FixedProbability(0.1), Normal(0, 0.05), delay=2),
        ],
    )


def drive(sim: Simulator, steps: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raster = []
    for _ in range(steps):
        raster.append(sim.step(rng.random(30) < 0.1).copy())
    return np.array(raster)


@pytest.mark.parametrize(
    "feedforward", [AllToAll(), FixedProbability(0.4)], ids=["dense", "sparse"]
)
def test_loaded_simulator_continues_bit_identically(tmp_path, feedforward):
    reference = Simulator(make_network(feedforward), seed=5)
    drive(reference, 300, seed=1)
    save_simulator(tmp_path / "ckpt", reference, extra={"episode": 3})
    expected = drive(reference, 1000, seed=2)
    restored = load_simulator(tmp_path / "ckpt")
    assert restored.n_steps == 300
    got = drive(restored, 1000, seed=2)
    assert expected.sum() > 100
    np.testing.assert_array_equal(got, expected)
    for key in ("hidden.v", "source_to_hidden.weights", "hidden_to_hidden.weights"):
        np.testing.assert_array_equal(restored.state[key], reference.state[key])
    config, _ = load(tmp_path / "ckpt", kind="simulator")
    assert config["extra"] == {"episode": 3}


def test_generic_save_load_roundtrip(tmp_path):
    arrays = {"decoder": np.arange(6.0).reshape(2, 3), "counts": np.array([1, 2], np.int32)}
    save(tmp_path / "agent", {"alpha": 0.5}, arrays, kind="agent")
    config, loaded = load(tmp_path / "agent", kind="agent")
    assert config == {"alpha": 0.5}
    np.testing.assert_array_equal(loaded["decoder"], arrays["decoder"])
    with pytest.raises(CheckpointError, match="not 'simulator'"):
        load(tmp_path / "agent", kind="simulator")


def test_truncated_checkpoint_is_refused(tmp_path):
    sim = Simulator(make_network(), seed=5)
    save_simulator(tmp_path / "ckpt", sim)
    (npz,) = tmp_path.glob("ckpt.*.npz")
    npz.write_bytes(npz.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="truncated"):
        load_simulator(tmp_path / "ckpt")


def test_wrong_version_and_missing_files_are_refused(tmp_path):
    sim = Simulator(make_network(), seed=5)
    save_simulator(tmp_path / "ckpt", sim)
    header = json.loads((tmp_path / "ckpt.json").read_text())
    header["format_version"] = 99
    (tmp_path / "ckpt.json").write_text(json.dumps(header))
    with pytest.raises(CheckpointError, match="format version 99"):
        load_simulator(tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match="missing"):
        load_simulator(tmp_path / "nothing")


def test_mismatched_state_is_refused(tmp_path):
    sim = Simulator(make_network(), seed=5)
    other = Simulator(Network([Input(3, name="a"), Population(2, LIF(), name="b")]), seed=5)
    save_simulator(tmp_path / "ckpt", sim)
    config, arrays = load(tmp_path / "ckpt", kind="simulator")
    arrays["state/neurons.v"] = other.state_dict()["neurons.v"]
    save(tmp_path / "bad", config, arrays, kind="simulator")
    with pytest.raises(
        CheckpointError, match=r"state does not match its network: .*'neurons\.v' must have shape"
    ):
        load_simulator(tmp_path / "bad")
    del arrays["state/neurons.v"]
    save(tmp_path / "bad", config, arrays, kind="simulator")
    with pytest.raises(CheckpointError, match=r"missing keys \['neurons\.v'\]"):
        load_simulator(tmp_path / "bad")
    arrays.update({f"state/{k}": v for k, v in other.state_dict().items()})
    save(tmp_path / "bad", config, arrays, kind="simulator")
    with pytest.raises(CheckpointError, match=r"different network structure"):
        load_simulator(tmp_path / "bad")


@pytest.mark.parametrize(
    ("version", "why"),
    [
        (1, r"simulator state stored as raw arenas.*"),
        (2, r"sparse pair-STDP weights stored by presynaptic neuron; re-create the checkpoint\)"),
        (3, r"static sparse projection indices stored as int32; re-create the checkpoint\)"),
        (4, r"post-major presynaptic indices stored as int32; re-create the checkpoint\)"),
        (5, r"written before networks counted their operations .*; re-create the checkpoint\)"),
    ],
)
def test_a_checkpoint_of_an_earlier_format_is_refused_with_why(tmp_path, version, why):
    sim = Simulator(make_network(), seed=5)
    save_simulator(tmp_path / "ckpt", sim)
    header = json.loads((tmp_path / "ckpt.json").read_text())
    header["format_version"] = version
    (tmp_path / "ckpt.json").write_text(json.dumps(header))
    with pytest.raises(
        CheckpointError,
        match=rf"format version {version} \({why}; this version reads format versions 6 and 7$",
    ):
        load_simulator(tmp_path / "ckpt")
