"""Agent checkpoints on :mod:`neurocontrol.core.checkpoint` (JSON header + ``.npz`` arrays).

A checkpoint records the agent type, the agent's spec (plain data, as
:func:`~neurocontrol.agents.factory.make_agent` takes it) and the agent's
state dict (:class:`~neurocontrol.core.statedict.Stateful`): one array per piece
of mutable state, its parts' arrays under their prefixes (a simulator's as
``snn.<state key>``, whose structure digest refuses another network). The
files are ``<path>.json`` and ``<path>.<generation>.npz``, replaced as one
(the header, written last, is the commit point, so a save that fails or is
killed leaves the previous checkpoint); the header holds the hash of the
arrays and of itself, so edited or mismatched files are refused. The header
also holds the agent type's checkpoint version (:data:`AGENT_VERSIONS`):
when what an agent's arrays or spec mean changes, its version goes up and
older checkpoints of it are refused by version.
Loading rebuilds nothing by itself: an agent built from the same spec takes
the arrays in place (:meth:`Persistent.load`), so learning continues
bit-identically; :func:`~neurocontrol.agents.factory.load_agent` does both.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurocontrol.core import checkpoint
from neurocontrol.core.statedict import Stateful
from neurocontrol.errors import CheckpointError

__all__ = [
    "AGENT_VERSIONS",
    "CHECKPOINT_KIND",
    "Persistent",
    "read_checkpoint",
    "write_checkpoint",
]

#: ``kind`` of agent checkpoints in :mod:`neurocontrol.core.checkpoint`.
CHECKPOINT_KIND = "agent"
#: Checkpoint version of each agent type whose checkpoints changed meaning (others: 1).
#: Adaptive 2: ``learning_rate`` is divided by ``n_neurons`` (1 applied it per neuron).
AGENT_VERSIONS = {"adaptive_spiking": 2, "adaptive_rate": 2, "hybrid": 2}
#: Why an agent type's older checkpoint versions are no longer read.
_VERSION_NOTES = {
    ("adaptive_spiking", 1): "learning_rate applied per neuron, not divided by n_neurons",
    ("adaptive_rate", 1): "learning_rate applied per neuron, not divided by n_neurons",
    ("hybrid", 1): "its adaptive twins' learning_rate applied per neuron, not divided by n_neurons",
}


def write_checkpoint(
    path: str | Path, agent_type: str, spec: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> None:
    """Write ``spec`` and ``arrays`` of an agent of ``agent_type`` as checkpoint ``path``."""
    config = {
        "agent_type": agent_type,
        "agent_version": AGENT_VERSIONS.get(agent_type, 1),
        "spec": dict(spec),
    }
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"agent spec of {agent_type!r} is not plain JSON data: {exc}"
        ) from exc
    checkpoint.save(path, config, dict(arrays), kind=CHECKPOINT_KIND)


def read_checkpoint(path: str | Path) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """``(agent_type, spec, arrays)`` of the agent checkpoint ``path``."""
    config, arrays = checkpoint.load(path, kind=CHECKPOINT_KIND)
    agent_type = config.get("agent_type") if isinstance(config, dict) else None
    spec = config.get("spec") if isinstance(config, dict) else None
    if not isinstance(agent_type, str) or not isinstance(spec, dict):
        raise CheckpointError(f"checkpoint {str(path)!r} has a malformed agent header")
    version = config.get("agent_version", 1)  # written before agents had versions: 1
    expected = AGENT_VERSIONS.get(agent_type, 1)
    if version != expected:
        note = _VERSION_NOTES.get((agent_type, version))
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds a {agent_type!r} agent of checkpoint version "
            f"{version!r}{f' ({note})' if note else ''}; this version reads {agent_type!r} "
            f"checkpoints of version {expected}; re-create the checkpoint"
        )
    return agent_type, spec, arrays


class Persistent(Stateful):
    """Checkpoint protocol of the agents: a
    :class:`~neurocontrol.core.statedict.Stateful` with a spec.

    Subclasses set :attr:`agent_type` (the factory's ``type`` name) and
    implement :meth:`spec` (plain data that rebuilds the agent),
    :meth:`state_targets` (their own mutable state arrays, live) and, when
    they run other stateful objects (base controllers, simulators, encoders),
    :meth:`state_parts`.
    """

    agent_type: ClassVar[str]

    @abc.abstractmethod
    def spec(self) -> dict[str, Any]:
        """Plain data :func:`~neurocontrol.agents.factory.make_agent` rebuilds this agent from."""

    def save(self, path: str | Path) -> None:
        """Write checkpoint ``path`` (``<path>.json`` + ``<path>.<generation>.npz``, as one)."""
        write_checkpoint(path, self.agent_type, self.spec(), self.state_dict())

    def load(self, path: str | Path) -> None:
        """Continue from the checkpoint at ``path``, written by an agent of the same spec."""
        agent_type, spec, arrays = read_checkpoint(path)
        if agent_type != self.agent_type:
            raise CheckpointError(
                f"{str(path)!r} holds a {agent_type!r} agent; this agent is "
                f"{self.agent_type!r} ({type(self).__name__})"
            )
        own = json.loads(json.dumps(self.spec()))
        if spec != own:
            keys = sorted(k for k in set(spec) | set(own) if spec.get(k) != own.get(k))
            raise CheckpointError(
                f"{str(path)!r} was saved by a {agent_type!r} agent with another spec "
                f"(differs in {keys}); build the agent from the checkpoint's spec "
                "(neurocontrol.agents.load_agent)"
            )
        self.load_state_dict(arrays)
