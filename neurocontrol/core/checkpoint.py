"""Checkpoints: a JSON header plus ``.npz`` arrays, versioned, replaced as one.

:func:`save` / :func:`load` are the generic core (any JSON-able config and
named arrays, so an agent can store encoder/decoder state beside its
network); :func:`save_simulator` / :func:`load_simulator` store a network's
description and its :meth:`~neurocontrol.core.simulator.Simulator.state_dict`
(weights, voltages, traces, ring buffer, random-generator state, clock) so
that a loaded simulator continues bit-identically.

A checkpoint ``<path>`` is two files in one folder: the header
``<path>.json`` (magic, format version, kind, config, the generation and
SHA-256 of the arrays, and a SHA-256 of the header's own fields) and the
arrays ``<path>.<generation>.npz``, whose generation is the first 16 hex
digits of their SHA-256. A save writes the arrays under their new name,
then replaces the header atomically: that rename is the one commit point,
so a save that fails or is killed at any moment leaves the previous
checkpoint or the new one, never neither. Once the header is in place the
checkpoint's stale files go (arrays of earlier generations, the
``<path>.npz`` of format 6, temporary files of killed saves); one process
writes a given checkpoint at a time. A header edited by hand or naming a
file anywhere else, or arrays that do not match their header, are refused
with :class:`~neurocontrol.errors.CheckpointError`. Format 6 (the same
arrays in ``<path>.npz``, an unhashed header) is still read.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.core.model.serialize import network_from_config, network_to_config
from neurocontrol.errors import CheckpointError
from neurocontrol.utils.fileio import atomic_write_text, leftover_temporaries, publish, staged_path

__all__ = ["FORMAT_VERSION", "load", "load_simulator", "save", "save_simulator"]

#: 2: simulator state as ``Simulator.state_dict`` entries (1 stored the raw arenas)
#: 3: sparse projections whose only rule is additive pair STDP stored post-major
#: 4: static sparse projections onto at most 65,536 neurons keep uint16 indices
#: 5: post-major projections keep uint16 presynaptic indices
#: 6: networks count their operations and may hold signal inputs, encoders, outputs and rate
#:    models; the adaptive controllers keep their input coding, decoders and PES in their network
#: 7: the arrays in ``<path>.<generation>.npz`` named by the header, which is the commit point
#:    of a save and holds a hash of itself (the arrays as in 6, which is still read)
FORMAT_VERSION = 7
#: Versions read: 6 differs from 7 in the files' layout only.
_READABLE = (6, 7)
_MAGIC = "neurocontrol-checkpoint"
_STATE = "state/"
#: Why the versions no longer read were dropped.
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
_FIELDS = {
    6: ("kind", "npz_sha256", "config"),
    7: ("kind", "npz_sha256", "config", "generation", "header_sha256"),
}
_GENERATION = re.compile(r"[0-9a-f]{16}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def _base(path: str | Path) -> Path:
    base = Path(path)
    if base.suffix in (".json", ".npz"):
        base = base.with_suffix("")
    return base


def _header_path(base: Path) -> Path:
    return base.with_name(base.name + ".json")


def _arrays_path(base: Path, generation: str) -> Path:
    return base.with_name(f"{base.name}.{generation}.npz")


def _format6_arrays_path(base: Path) -> Path:
    return base.with_name(base.name + ".npz")


def _header_digest(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of a header's fields."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def save(
    path: str | Path, config: dict[str, Any], arrays: dict[str, np.ndarray], kind: str
) -> None:
    """Write ``config`` (JSON-able) and ``arrays`` as checkpoint ``path`` of ``kind``.

    The previous checkpoint at ``path`` stays loadable until the new one is
    complete; a save that fails may leave its arrays file, which the next
    save removes.
    """
    base = _base(path)
    for name, array in arrays.items():
        if np.asarray(array).dtype == object:
            raise CheckpointError(
                f"array {name!r} has dtype object; only numeric arrays are stored"
            )
    try:  # as it will read back (tuples as lists, keys as strings), before any file is written
        fields = json.loads(
            json.dumps(
                {"magic": _MAGIC, "format_version": FORMAT_VERSION, "kind": kind, "config": config}
            )
        )
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"config of checkpoint {str(base)!r} is not JSON data: {exc}"
        ) from exc
    with staged_path(base, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **{name: np.asarray(a) for name, a in arrays.items()})
        digest = _file_sha256(tmp)
        arrays_path = _arrays_path(base, digest[:16])
        publish(tmp, arrays_path)
    fields.update(generation=digest[:16], npz_sha256=digest)
    header = {**fields, "header_sha256": _header_digest(fields)}
    atomic_write_text(_header_path(base), json.dumps(header, indent=1, sort_keys=True))
    _remove_stale_files(base, keep=arrays_path)


def _remove_stale_files(base: Path, keep: Path) -> None:
    """Remove what a committed save of ``base`` left behind; nothing of another checkpoint.

    Arrays of earlier generations (``<name>.<16 hex>.npz``, unless a header
    ``<name>.<16 hex>.json`` of a checkpoint of that name sits beside them),
    the ``<name>.npz`` of format 6 and temporary files of killed saves.
    """
    generations = re.compile(rf"^{re.escape(base.name)}\.[0-9a-f]{{16}}\.npz$")
    stale = [
        file
        for file in base.parent.iterdir()
        if generations.match(file.name)
        and file.name != keep.name
        and not file.with_suffix(".json").exists()
    ]
    stale.append(_format6_arrays_path(base))
    stale += leftover_temporaries(base, ".npz") + leftover_temporaries(_header_path(base))
    for file in stale:
        file.unlink(missing_ok=True)


def _read_header(header_path: Path) -> dict[str, Any]:
    """The header at ``header_path``, refused unless of a version read here and intact."""
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file {header_path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{header_path} is not a valid checkpoint header: {exc}") from exc
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint header {header_path}: {exc}") from exc
    if not isinstance(header, dict) or header.get("magic") != _MAGIC:
        raise CheckpointError(f"{header_path} is not a neurocontrol checkpoint")
    version = header.get("format_version")
    if type(version) is not int or version not in _READABLE:
        raise CheckpointError(
            f"{header_path} has format version {version!r}{_VERSION_NOTES.get(version, '')}; "
            f"this version reads format versions {' and '.join(map(str, _READABLE))}"
        )
    if version >= 7:
        fields = {key: value for key, value in header.items() if key != "header_sha256"}
        if header.get("header_sha256") != _header_digest(fields):
            raise CheckpointError(
                f"{header_path} was changed after it was saved: its fields do not match its "
                "header_sha256 (edited by hand, or damaged); re-create the checkpoint instead "
                "of editing it"
            )
    missing = [key for key in _FIELDS[version] if key not in header]
    if missing:
        raise CheckpointError(f"{header_path} is a format-{version} header without {missing}")
    if not isinstance(header["npz_sha256"], str) or not _SHA256.fullmatch(header["npz_sha256"]):
        raise CheckpointError(
            f"{header_path} has a malformed npz_sha256 {header['npz_sha256']!r}: expected 64 "
            "lowercase hex digits"
        )
    return header


def _leaves_folder(name: str) -> bool:
    return "/" in name or "\\" in name or ".." in name or Path(name).is_absolute()


def _arrays_file(base: Path, header_path: Path, header: dict[str, Any]) -> Path:
    """The arrays file ``header`` names: always beside it, named after the checkpoint."""
    if header["format_version"] == 6:
        return _format6_arrays_path(base)
    generation = header["generation"]
    if not isinstance(generation, str) or not _GENERATION.fullmatch(generation):
        if isinstance(generation, str) and _leaves_folder(generation):
            raise CheckpointError(
                f"{header_path} names arrays outside the checkpoint's folder (generation "
                f"{generation!r}); a checkpoint's arrays are {base.name}.<generation>.npz "
                "beside its header"
            )
        raise CheckpointError(
            f"{header_path} has a malformed generation {generation!r}: expected 16 lowercase "
            "hex digits, the start of its npz_sha256"
        )
    if not header["npz_sha256"].startswith(generation):
        raise CheckpointError(
            f"{header_path} has generation {generation!r}, which is not the start of its "
            f"npz_sha256 {header['npz_sha256'][:16]!r}..."
        )
    return _arrays_path(base, generation)


def load(path: str | Path, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read checkpoint ``path`` of ``kind``; return ``(config, arrays)``."""
    base = _base(path)
    header_path = _header_path(base)
    header = _read_header(header_path)
    if header["kind"] != kind:
        raise CheckpointError(f"{header_path} holds a {header['kind']!r} checkpoint, not {kind!r}")
    arrays_path = _arrays_file(base, header_path, header)
    try:
        data = arrays_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(
            f"checkpoint file {arrays_path}, the arrays {header_path} names, is missing"
        ) from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {arrays_path}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != header["npz_sha256"]:
        raise CheckpointError(
            f"{arrays_path} does not match its header (truncated, or from another save)"
        )
    try:  # the bytes just verified, not the file again
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"cannot read {arrays_path}: {exc}") from exc
    return header["config"], arrays


def save_simulator(path: str | Path, sim: Any, extra: dict[str, Any] | None = None) -> None:
    """Save a :class:`~neurocontrol.core.simulator.Simulator`: its description and state dict."""
    network_config, network_arrays = network_to_config(sim.network)
    arrays = {f"model/{name}": value for name, value in network_arrays.items()}
    arrays.update({f"{_STATE}{key}": value for key, value in sim.state_dict().items()})
    config = {"network": network_config, "dt": sim.dt, "seed": sim.seed, "extra": extra or {}}
    save(path, config, arrays, kind="simulator")


def load_simulator(path: str | Path) -> Any:
    """Rebuild the simulator saved at ``path`` and restore its state exactly."""
    from neurocontrol.core.simulator import Simulator

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
