"""A run's directory on disk: ``runs/<name>-<timestamp>/``, and its status.

Everything a run writes goes through :class:`RunDirectory`, atomically:
the resolved config (YAML), metrics tables (CSV), summaries (JSON),
checkpoints and plots, so an interrupted run never leaves a half-written file.

A run directory appears whole: it is assembled under a hidden name (its
``status.json`` and, when given, ``config.yaml``) and renamed into place, so
every run directory has a status. The status says ``running``, ``complete``,
``interrupted`` (stopped by a signal) or ``failed`` (an error, named); a run
whose process died without a word (SIGKILL, power loss) still says
``running`` on disk and is reported as ``stopped`` once its process is gone
(:attr:`RunStatus.effective`). Only ``complete`` runs hold every result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.errors import CheckpointError, ConfigError, ShapeError, StorageError
from neurocontrol.utils.config import dump_yaml
from neurocontrol.utils.fileio import atomic_write, atomic_write_text

__all__ = [
    "RUN_STATES",
    "RunDirectory",
    "RunStatus",
    "check_run_name",
    "prepare_output_folder",
    "read_csv",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
STATUS_FILE = "status.json"
#: What a run's ``status.json`` may say.
RUN_STATES = ("running", "complete", "interrupted", "failed")


def check_run_name(name: Any) -> str:
    """``name`` if it can name a run folder (letters, digits, ``_-.``); else ConfigError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"run name must start with a letter or digit and contain only letters, digits, "
            f"'_', '-', '.'; got {name!r}"
        )
    return name


def prepare_output_folder(root: str | Path) -> Path:
    """Create ``root`` if needed and prove a file can be written in it; return it.

    Called before anything is computed, so a read-only, full or misnamed
    output folder is refused at once (StorageError) rather than after the run.
    """
    root = Path(root)
    where = f"output folder {str(root)!r}"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise StorageError(f"{where} exists and is not a folder; choose a folder") from exc
    except NotADirectoryError as exc:
        raise StorageError(
            f"{where} lies under a file, not a folder ({exc.filename!r}); choose a folder"
        ) from exc
    except OSError as exc:
        raise StorageError(f"cannot create {where}: {exc.strerror}") from exc
    if not root.is_dir():
        raise StorageError(f"{where} exists and is not a folder; choose a folder")
    probe = root / f".write-probe-{secrets.token_hex(6)}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StorageError(f"cannot write in {where}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return root


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """What ``status.json`` says of a run.

    ``done`` and ``total`` count episodes (one per agent and seed);
    ``message`` says why a run stopped; ``config_sha256`` fingerprints the
    ``config.yaml`` it was started with (a resume refuses an edited config).
    """

    state: str
    started: str
    updated: str
    pid: int
    host: str
    done: int = 0
    total: int = 0
    message: str = ""
    config_sha256: str = ""

    @property
    def effective(self) -> str:
        """The state, or ``stopped`` for a ``running`` run whose process is gone.

        A process on another host cannot be checked: its run stays ``running``.
        """
        here = self.host == socket.gethostname()
        if self.state == "running" and here and not _process_alive(self.pid):
            return "stopped"
        return self.state

    @property
    def complete(self) -> bool:
        """True once every result of the run is written."""
        return self.state == "complete"


