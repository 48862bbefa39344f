"""Checkpoints: a JSON config plus ``.npz`` arrays, versioned, written atomically.

:func:`save` / :func:`load` are the generic core (any JSON-able config and
named arrays, so an agent can store encoder/decoder state beside its
network); :func:`save_simulator` / :func:`load_simulator` store a network's
description and its :meth:`~neurocontrol.simulator.Simulator.state_dict`
(weights, voltages, traces, ring buffer, random-generator state, clock) so
that a loaded simulator continues bit-identically.

A checkpoint is a directory-free pair of files: ``<path>.json`` and
``<path>.npz``; each is replaced atomically, and the JSON records the
SHA-256 of the ``.npz``, so a truncated or mismatched pair is refused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.errors import CheckpointError
from neurocontrol.fileio import atomic_path, atomic_write_text
from neurocontrol.model.serialize import network_from_config, network_to_config

__all__ = ["FORMAT_VERSION", "load", "load_simulator", "save", "save_simulator"]

#: 2: simulator state as ``Simulator.state_dict`` entries (1 stored the raw arenas)
#: 3: sparse projections whose only rule is additive pair STDP stored post-major
#: 4: static sparse projections onto at most 65,536 neurons keep uint16 indices
#: 5: post-major projections keep uint16 presynaptic indices
#: 6: networks count their operations and may hold signal inputs, encoders, outputs and rate
#:    models; the adaptive controllers keep their input coding, decoders and PES in their network
FORMAT_VERSION = 6
_MAGIC = "neurocontrol-checkpoint"
_STATE = "state/"
_VERSION_NOTES = {
    1: " (simulator state stored as raw arenas; re-create the checkpoint)",
    2: " (sparse pair-STDP weights stored by presynaptic neuron; re-create the checkpoint)",
    3: " (static sparse projection indices stored as int32; re-create the checkpoint)",
    4: " (post-major presynaptic indices stored as int32; re-create the checkpoint)",
    5: (
        " (written before networks counted their operations and before the adaptive "
        "controllers kept their decoders in their network; re-create the checkpoint)"
    ),
}


def _paths(path: str | Path) -> tuple[Path, Path]:
    base = Path(path)
    if base.suffix in (".json", ".npz"):
        base = base.with_suffix("")
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".npz")


def save(
    path: str | Path, config: dict[str, Any], arrays: dict[str, np.ndarray], kind: str
) -> None:
    """Write ``config`` (JSON-able) and ``arrays`` as checkpoint ``path`` of ``kind``."""
    json_path, npz_path = _paths(path)
    for name, array in arrays.items():
        if np.asarray(array).dtype == object:
            raise CheckpointError(
                f"array {name!r} has dtype object; only numeric arrays are stored"
            )
    with atomic_path(npz_path, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **{name: np.asarray(a) for name, a in arrays.items()})
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    header = {
        "magic": _MAGIC,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "npz_sha256": digest,
        "config": config,
    }
    atomic_write_text(json_path, json.dumps(header, indent=1, sort_keys=True))


def load(path: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read checkpoint ``path`` of ``kind``; return ``(config, arrays)``."""
    json_path, npz_path = _paths(path)
    for file in (json_path, npz_path):
        if not file.exists():
            raise CheckpointError(f"checkpoint file {file} is missing")
    try:
        header = json.loads(json_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{json_path} is not a valid checkpoint header: {exc}") from exc
    if not isinstance(header, dict) or header.get("magic") != _MAGIC:
        raise CheckpointError(f"{json_path} is not a neurocontrol checkpoint")
    if header.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{json_path} has format version {header.get('format_version')!r}"
            f"{_VERSION_NOTES.get(header.get('format_version'), '')}; this version reads "
            f"format version {FORMAT_VERSION} only"
        )
    if header.get("kind") != kind:
        raise CheckpointError(
            f"{json_path} holds a {header.get('kind')!r} checkpoint, not {kind!r}"
        )
    data = npz_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != header.get("npz_sha256"):
        raise CheckpointError(
            f"{npz_path} does not match its header (truncated, or from another save)"
        )
    try:
        with np.load(npz_path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read {npz_path}: {exc}") from exc
    return header["config"], arrays


def save_simulator(path: str | Path, sim: Any, extra: dict[str, Any] | None = None) -> None:
    """Save a :class:`~neurocontrol.simulator.Simulator`: its description and state dict."""
    network_config, network_arrays = network_to_config(sim.network)
    arrays = {f"model/{name}": value for name, value in network_arrays.items()}
    arrays.update({f"{_STATE}{key}": value for key, value in sim.state_dict().items()})
    config = {"network": network_config, "dt": sim.dt, "seed": sim.seed, "extra": extra or {}}
    save(path, config, arrays, kind="simulator")


def load_simulator(path: str | Path) -> Any:
    """Rebuild the simulator saved at ``path`` and restore its state exactly."""
    from neurocontrol.simulator import Simulator

    config, arrays = load(path, kind="simulator")
    try:
        model_arrays = {k[len("model/") :]: v for k, v in arrays.items() if k.startswith("model/")}
        network = network_from_config(config["network"], model_arrays)
        sim = Simulator(network, dt=config["dt"], seed=config["seed"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} holds an invalid network: {exc}") from exc
    state = {k[len(_STATE) :]: v for k, v in arrays.items() if k.startswith(_STATE)}
    try:
        sim.load_state_dict(state)
    except CheckpointError as exc:
        raise CheckpointError(
            f"checkpoint {path}: its state does not match its network: {exc}"
        ) from exc
    return sim
