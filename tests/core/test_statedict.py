"""check_state refuses every bad entry; Stateful composes parts by prefix, all or nothing."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.decoding import FilteredSpikeDecoder
from neurocontrol.core.encoding import PoissonEncoder, SendOnDeltaEncoder
from neurocontrol.core.model import LIF, AllToAll, Input, Network, PairSTDP, Population, Projection
from neurocontrol.core.simulator import Simulator
from neurocontrol.core.statedict import Stateful, check_state
from neurocontrol.errors import CheckpointError


def targets() -> dict[str, np.ndarray]:
    return {
        "v": np.zeros(4),
        "count": np.zeros(3, dtype=np.int64),
        "bounds": np.array([-np.inf, np.inf]),
    }


def good() -> dict[str, np.ndarray]:
    return {
        "v": np.arange(4.0),
        "count": np.arange(3, dtype=np.int64),
        "bounds": np.array([-1.0, 1.0]),
    }


def test_a_fitting_state_passes_and_changes_nothing():
    live, state = targets(), good()
    check_state("Owner", live, state)
    assert not np.any(live["v"]) and state["v"][3] == 3.0


def test_not_a_mapping_is_refused():
    with pytest.raises(
        CheckpointError, match=r"^Owner state dict must be a mapping of arrays, got list$"
    ):
        check_state("Owner", targets(), list(good().values()))


def test_missing_and_unexpected_keys_are_listed_sorted():
    state = good()
    del state["v"], state["bounds"]
    state["w"] = np.zeros(1)
    state["a"] = np.zeros(1)
    with pytest.raises(
        CheckpointError,
        match=r"^Owner state dict does not match: missing keys \['bounds', 'v'\], "
        r"unexpected keys \['a', 'w'\]$",
    ):
        check_state("Owner", targets(), state)


def test_only_missing_or_only_unexpected_keys():
    with pytest.raises(CheckpointError, match=r"missing keys \['count'\], unexpected keys \[\]"):
        check_state("Owner", targets(), {k: v for k, v in good().items() if k != "count"})
    with pytest.raises(CheckpointError, match=r"missing keys \[\], unexpected keys \['x'\]"):
        check_state("Owner", targets(), {**good(), "x": np.zeros(1)})


def test_long_key_lists_are_cut_short():
    live = {f"k{i:02d}": np.zeros(1) for i in range(20)}
    with pytest.raises(
        CheckpointError,
        match=r"missing keys \['k00', 'k01', 'k02', 'k03', 'k04', 'k05', 'k06', 'k07'\] "
        r"and 12 more, unexpected keys \[\]$",
    ):
        check_state("Owner", live, {})


def test_non_string_keys_are_unexpected_keys():
    with pytest.raises(CheckpointError, match=r"unexpected keys \['7'\]"):
        check_state("Owner", targets(), {**good(), 7: np.zeros(1)})


def test_a_value_that_is_not_an_array_is_refused():
    with pytest.raises(
        CheckpointError,
        match=r"^Owner state dict entry 'v' must be an array of shape \(4,\) and dtype float64, "
        r"got list$",
    ):
        check_state("Owner", targets(), {**good(), "v": [0.0, 1.0, 2.0, 3.0]})


def test_wrong_shape_is_refused():
    with pytest.raises(
        CheckpointError,
        match=r"^Owner state dict entry 'count' must have shape \(3,\) and dtype int64, "
        r"got shape \(2, 3\) and dtype int64$",
    ):
        check_state("Owner", targets(), {**good(), "count": np.zeros((2, 3), dtype=np.int64)})


def test_wrong_dtype_is_refused():
    with pytest.raises(
        CheckpointError,
        match=r"'v' must have shape \(4,\) and dtype float64, got shape \(4,\) and dtype float32$",
    ):
        check_state("Owner", targets(), {**good(), "v": np.zeros(4, dtype=np.float32)})


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(bad):
    v = np.arange(4.0)
    v[[1, 3]] = bad
    with pytest.raises(
        CheckpointError, match=r"^Owner state dict entry 'v' must hold no NaN or inf, got 2 NaN"
    ):
        check_state("Owner", targets(), {**good(), "v": v})


def test_allowed_entries_may_hold_inf_but_never_nan():
    state = {**good(), "bounds": np.array([-np.inf, np.inf])}
    with pytest.raises(CheckpointError, match=r"'bounds' must hold no NaN or inf, got 2"):
        check_state("Owner", targets(), state)
    check_state("Owner", targets(), state, allow_inf={"bounds"})
    state["bounds"] = np.array([np.nan, np.inf])
    with pytest.raises(CheckpointError, match=r"'bounds' must hold no NaN, got 1 NaN value"):
        check_state("Owner", targets(), state, allow_inf={"bounds"})


def test_integer_entries_need_no_finiteness_check():
    extreme = np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max])
    check_state("Owner", targets(), {**good(), "count": extreme})


# -- the protocol: composites of real simulators, encoders and decoders ---------------------


class Composite(Stateful):
    """An object with one own array (a step counter) made of other stateful objects."""

    def __init__(self, parts: dict[str, Stateful]) -> None:
        self.steps = np.zeros(1, dtype=np.int64)
        self.parts = parts
        self.n_restored = 0

    def state_targets(self) -> dict[str, np.ndarray]:
        return {"steps": self.steps}

    def state_parts(self) -> dict[str, Stateful]:
        return self.parts

    def _restored(self) -> None:
        self.n_restored += 1


def network() -> Network:
    source = Input(5, name="source")
    hidden = Population(8, LIF(noise_sigma=0.05), name="hidden")  # noise: the generator matters
    plastic = Projection(source, hidden, AllToAll(), 0.6, rule=PairSTDP(w_max=1.0), name="ff")
    return Network([source, hidden], [plastic])


def tree() -> Composite:
    """Composites of composites: an agent-like left part, an encoder-decoder right part."""
    left = Composite({"snn": Simulator(network(), seed=3), "afferents": PoissonEncoder(5, seed=1)})
    right = Composite(
        {
            "crossings": SendOnDeltaEncoder(2, 0.05),
            "decoder": FilteredSpikeDecoder(8, 2, decoders=np.full((8, 2), 0.1)),
        }
    )
    return Composite({"left": left, "right": right})


def run(root: Composite, steps: int, seed: int) -> np.ndarray:
    """Drive every part of ``tree()``; what each step produced, as one row."""
    left, right = root.parts["left"], root.parts["right"]
    sim, afferents = left.parts["snn"], left.parts["afferents"]
    crossings, decoder = right.parts["crossings"], right.parts["decoder"]
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(steps):
        events = afferents.encode(rng.uniform(100.0, 400.0, 5))
        spikes = sim.step(events)[5:]
        value = decoder.decode(spikes)
        levels = crossings.encode(np.cumsum(rng.normal(0.0, 0.05, 2)))
        for part in (root, left, right):
            part.steps[0] += 1
        rows.append(np.concatenate([events, spikes, value, levels]))
    return np.array(rows, dtype=np.float64)


def test_prefixes_are_applied_at_every_depth():
    state = tree().state_dict()
    assert {
        "steps",
        "left.steps",
        "left.snn.neurons.v",
        "left.snn.simulator.structure",
        "left.afferents.rng_state",
        "right.steps",
        "right.crossings.origin",
        "right.decoder.decoders",
        "right.decoder.filtered",
    } <= set(state)
    sim_keys = Simulator(network(), seed=3).state_dict()
    assert {key[len("left.snn.") :] for key in state if key.startswith("left.snn.")} == set(
        sim_keys
    )


def test_a_composite_of_composites_continues_bit_identically():
    original = tree()
    run(original, 200, seed=1)
    saved = original.state_dict()
    continued = run(original, 300, seed=2)
    assert continued[:, :5].any() and continued[:, 5:13].any()  # input and hidden spikes
    restored = tree()
    restored.load_state_dict(saved)
    np.testing.assert_array_equal(run(restored, 300, seed=2), continued)
    final = original.state_dict()
    for key, value in restored.state_dict().items():
        np.testing.assert_array_equal(value, final[key], err_msg=key)
    assert (restored.n_restored, restored.parts["left"].n_restored) == (1, 1)


def test_state_dict_snapshots_generators_and_holds_copies():
    root = tree()
    run(root, 50, seed=1)
    state = root.state_dict()
    assert state["left.afferents.rng_state"].any()  # the generator's words, not the zeros
    state["left.snn.neurons.v"][:] = 9.0
    state["steps"][0] = -1
    assert not np.any(root.parts["left"].parts["snn"].state["hidden.v"] == 9.0)
    assert root.steps[0] == 50


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        (
            "right.decoder.filtered",
            np.full(8, np.nan),
            r"^Composite part 'right': Composite part 'decoder': FilteredSpikeDecoder state dict "
            r"entry 'filtered' must hold no NaN or inf, got 8 NaN or inf value\(s\)$",
        ),
        (
            "left.snn.neurons.v",
            np.zeros(3),
            r"^Composite part 'left': Composite part 'snn': Simulator state dict entry "
            r"'neurons\.v' must have shape \(13,\) and dtype float64, got shape \(3,\)",
        ),
        (
            "left.snn.simulator.structure",
            np.zeros(32, dtype=np.uint8),
            r"^Composite part 'left': Composite part 'snn': Simulator state dict is from a "
            r"different network structure",
        ),
        (
            "left.afferents.rng_state",
            np.zeros(6, dtype=np.int64),
            r"part 'afferents': PoissonEncoder state dict entry 'rng_state' must have shape "
            r"\(6,\) and dtype uint64, got shape \(6,\) and dtype int64$",
        ),
        (
            "left.steps",
            [3],
            r"^Composite part 'left': Composite state dict entry 'steps' must be an array",
        ),
    ],
)
def test_a_bad_entry_deep_in_one_part_changes_no_part(key, bad, message):
    root, donor = tree(), tree()
    run(root, 100, seed=1)
    run(donor, 150, seed=3)
    before = root.state_dict()
    # every other entry differs from the live state: a partial load would show anywhere
    state = {**donor.state_dict(), key: bad}
    with pytest.raises(CheckpointError, match=message):
        root.load_state_dict(state)
    with pytest.raises(CheckpointError, match=message):
        root.check_state_dict(state)
    for name, value in root.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    assert root.n_restored == root.parts["left"].n_restored == 0


def test_missing_and_stray_keys_of_a_part_are_named_with_its_prefix():
    root = tree()
    state = root.state_dict()
    without_snn = {k: v for k, v in state.items() if not k.startswith("left.snn.")}
    with pytest.raises(
        CheckpointError,
        match=r"^Composite part 'left': Composite part 'snn': Simulator state dict does not "
        r"match: missing keys \[.*\] and \d+ more, unexpected keys \[\]$",
    ):
        root.load_state_dict(without_snn)
    with pytest.raises(
        CheckpointError,
        match=r"^Composite part 'right': Composite state dict does not match: missing keys "
        r"\[\], unexpected keys \['extra'\]$",
    ):
        root.load_state_dict({**state, "right.extra": np.zeros(1)})
    with pytest.raises(
        CheckpointError,
        match=r"^Composite state dict does not match: missing keys \[\], "
        r"unexpected keys \['other\.steps'\]$",
    ):
        root.load_state_dict({**state, "other.steps": np.zeros(1, dtype=np.int64)})
    with pytest.raises(
        CheckpointError, match=r"^Composite state dict must be a mapping of arrays, got tuple$"
    ):
        root.load_state_dict(tuple(state.items()))
