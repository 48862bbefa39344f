"""check_state: every way a state dict can be wrong is refused, naming owner, key and values."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.errors import CheckpointError
from neurocontrol.statedict import check_state


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
