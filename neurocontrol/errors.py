"""The exception hierarchy of neurocontrol.

Every error raised for bad input derives from :class:`NeuroControlError` *and*
from the builtin a caller would naturally catch (``ValueError`` for a bad
value, ``TypeError`` for a wrong type, ...), so ``except ValueError`` keeps
working for code that does not know this package.
Messages say what was wrong and what is accepted.
"""

from __future__ import annotations

import signal

__all__ = [
    "ActionError",
    "BuildError",
    "CheckpointError",
    "ClusterError",
    "ConfigError",
    "InterchangeError",
    "NeuroControlError",
    "ObservationError",
    "PerturbationError",
    "RunInterrupted",
    "ShapeError",
    "SimulationError",
    "StorageError",
]


class NeuroControlError(Exception):
    """Base class of every error raised by neurocontrol."""


class ConfigError(NeuroControlError, ValueError):
    """A parameter or configuration value is invalid (names the key and the accepted values)."""


class ShapeError(NeuroControlError, ValueError):
    """An array has the wrong shape or dtype (names expected and received shapes)."""


class ActionError(NeuroControlError, ValueError):
    """An action passed to an environment is malformed (wrong shape, NaN/inf)."""


class ObservationError(NeuroControlError, ValueError):
    """An observation does not match what an agent or encoder expects."""


class PerturbationError(ConfigError):
    """An unknown perturbation kind, an unknown parameter, or an invalid value."""


class BuildError(NeuroControlError, TypeError):
    """A model description cannot be built (e.g. no builder for its type)."""


class CheckpointError(NeuroControlError, ValueError):
    """A checkpoint is missing, truncated, of another format version or another kind."""


class SimulationError(NeuroControlError, RuntimeError):
    """The simulation reached an invalid state (e.g. non-finite physics state)."""


class InterchangeError(NeuroControlError, ValueError):
    """A network cannot be written to, or read from, an interchange format such as NIR."""


class ClusterError(NeuroControlError, ConnectionError):
    """A Ray cluster cannot be reached or joined (names the address and how to start one)."""


class StorageError(NeuroControlError, OSError):
    """A file or folder cannot be written or read (read-only, full, not a folder, missing)."""


class RunInterrupted(KeyboardInterrupt):
    """A run was stopped by a signal (SIGINT, SIGTERM); what finished before it is kept.

    Derived from :class:`KeyboardInterrupt`, not from :class:`NeuroControlError`: like
    Ctrl-C it is not an error of the input, and ``except Exception`` must not swallow it.
    """

    def __init__(self, signal_number: int) -> None:
        self.signal_number = signal_number
        self.signal_name = signal.Signals(signal_number).name
        #: the run directory that keeps what finished (None: stopped before it existed)
        self.run_path: str | None = None
        self.done = self.total = 0
        super().__init__(f"stopped by {self.signal_name}")
