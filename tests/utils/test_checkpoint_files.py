"""Checkpoint files: one commit point per save, stale files removed, hashed headers, format 6 read.

The saves killed here are real processes killed with SIGKILL at a chosen
call of the save (a profile hook in the writer sends the signal), so each
moment of a save is checked: before the header is replaced the previous
checkpoint loads, after it the new one; never neither.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurocontrol.core.checkpoint import FORMAT_VERSION, load, save
from neurocontrol.errors import CheckpointError

DATA = Path(__file__).parents[1] / "data"


def _arrays(generation: int) -> dict[str, np.ndarray]:
    return {
        "weights": np.random.default_rng(generation).standard_normal((64, 64)),
        "generation": np.array([generation], dtype=np.int64),
    }


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _arrays_file(base: Path) -> Path:
    header = json.loads(base.with_name(base.name + ".json").read_text())
    return base.with_name(f"{base.name}.{header['generation']}.npz")


def _rehash(header: dict) -> dict:
    """The header with its own hash recomputed: SHA-256 of the canonical JSON of its fields."""
    fields = {key: value for key, value in header.items() if key != "header_sha256"}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return {**fields, "header_sha256": hashlib.sha256(text.encode("ascii")).hexdigest()}


def _edit_header(base: Path, rehash: bool = True, drop: str | None = None, **changes) -> None:
    header_path = base.with_name(base.name + ".json")
    header = {**json.loads(header_path.read_text()), **changes}
    if drop is not None:
        del header[drop]
    header_path.write_text(json.dumps(_rehash(header) if rehash else header))


def _loaded_generation(base: Path) -> int:
    config, arrays = load(base, kind="test")
    np.testing.assert_array_equal(arrays["weights"], _arrays(config["generation"])["weights"])
    return config["generation"]


def test_a_checkpoint_is_a_header_and_arrays_named_by_their_hash(tmp_path):
    base = tmp_path / "ckpt"
    save(base, {"generation": 0}, _arrays(0), kind="test")
    header = json.loads((tmp_path / "ckpt.json").read_text())
    digest = hashlib.sha256(_arrays_file(base).read_bytes()).hexdigest()
    assert header["format_version"] == FORMAT_VERSION == 7
    assert header["npz_sha256"] == digest and header["generation"] == digest[:16]
    assert _files(tmp_path) == sorted(["ckpt.json", f"ckpt.{digest[:16]}.npz"])
    assert header == _rehash(header)
    assert _loaded_generation(base) == 0


def test_later_saves_remove_earlier_generations_and_leftovers_only(tmp_path):
    base = tmp_path / "ckpt"
    save(tmp_path / "ckpt.best", {"generation": 9}, _arrays(9), kind="test")
    sibling_files = _files(tmp_path)
    # a format-6 checkpoint whose name looks like a generation file of "ckpt"
    lookalike = "ckpt.0123456789abcdef"
    shutil.copy(DATA / "adaptive_spiking_format6.json", tmp_path / f"{lookalike}.json")
    shutil.copy(DATA / "adaptive_spiking_format6.npz", tmp_path / f"{lookalike}.npz")
    # temporary files a killed save of "ckpt" leaves, and one of "ckpt.best" in progress
    (tmp_path / ".ckpt.aaaaaaaaaaaaaaaa.tmp.npz").write_bytes(b"half")
    (tmp_path / ".ckpt.json.bbbbbbbbbbbbbbbb.tmp").write_text("half")
    (tmp_path / ".ckpt.best.cccccccccccccccc.tmp.npz").write_bytes(b"half")
    for generation in range(3):
        save(base, {"generation": generation}, _arrays(generation), kind="test")
        assert len(list(tmp_path.glob("ckpt.????????????????.npz"))) == 2  # its own + lookalike
    save(base, {"generation": 2}, _arrays(2), kind="test")  # the same arrays again
    assert _loaded_generation(base) == 2
    assert set(_files(tmp_path)) == {
        *sibling_files,
        "ckpt.json",
        _arrays_file(base).name,
        f"{lookalike}.json",
        f"{lookalike}.npz",
        ".ckpt.best.cccccccccccccccc.tmp.npz",
    }
    assert load(tmp_path / "ckpt.best", kind="test")[0] == {"generation": 9}
    load(tmp_path / lookalike, kind="agent")


def test_saving_over_a_format_6_checkpoint_removes_its_arrays(tmp_path):
    for suffix in (".json", ".npz"):
        shutil.copy(DATA / f"adaptive_spiking_format6{suffix}", tmp_path / f"old{suffix}")
    config, arrays = load(tmp_path / "old", kind="agent")
    assert json.loads((tmp_path / "old.json").read_text())["format_version"] == 6
    save(tmp_path / "old", config, arrays, kind="agent")
    assert _files(tmp_path) == sorted(["old.json", _arrays_file(tmp_path / "old").name])
    config7, arrays7 = load(tmp_path / "old", kind="agent")
    assert config7 == config and arrays7.keys() == arrays.keys()
    for name, array in arrays.items():
        np.testing.assert_array_equal(arrays7[name], array)


def test_checkpoint_files_get_the_users_normal_permissions(tmp_path, umask):
    save(tmp_path / "ckpt", {"generation": 0}, _arrays(0), kind="test")
    for file in tmp_path.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file.name


_KILLED_WRITER = """
import os, signal, sys
import numpy as np
from neurocontrol.core import checkpoint

