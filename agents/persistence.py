"""Agent checkpoints on :mod:`neurocontrol.checkpoint` (JSON header + ``.npz`` arrays).

A checkpoint records the agent type, the agent's spec (plain data, as
:func:`~neurocontrol.agents.factory.make_agent` takes it) and one array per
piece of mutable state; both files are written atomically and the header
holds the hash of the arrays. A simulator an agent runs is stored through
its own :meth:`~neurocontrol.simulator.Simulator.state_dict` (keys
``<prefix>.<state key>``, :meth:`Persistent.simulators`), which checks
that it belongs to the same network when loaded. Loading rebuilds nothing by itself: an agent
built from the same spec takes the arrays in place (:meth:`Persistent.load`),
so learning continues bit-identically;
:func:`~neurocontrol.agents.factory.load_agent` does both.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurocontrol import checkpoint
from neurocontrol.errors import CheckpointError

__all__ = [
    "CHECKPOINT_KIND",
    "Persistent",
    "check_arrays",
    "read_checkpoint",
    "restore_arrays",
    "write_checkpoint",
]

#: ``kind`` of agent checkpoints in :mod:`neurocontrol.checkpoint`.
CHECKPOINT_KIND = "agent"


def write_checkpoint(
    path: str | Path, agent_type: str, spec: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> None:
    """Write ``spec`` and ``arrays`` of an agent of ``agent_type`` as checkpoint ``path``."""
    config = {"agent_type": agent_type, "spec": dict(spec)}
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
    return agent_type, spec, arrays


def check_arrays(
    owner: str, targets: Mapping[str, np.ndarray], arrays: Mapping[str, np.ndarray]
) -> None:
    """CheckpointError unless ``arrays`` has the keys, shapes and dtypes of ``targets``."""
    missing = sorted(set(targets) - set(arrays))
    extra = sorted(set(arrays) - set(targets))
    if missing or extra:
        raise CheckpointError(
            f"{owner} checkpoint state does not match: missing {missing}, unexpected {extra}"
        )
    for key, target in targets.items():
        value = arrays[key]
        if value.shape != target.shape or value.dtype != target.dtype:
            raise CheckpointError(
                f"{owner} checkpoint array {key!r} has shape {value.shape} dtype {value.dtype}; "
                f"expected shape {target.shape} dtype {target.dtype}"
            )
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise CheckpointError(f"{owner} checkpoint array {key!r} contains NaN or inf")


def restore_arrays(
    owner: str, targets: Mapping[str, np.ndarray], arrays: Mapping[str, np.ndarray]
) -> None:
    """Copy ``arrays`` into the live ``targets`` after checking every one (all or nothing)."""
    check_arrays(owner, targets, arrays)
    for key, target in targets.items():
        target[...] = arrays[key]


class Persistent(abc.ABC):
    """Checkpoint protocol of the agents.

    Subclasses set :attr:`agent_type` (the factory's ``type`` name) and
    implement :meth:`spec` (plain data that rebuilds the agent) and
    :meth:`state_targets` (every mutable state array, live, except the
    simulators named by :meth:`simulators`).
    """

    agent_type: ClassVar[str]

    @abc.abstractmethod
    def spec(self) -> dict[str, Any]:
        """Plain data :func:`~neurocontrol.agents.factory.make_agent` rebuilds this agent from."""

    @abc.abstractmethod
    def state_targets(self) -> dict[str, np.ndarray]:
        """Live views of every mutable state array, by name."""

    def simulators(self) -> dict[str, Any]:
        """Simulators this agent runs, by key prefix; saved whole through their state dicts."""
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the state arrays, then each simulator's state dict under its prefix."""
        self._snapshot()
        arrays = {key: value.copy() for key, value in self.state_targets().items()}
        for prefix, simulator in self.simulators().items():
            arrays.update({f"{prefix}.{k}": v for k, v in simulator.state_dict().items()})
        return arrays

    def _split(
        self, arrays: Mapping[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
        """``arrays`` as (the agent's own, {simulator prefix: its state dict})."""
        parts: dict[str, dict[str, np.ndarray]] = {prefix: {} for prefix in self.simulators()}
        own: dict[str, np.ndarray] = {}
        for key, value in arrays.items():
            prefix, _, rest = key.partition(".")
            if prefix in parts and rest:
                parts[prefix][rest] = value
            else:
                own[key] = value
        return own, parts

    def check_state_dict(self, arrays: Mapping[str, np.ndarray]) -> None:
        """CheckpointError unless ``arrays`` fits this agent (its simulators included)."""
        owner = type(self).__name__
        own, parts = self._split(arrays)
        check_arrays(owner, self.state_targets(), own)
        for prefix, simulator in self.simulators().items():
            try:
                simulator.check_state_dict(parts[prefix])
            except CheckpointError as exc:
                raise CheckpointError(
                    f"{owner} checkpoint: simulator state {prefix!r} does not match: {exc}"
                ) from exc

    def load_state_dict(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` output in place (nothing changes if any entry is wrong)."""
        self.check_state_dict(arrays)
        own, parts = self._split(arrays)
        for key, target in self.state_targets().items():
            target[...] = own[key]
        for prefix, simulator in self.simulators().items():
            simulator.load_state_dict(parts[prefix])
        self._restored()

    def _snapshot(self) -> None:  # noqa: B027 - optional hook
        """Hook: copy state held outside arrays (random generators) into state arrays."""

    def _restored(self) -> None:  # noqa: B027 - optional hook
        """Hook: push restored state arrays back into the objects that hold them."""

    def save(self, path: str | Path) -> None:
        """Write checkpoint ``path`` (``<path>.json`` + ``<path>.npz``, each atomic)."""
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
