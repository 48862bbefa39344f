from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from neurocontrol.utils import fileio
from neurocontrol.utils.fileio import (
    atomic_path,
    atomic_write,
    atomic_write_text,
    leftover_temporaries,
    publish,
    staged_path,
)


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


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_written_files_get_the_users_normal_permissions(tmp_path, umask) -> None:
    text, arrays = tmp_path / "out.txt", tmp_path / "arrays.npz"
    atomic_write_text(text, "x")
    with atomic_path(arrays, suffix=".npz") as tmp:
        np.savez(tmp, x=np.arange(3))
    assert _mode(text) == 0o666 & ~umask
    assert _mode(arrays) == 0o666 & ~umask
    atomic_write_text(text, "replaced")  # a replacement, too
    assert _mode(text) == 0o666 & ~umask


def test_failed_numpy_writer_leaves_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "arrays.npz"
    np.savez(target, x=np.arange(3))
    before = target.read_bytes()
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target, suffix=".npz") as tmp:
        np.savez(tmp, x=np.arange(10**5))
        assert tmp.stat().st_size > 10**5  # really half-written when it fails
        raise RuntimeError("boom")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["arrays.npz"]
    assert leftover_temporaries(target, ".npz") == []


def test_a_taken_temporary_name_is_skipped(tmp_path, monkeypatch) -> None:
    target = tmp_path / "out.txt"
    taken = tmp_path / f".out.txt.{'0' * 16}.tmp"
    taken.write_text("another writer's")
    tags = iter(["0" * 16, "0" * 16, "1" * 16])
    monkeypatch.setattr(fileio, "_random_tag", lambda: next(tags))
    atomic_write_text(target, "mine")
    assert target.read_text() == "mine"
    assert taken.read_text() == "another writer's"
    assert leftover_temporaries(target) == [taken]


def test_staged_file_is_published_under_a_name_chosen_afterwards(tmp_path) -> None:
    stem = tmp_path / "sub" / "data"
    with staged_path(stem, ".bin") as tmp:
        assert tmp.parent == stem.parent and tmp.name.startswith(".data.")
        assert leftover_temporaries(stem, ".bin") == [tmp]
        tmp.write_bytes(b"abc")
        publish(tmp, stem.parent / "data.abc.bin")
    assert (stem.parent / "data.abc.bin").read_bytes() == b"abc"
    assert leftover_temporaries(stem, ".bin") == []
    with pytest.raises(RuntimeError, match="not published"), staged_path(stem, ".bin"):
        raise RuntimeError("not published")
    assert sorted(p.name for p in stem.parent.iterdir()) == ["data.abc.bin"]


def test_no_free_temporary_name_is_an_error(tmp_path, monkeypatch) -> None:
    (tmp_path / f".out.txt.{'0' * 16}.tmp").write_text("another writer's")
    monkeypatch.setattr(fileio, "_random_tag", lambda: "0" * 16)
    with pytest.raises(FileExistsError, match=r"\.out\.txt\.0{16}\.tmp"):
        atomic_write_text(tmp_path / "out.txt", "mine")
    assert not (tmp_path / "out.txt").exists()
