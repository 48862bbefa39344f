"""Brian2's side of ``bench snn --brian2``: a virtual environment of its own, on demand.

Brian2's releases import ``numpy`` APIs removed in numpy 2.3
(``ndarray.ptp``), and the package must not cap its own numpy for a
benchmark, so Brian2 runs in a separate virtual environment (numpy < 2.3,
Cython) as a subprocess executing :mod:`neurocontrol.bench.brian2_workload`
(a standalone script: it imports nothing from this package).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from neurocontrol.errors import NeuroControlError

__all__ = ["BRIAN2_REQUIREMENTS", "brian2_python", "default_venv_directory", "run_brian2_workload"]

#: What the Brian2 environment installs (numpy capped there only).
BRIAN2_REQUIREMENTS = ("brian2>=2.9", "numpy<2.3", "cython", "setuptools")
_WORKLOAD_SCRIPT = Path(__file__).with_name("brian2_workload.py")


def default_venv_directory() -> Path:
    """``$NEUROCONTROL_BRIAN2_VENV`` or ``~/.cache/neurocontrol/brian2-venv``."""
    configured = os.environ.get("NEUROCONTROL_BRIAN2_VENV")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "neurocontrol" / "brian2-venv"


def _venv_python(directory: Path) -> Path:
    return directory / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _has_brian2(python: Path) -> bool:
    check = subprocess.run(
        [str(python), "-c", "import brian2, Cython"], capture_output=True, text=True
    )
    return check.returncode == 0


def brian2_python(directory: Path | None = None, create: bool = True) -> Path:
    """The interpreter of the Brian2 environment, created and filled if missing.

    Parameters
    ----------
    directory : Path or None
        Where the environment lives (default :func:`default_venv_directory`).
    create : bool
        Create it and ``pip install`` :data:`BRIAN2_REQUIREMENTS` if it is
        missing or lacks Brian2; otherwise raise.

    Raises
    ------
    NeuroControlError
        If the environment cannot be made or Brian2 does not import in it.
    """
    directory = default_venv_directory() if directory is None else Path(directory)
    python = _venv_python(directory)
    if python.exists() and _has_brian2(python):
        return python
    if not create:
        raise NeuroControlError(f"no Brian2 environment at {directory} (run with create=True)")
    # The base interpreter, not this venv's: the new environment must not see our packages.
    venv.EnvBuilder(with_pip=True, clear=False).create(directory)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *BRIAN2_REQUIREMENTS],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0 or not _has_brian2(python):
        raise NeuroControlError(
            f"could not install {' '.join(BRIAN2_REQUIREMENTS)} into {directory}:\n"
            + install.stderr[-2000:]
        )
    return python


def run_brian2_workload(
    name: str, steps: int, repeats: int, python: Path | None = None, timeout: float = 3600.0
) -> dict[str, Any]:
    """Run workload ``name`` in Brian2 (subprocess); return its figures (see the script)."""
    python = brian2_python() if python is None else python
    result = subprocess.run(
        [
            str(python),
            str(_WORKLOAD_SCRIPT),
            name,
            "--steps",
            str(steps),
            "--repeats",
            str(repeats),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(_WORKLOAD_SCRIPT.parent),
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    if result.returncode != 0:
        raise NeuroControlError(
            f"the Brian2 workload {name} failed (exit {result.returncode}):\n"
            + result.stderr[-2000:]
        )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise NeuroControlError(f"the Brian2 workload {name} printed no figures:\n{result.stdout}")
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


if __name__ == "__main__":  # pragma: no cover - manual set-up
    print(brian2_python(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
