"""config() / state_dict() / load_state_dict(): JSON + .npz round trips continue bit-identically."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.core.decoding import FilteredSpikeDecoder, LinearDecoder
from neurocontrol.core.encoding import (
    GaussianPopulationEncoder,
    NEFEncoder,
    PoissonEncoder,
    SendOnDeltaEncoder,
    TactileEncoder,
)
from neurocontrol.errors import CheckpointError, ConfigError


def _inputs(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "spikes":
        return rng.random(n) < 0.1
    if kind == "rates":
        return rng.uniform(0, 300, n)
    if kind == "force":
        return np.abs(rng.normal(1.0, 0.8, n))
    return rng.normal(scale=0.5, size=n)


CASES = {
    "send_on_delta": (lambda: SendOnDeltaEncoder(4, [0.01, 0.01, 0.1, 0.1],
                                                 max_events_per_step=4), "signal", 4),
    "gaussian_bernoulli": (lambda: GaussianPopulationEncoder(
        4, -1, 1, 20, mode="bernoulli", max_rate=300.0, seed=1), "signal", 4),
    "gaussian_poisson": (lambda: GaussianPopulationEncoder(
        2, [-1, -3], [1, 3], 8, mode="poisson", max_rate=2000.0, seed=2), "signal", 2),
    "gaussian_current": (lambda: GaussianPopulationEncoder(2, -1, 1, 8), "signal", 2),
    "poisson": (lambda: PoissonEncoder(30, seed=3), "rates", 30),
    "nef": (lambda: NEFEncoder(100, 4, radius=[1, 1, 5, 5], seed=4), "signal", 4),
    "tactile": (lambda: TactileEncoder(3, 1.0, 0.5, [2.0, 3.0, 4.0], seed=5), "force", 3),
    "filtered_decoder": (lambda: FilteredSpikeDecoder(
        50, 7, tau=0.03, decoders=np.random.default_rng(0).normal(size=(50, 7)) * 0.01,
        output_scale=0.5), "spikes", 50),
    "linear_decoder": (lambda: LinearDecoder(
        30, 2, decoders=np.random.default_rng(1).normal(size=(30, 2)) * 1e-4), "rates", 30),
}  # fmt: skip


def _step(coder, x):
    return coder.decode(x) if hasattr(coder, "decode") else coder.encode(x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_save_load_continues_bit_identically(name, tmp_path):
    make, kind, n = CASES[name]
    original = make()
    rng = np.random.default_rng(42)
    for _ in range(300):
        _step(original, _inputs(kind, rng, n))
    if isinstance(original, LinearDecoder):  # learned in place, as PES would
        original.decoders += 1e-5
    config = json.loads(json.dumps(original.config()))
    np.savez(tmp_path / "state.npz", **original.state_dict())
    with np.load(tmp_path / "state.npz", allow_pickle=False) as data:
        state = {key: data[key] for key in data.files}
    restored = type(original).from_config(config)
    restored.load_state_dict(state)
    inputs = [_inputs(kind, rng, n) for _ in range(1000)]
    want = np.array([_step(original, x).copy() for x in inputs])
    got = np.array([_step(restored, x).copy() for x in inputs])
    np.testing.assert_array_equal(got, want)
    assert want.std() > 0  # the outputs moved: the comparison is not vacuous


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_is_a_copy(name):
    make, kind, n = CASES[name]
    coder = make()
    state = coder.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    before = {k: v.copy() for k, v in state.items()}
    for _ in range(50):
        _step(coder, _inputs(kind, np.random.default_rng(0), n))
    for key, value in state.items():
        np.testing.assert_array_equal(value, before[key])


def test_bad_state_is_refused_and_nothing_changes():
    dec = FilteredSpikeDecoder(5, 2, decoders=np.ones((5, 2)))
    dec.decode(np.ones(5, dtype=bool))
    good = dec.state_dict()
    bad_states = {
        r"missing keys \['filtered'\], unexpected keys \[\]": {"decoders": good["decoders"]},
        r"missing keys \[\], unexpected keys \['extra'\]": {**good, "extra": np.zeros(1)},
        r"'filtered' must have shape \(5,\) and dtype float64, got shape \(4,\)": {
            **good,
            "filtered": np.zeros(4),
        },
        r"'filtered' .*dtype float64, got shape \(5,\) and dtype float32": {
            **good,
            "filtered": np.zeros(5, dtype=np.float32),
        },
        "'filtered' must hold no NaN or inf": {**good, "filtered": np.full(5, np.nan)},
    }
    for message, state in bad_states.items():
        with pytest.raises(CheckpointError, match=rf"^FilteredSpikeDecoder state dict .*{message}"):
            dec.load_state_dict({**state, "decoders": np.zeros((5, 2))})
        np.testing.assert_array_equal(dec.decoders, np.ones((5, 2)))
        np.testing.assert_array_equal(dec.activities, good["filtered"])
    with pytest.raises(CheckpointError, match="must be a mapping of arrays, got list"):
        dec.load_state_dict([1, 2])


def test_rng_state_is_checked_and_restored():
    enc = PoissonEncoder(3, seed=0)
    state = enc.state_dict()
    assert state["rng_state"].dtype == np.uint64 and state["rng_state"].shape == (6,)
    with pytest.raises(CheckpointError, match=r"'rng_state' must have shape \(6,\)"):
        enc.load_state_dict({"rng_state": state["rng_state"][:4]})
    rates = np.full(3, 300.0)
    first = np.array([enc.encode(rates).copy() for _ in range(20)])
    enc.reset(seed=9)  # a new generator: the restored words go into it
    enc.load_state_dict(state)
    np.testing.assert_array_equal([enc.encode(rates).copy() for _ in range(20)], first)
    assert first.any() and not first.all()


def test_from_config_rejects_unknown_keys_and_non_mappings():
    config = SendOnDeltaEncoder(2, 0.1).config()
    with pytest.raises(ConfigError, match="SendOnDeltaEncoder config"):
        SendOnDeltaEncoder.from_config({**config, "colour": "red"})
    with pytest.raises(ConfigError, match="must be a mapping"):
        SendOnDeltaEncoder.from_config([("n_signals", 2)])
    with pytest.raises(ConfigError, match=r"delta\[1\] must be a finite number > 0"):
        SendOnDeltaEncoder.from_config({**config, "delta": [0.1, -1.0]})


def test_unseeded_encoder_records_a_reproducible_seed():
    a = GaussianPopulationEncoder(1, -1, 1, 5, mode="bernoulli", max_rate=500.0)
    b = GaussianPopulationEncoder.from_config(json.loads(json.dumps(a.config())))
    x = np.array([0.1])
    np.testing.assert_array_equal(
        [a.encode(x).copy() for _ in range(100)], [b.encode(x).copy() for _ in range(100)]
    )
