from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.fileio import atomic_path, atomic_write, atomic_write_text


def test_atomic_write_replaces_whole_file(tmp_path) -> None:
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as handle:
        handle.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_works_with_numpy_writers(tmp_path) -> None:
    target = tmp_path / "arrays.npz"
    with atomic_path(target, suffix=".npz") as tmp:
        np.savez(tmp, x=np.arange(3))
    with np.load(target) as data:
        np.testing.assert_array_equal(data["x"], [0, 1, 2])


def test_atomic_write_rejects_append_mode(tmp_path) -> None:
    with (
        pytest.raises(ValueError, match="mode must be 'w' or 'wb'"),
        atomic_write(tmp_path / "x", "a"),
    ):
        pass