class RunDirectory:
    """Create ``root/<name>-<YYYYmmdd-HHMMSS>`` (with a numeric suffix if it exists).

    Parameters
    ----------
    name
        Run name: letters, digits, ``_``, ``-``, ``.`` (it becomes a folder name).
    root
        Parent folder, created if needed and checked to be writable.
    config
        The resolved config, written as ``config.yaml`` with the status before
        the directory appears (its fingerprint goes into the status).

    Use :meth:`open` for an existing run directory.
    """

    def __init__(
        self, name: str, root: str | Path = "runs", config: Mapping[str, Any] | None = None
    ) -> None:
        check_run_name(name)
        root = prepare_output_folder(root)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        staging = root / f".{name}-{stamp}.creating-{secrets.token_hex(4)}"
        staging.mkdir()
        self.name, self.path = name, staging
        try:
            config_sha256 = ""
            if config is not None:
                self.write_config(config)
                config_sha256 = self.config_sha256()
            now = _now()
            self._status = RunStatus(
                "running", now, now, os.getpid(), socket.gethostname(), 0, 0, "", config_sha256
            )
            self._write_status()
            self.path = _rename_into_place(staging, root / f"{name}-{stamp}")
        except BaseException as exc:
            _remove_tree(staging)
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise StorageError(
                    f"cannot create a run directory in {str(root)!r}: {exc.strerror or exc}"
                ) from exc
            raise

    @classmethod
    def open(cls, path: str | Path) -> RunDirectory:
        """The run directory at ``path`` (written by this class), with its status."""
        path = Path(path)
        if not path.is_dir():
            raise StorageError(f"run directory {str(path)!r} does not exist or is not a folder")
        run = cls.__new__(cls)
        run.path = path
        run._status = _read_status(path / STATUS_FILE)
        run.name = path.name
        return run

    @property
    def status(self) -> RunStatus:
        """The status as last written by this object (or read by :meth:`open`)."""
        return self._status

    def set_status(self, state: str | None = None, **fields: Any) -> RunStatus:
        """Update the status (``state``, ``done``, ``total``, ``message``...) and write it."""
        if state is not None:
            if state not in RUN_STATES:
                allowed = ", ".join(RUN_STATES)
                raise ConfigError(f"run state must be one of {allowed}; got {state!r}")
            fields["state"] = state
        if state == "running":  # this process takes the run over
            fields.setdefault("pid", os.getpid())
            fields.setdefault("host", socket.gethostname())
        self._status = dataclasses.replace(self._status, updated=_now(), **fields)
        self._write_status()
        return self._status

    def _write_status(self) -> None:
        atomic_write_text(
            self.path / STATUS_FILE, json.dumps(dataclasses.asdict(self._status), indent=1) + "\n"
        )

    def file(self, filename: str) -> Path:
        """Path of ``filename`` inside the run directory."""
        return self.path / filename

    def write_config(self, config: Mapping[str, Any], filename: str = "config.yaml") -> Path:
        """Save the resolved config as YAML."""
        target = self.file(filename)
        atomic_write_text(target, dump_yaml(dict(config)))
        return target

    def config_sha256(self, filename: str = "config.yaml") -> str:
        """SHA-256 of the config file as it is on disk now."""
        try:
            return _sha256(self.file(filename).read_text(encoding="utf-8"))
        except OSError as exc:
            raise StorageError(f"cannot read {self.file(filename)}: {exc.strerror}") from exc

    def write_json(self, filename: str, data: Any) -> Path:
        """Save plain data as indented JSON (NaN written as null)."""
        target = self.file(filename)
        atomic_write_text(target, json.dumps(_jsonable(data), indent=2) + "\n")
        return target

    def write_csv(self, filename: str, columns: Mapping[str, Any]) -> Path:
        """Save equal-length 1-D columns (2-D arrays are split as ``name_0, name_1, ...``)."""
        names: list[str] = []
        arrays: list[np.ndarray] = []
        for name, values in columns.items():
            array = np.asarray(values, dtype=np.float64)
            if array.ndim == 1:
                names.append(name)
                arrays.append(array)
            elif array.ndim == 2:
                names.extend(f"{name}_{j}" for j in range(array.shape[1]))
                arrays.extend(array.T)
            else:
                raise ShapeError(f"CSV column {name!r} must be 1-D or 2-D, got shape {array.shape}")
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ShapeError(f"CSV columns must have equal lengths, got {sorted(lengths)}")
        target = self.file(filename)
        table = np.column_stack(arrays) if arrays else np.empty((0, 0))
        with atomic_write(target, "w", encoding="utf-8") as handle:
            np.savetxt(
                handle, table, delimiter=",", header=",".join(names), comments="", fmt="%.9g"
            )
        return target


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rename_into_place(staging: Path, base: Path) -> Path:
    """Rename ``staging`` to ``base`` (or ``base-2``, ``base-3``, ...), whichever is free."""
    path, k = base, 1
    while True:
        if not path.exists():
            try:
                os.rename(staging, path)  # fails on a non-empty folder of that name
                return path
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        k += 1
        path = Path(f"{base}-{k}")


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _read_status(path: Path) -> RunStatus:
    run = path.parent
    if not path.is_file():
        raise CheckpointError(
            f"{str(run)!r} has no {STATUS_FILE}: not a run directory, or one written before "
            "runs recorded their status"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        status = RunStatus(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is not a valid run status: {exc}") from exc
    if status.state not in RUN_STATES:
        raise CheckpointError(
            f"{path} says state {status.state!r}; expected one of {', '.join(RUN_STATES)}"
        )
    return status


def read_csv(path: str | Path) -> dict[str, np.ndarray]:
    """Read a CSV written by :meth:`RunDirectory.write_csv` back into named columns."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
        table = np.loadtxt(handle, delimiter=",", ndmin=2)
    if table.size == 0:
        return {name: np.empty(0) for name in header}
    return {name: table[:, k] for k, name in enumerate(header)}


def _jsonable(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {str(k): _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    if isinstance(data, np.ndarray):
        return _jsonable(data.tolist())
    if isinstance(data, (np.floating, float)):
        value = float(data)
        return value if np.isfinite(value) else None
    if isinstance(data, np.integer):
        return int(data)
    if isinstance(data, np.bool_):
        return bool(data)
    return data
