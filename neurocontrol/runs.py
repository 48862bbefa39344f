"""A run's directory on disk: ``runs/<name>-<timestamp>/``.

Everything a run writes goes through :class:`RunDirectory`, atomically:
the resolved config (YAML), metrics tables (CSV), summaries (JSON),
checkpoints and plots, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.config import dump_yaml
from neurocontrol.errors import ConfigError, ShapeError
from neurocontrol.fileio import atomic_write, atomic_write_text

__all__ = ["RunDirectory", "read_csv"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RunDirectory:
    """Create ``root/<name>-<YYYYmmdd-HHMMSS>`` (with a numeric suffix if it exists).

    Parameters
    ----------
    name
        Run name: letters, digits, ``_``, ``-``, ``.`` (it becomes a folder name).
    root
        Parent folder, created if needed.
    """

    def __init__(self, name: str, root: str | Path = "runs") -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(
                f"run name must start with a letter or digit and contain only letters, digits, "
                f"'_', '-', '.'; got {name!r}"
            )
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = root / f"{name}-{stamp}"
        path, k = base, 1
        while True:
            try:
                path.mkdir()
                break
            except FileExistsError:
                k += 1
                path = Path(f"{base}-{k}")
        self.name = name
        self.path = path

    def file(self, filename: str) -> Path:
        """Path of ``filename`` inside the run directory."""
        return self.path / filename

    def write_config(self, config: Mapping[str, Any], filename: str = "config.yaml") -> Path:
        """Save the resolved config as YAML."""
        target = self.file(filename)
        atomic_write_text(target, dump_yaml(dict(config)))
        return target

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
