"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

A new file is written under a random hidden name in the target's directory
(``.<target name>.<16 hex digits>.tmp<suffix>``), fsynced, then renamed over
the target with ``os.replace`` (atomic on POSIX and Windows); on POSIX the
directory is fsynced as well, so that the rename itself survives a power
loss. On any error the temporary file is removed and the target is
untouched.

The temporary file is created with mode ``0o666`` less the umask, as
``open`` creates a file, so outputs get the user's normal permissions
(``tempfile.mkstemp`` would leave every output readable by its owner only).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_path",
    "atomic_write",
    "atomic_write_text",
    "leftover_temporaries",
    "publish",
    "staged_path",
]

#: Random names drawn before giving up (a collision needs two equal 64-bit draws).
_NAME_ATTEMPTS = 100
_CREATE_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
#: Errors of filesystems that cannot fsync a directory (a rename is as durable as they allow).
_NO_DIRECTORY_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def _random_tag() -> str:
    return secrets.token_hex(8)


def _temporary_pattern(path: Path, suffix: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(path.name)}\.[0-9a-f]{{16}}\.tmp{re.escape(suffix)}$")


def _create_temporary(path: Path, suffix: str) -> Path:
    """Create a new empty file named for ``path`` in its directory; the kernel applies the umask."""
    attempts = 0
    while True:
        candidate = path.with_name(f".{path.name}.{_random_tag()}.tmp{suffix}")
        try:
            fd = os.open(candidate, _CREATE_FLAGS, 0o666)
        except FileExistsError:
            attempts += 1
            if attempts == _NAME_ATTEMPTS:
                raise
            continue
        os.close(fd)
        return candidate


def _fsync_file(path: Path) -> None:
    # POSIX syncs a file through any descriptor; Windows wants one open for writing.
    fd = os.open(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return  # a rename is durable once it returns there
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIRECTORY_SYNC:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a new empty temporary file beside ``path``; it is removed unless published.

    For a file whose final name is known only once it is written (it is then
    moved with :func:`publish`). The file is named after ``path``
    (``.<name>.<16 hex digits>.tmp<suffix>``), so a writer that was killed
    leaves names :func:`leftover_temporaries` finds.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temporary(path, suffix)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def publish(tmp: str | Path, path: str | Path) -> None:
    """Fsync ``tmp``, rename it over ``path`` atomically, then fsync the directory (POSIX)."""
    tmp, path = Path(tmp), Path(path)
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def leftover_temporaries(path: str | Path, suffix: str = "") -> list[Path]:
    """Temporary files of ``path`` (as :func:`staged_path` names them) still on disk.

    Only a writer that died before it finished leaves one; while a writer
    runs, its own temporary file is listed too.
    """
    path = Path(path)
    pattern = _temporary_pattern(path, suffix)
    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.iterdir() if pattern.match(p.name))


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    For writers that want a file name rather than a file object
    (``numpy.savez``, ``matplotlib.savefig``). ``suffix`` keeps an extension
    such writers look at.
    """
    with staged_path(path, suffix) as tmp:
        yield tmp
        publish(tmp, path)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``path`` when the block succeeds."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as tmp, open(tmp, mode, **open_kwargs) as handle:
        yield handle


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