path, target, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
arrays = {
    "weights": np.random.default_rng(1).standard_normal((64, 64)),
    "generation": np.array([1], dtype=np.int64),
}
calls = 0

def kill_at_target(frame, event, arg):
    global calls
    if event == "call":
        name = frame.f_code.co_name
    elif event == "c_call":
        name = f"{getattr(arg, '__module__', None)}.{getattr(arg, '__name__', '')}"
    else:
        return
    if name == target:
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)

sys.setprofile(kill_at_target)
checkpoint.save(path, {"generation": 1}, arrays, kind="test")
sys.setprofile(None)
"""

# (function or builtin called during the save, which call of it, the generation that loads)
_KILL_POINTS = [
    ("savez", 1, 0),  # writing the arrays
    ("_file_sha256", 1, 0),  # hashing them
    ("posix.replace", 1, 0),  # renaming the arrays to their generation
    ("atomic_write_text", 1, 0),  # the arrays in place, the header not yet written
    ("posix.replace", 2, 0),  # the new header written, not yet renamed
    ("_fsync_directory", 2, 1),  # the header renamed: the commit point passed
    ("_remove_stale_files", 1, 1),  # removing the stale files
]


@pytest.mark.parametrize(
    ("target", "nth", "loads"), _KILL_POINTS, ids=[f"{t}-{n}" for t, n, _ in _KILL_POINTS]
)
def test_a_save_killed_at_any_moment_leaves_a_loadable_checkpoint(tmp_path, target, nth, loads):
    base = tmp_path / "ckpt"
    save(base, {"generation": 0}, _arrays(0), kind="test")
    writer = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(base), target, str(nth)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert writer.returncode == -9, writer.stderr  # killed where it was meant to be
    assert _loaded_generation(base) == loads
    save(base, {"generation": 2}, _arrays(2), kind="test")  # the next save tidies up
    assert _files(tmp_path) == sorted(["ckpt.json", _arrays_file(base).name])
    assert _loaded_generation(base) == 2


def test_a_save_that_cannot_start_writes_nothing(tmp_path):
    save(tmp_path / "ckpt", {"generation": 0}, _arrays(0), kind="test")
    before = _files(tmp_path)
    with pytest.raises(CheckpointError, match=r"config of checkpoint .* is not JSON data"):
        save(tmp_path / "ckpt", {"generation": object()}, _arrays(1), kind="test")
    with pytest.raises(CheckpointError, match=r"array 'bad' has dtype object"):
        save(tmp_path / "ckpt", {}, {"bad": np.array([None])}, kind="test")
    assert _files(tmp_path) == before
    assert _loaded_generation(tmp_path / "ckpt") == 0


@pytest.fixture
def saved(tmp_path) -> Path:
    base = tmp_path / "ckpt"
    save(base, {"generation": 0, "rate": 0.5}, _arrays(0), kind="test")
    return base


@pytest.mark.parametrize(
    "change",
    [
        {"config": {"generation": 0, "rate": 0.6}},
        {"kind": "other"},
        {"generation": "0" * 16},
        {"header_sha256": "0" * 64},
    ],
    ids=["config", "kind", "generation", "own hash"],
)
def test_an_edited_header_is_refused(saved, change):
    _edit_header(saved, rehash=False, **change)
    with pytest.raises(CheckpointError, match=r"ckpt\.json was changed after it was saved"):
        load(saved, kind="test")


def test_a_header_without_its_hash_is_refused(saved):
    _edit_header(saved, rehash=False, drop="header_sha256")
    with pytest.raises(
        CheckpointError,
        match=r"was changed after it was saved: its fields do not match its header_sha256",
    ):
        load(saved, kind="test")


@pytest.mark.parametrize(
    "generation", ["../x", "/tmp/x", "sub/0123456789abcdef", "..\\x", ".."], ids=repr
)
def test_a_header_naming_arrays_outside_its_folder_is_refused(saved, generation):
    _edit_header(saved, generation=generation)
    with pytest.raises(
        CheckpointError,
        match=r"names arrays outside the checkpoint's folder \(generation "
        + re.escape(repr(generation)),
    ):
        load(saved, kind="test")


@pytest.mark.parametrize("generation", ["xyz", "0123456789ABCDEF", "0" * 15, 7, None], ids=repr)
def test_a_malformed_generation_is_refused(saved, generation):
    _edit_header(saved, generation=generation)
    with pytest.raises(
        CheckpointError, match=r"has a malformed generation .*: expected 16 lowercase hex digits"
    ):
        load(saved, kind="test")


def test_a_generation_that_is_not_the_hash_of_its_arrays_is_refused(saved):
    _edit_header(saved, generation="0123456789abcdef")
    with pytest.raises(
        CheckpointError, match=r"generation '0123456789abcdef', which is not the start of its"
    ):
        load(saved, kind="test")


@pytest.mark.parametrize("digest", ["abc", 5, "G" * 64], ids=repr)
def test_a_malformed_arrays_hash_is_refused(saved, digest):
    _edit_header(saved, npz_sha256=digest)
    with pytest.raises(CheckpointError, match=r"malformed npz_sha256 .*: expected 64 lowercase"):
        load(saved, kind="test")


def test_a_header_without_a_field_is_refused(saved):
    _edit_header(saved, drop="config")
    with pytest.raises(CheckpointError, match=r"is a format-7 header without \['config'\]"):
        load(saved, kind="test")


def test_missing_arrays_named_by_the_header_are_refused(saved):
    arrays = _arrays_file(saved)
    arrays.unlink()
    with pytest.raises(
        CheckpointError, match=rf"{arrays.name}, the arrays .*ckpt\.json names, is missing"
    ):
        load(saved, kind="test")


def test_arrays_that_cannot_be_read_are_refused(saved):
    arrays = _arrays_file(saved)
    arrays.unlink()
    arrays.mkdir()
    with pytest.raises(CheckpointError, match=rf"cannot read .*{arrays.name}: "):
        load(saved, kind="test")


def test_arrays_that_do_not_match_their_hash_are_refused(saved):
    arrays = _arrays_file(saved)
    data = bytearray(arrays.read_bytes())
    data[len(data) // 2] ^= 0xFF
    arrays.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"does not match its header \(truncated, or from"):
        load(saved, kind="test")


def test_a_truncated_archive_with_a_matching_header_is_refused(saved):
    """Hashes made to agree with a truncated archive: the archive itself is refused."""
    old = _arrays_file(saved)
    data = old.read_bytes()[:-200]
    digest = hashlib.sha256(data).hexdigest()
    old.unlink()
    saved.with_name(f"ckpt.{digest[:16]}.npz").write_bytes(data)
    _edit_header(saved, generation=digest[:16], npz_sha256=digest)
    with pytest.raises(CheckpointError, match=rf"cannot read .*ckpt\.{digest[:16]}\.npz: "):
        load(saved, kind="test")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"is not a valid checkpoint header"),
        ('{"magic": "other"}', r"is not a neurocontrol checkpoint"),
        (
            '{"magic": "neurocontrol-checkpoint", "format_version": "7"}',
            r"has format version '7'; this version reads format versions 6 and 7$",
        ),
        (
            '{"magic": "neurocontrol-checkpoint", "format_version": 8}',
            r"has format version 8; this version reads format versions 6 and 7$",
        ),
    ],
    ids=["not json", "magic", "version as text", "newer version"],
)
def test_a_header_that_is_not_one_is_refused(saved, text, message):
    saved.with_name("ckpt.json").write_text(text)
    with pytest.raises(CheckpointError, match=message):
        load(saved, kind="test")


def test_missing_files_of_a_format_6_checkpoint_are_refused(tmp_path):
    shutil.copy(DATA / "adaptive_spiking_format6.json", tmp_path / "old.json")
    with pytest.raises(
        CheckpointError, match=r"old\.npz, the arrays .*old\.json names, is missing"
    ):
        load(tmp_path / "old", kind="agent")
    with pytest.raises(CheckpointError, match=r"checkpoint file .*nothing\.json is missing"):
        load(tmp_path / "nothing", kind="agent")
    with pytest.raises(CheckpointError, match=r"holds a 'agent' checkpoint, not 'simulator'"):
        load(tmp_path / "old", kind="simulator")


def test_a_header_that_cannot_be_read_is_refused(tmp_path):
    (tmp_path / "ckpt.json").mkdir()
    with pytest.raises(CheckpointError, match=r"cannot read checkpoint header .*ckpt\.json"):
        load(tmp_path / "ckpt", kind="test")
    assert os.path.isdir(tmp_path / "ckpt.json")
