"""The state-dict protocol: save and restore an object's mutable arrays, checked, in place.

A state dict is a flat mapping of names to plain arrays (what a ``.npz``
holds, no pickle). :func:`check_state` is the one check every state dict
passes before anything is restored: the exact key set, then each entry's
type, shape, dtype and finiteness, each refusal a
:class:`~neurocontrol.errors.CheckpointError` that names the owner, the
key, what was expected and what was found.

:class:`Stateful` is the protocol on top of it: an object lists its own
live arrays (:meth:`Stateful.state_targets`) and the stateful objects it is
made of (:meth:`Stateful.state_parts`, by key prefix), and gets
:meth:`~Stateful.state_dict`, :meth:`~Stateful.check_state_dict` and
:meth:`~Stateful.load_state_dict` for the whole tree: a part's entries are
named ``"<prefix>.<key>"``, recursively, and a load checks every entry of
every part before it copies any, so a bad entry anywhere changes nothing.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import numpy as np

from neurocontrol.errors import CheckpointError

__all__ = ["Stateful", "check_state"]

#: Keys a refusal lists at most per kind (missing, unexpected); a whole network's keys
#: missing would otherwise make a message of hundreds of names.
_LISTED_KEYS = 8


def _listing(keys: Iterable[Any]) -> str:
    """``keys`` sorted, as a list literal, cut after :data:`_LISTED_KEYS` names."""
    names = sorted(str(key) for key in keys)
    shown = repr(names[:_LISTED_KEYS])
    left = len(names) - _LISTED_KEYS
    return shown if left <= 0 else f"{shown} and {left} more"


def _require_mapping(owner: str, state: Any) -> Mapping[Any, Any]:
    if not isinstance(state, Mapping):
        raise CheckpointError(
            f"{owner} state dict must be a mapping of arrays, got {type(state).__name__}"
        )
    return state


def check_state(
    owner: str,
    targets: Mapping[str, np.ndarray],
    state: Any,
    *,
    allow_inf: Collection[str] = (),
) -> None:
    """Raise :class:`~neurocontrol.errors.CheckpointError` unless ``state`` fits ``targets``.

    Parameters
    ----------
    owner : str
        Who the state belongs to, for the messages (e.g. the class name).
    targets : mapping of str to ndarray
        The live arrays ``state`` would be copied into, by key.
    state : object
        The candidate: must be a mapping with exactly the keys of
        ``targets``, each value an ``ndarray`` of its target's shape and
        dtype, floating-point values finite.
    allow_inf : collection of str, optional
        Keys whose values may hold ``±inf`` (parameter tables, where an
        infinite bound means "no bound"); NaN is refused in every entry.

    Raises
    ------
    CheckpointError
        On the first problem found: not a mapping; missing or unexpected
        keys (both listed, sorted); a value that is not an array, or of
        another shape or dtype; NaN or inf in a floating-point value.

    Notes
    -----
    Changes nothing: callers copy only after the whole state has passed.
    """
    _require_mapping(owner, state)
    missing = [key for key in targets if key not in state]
    unexpected = [key for key in state if key not in targets]
    if missing or unexpected:
        raise CheckpointError(
            f"{owner} state dict does not match: missing keys {_listing(missing)}, "
            f"unexpected keys {_listing(unexpected)}"
        )
    for key, target in targets.items():
        value = state[key]
        expected = f"shape {target.shape} and dtype {target.dtype}"
        if not isinstance(value, np.ndarray):
            raise CheckpointError(
                f"{owner} state dict entry {key!r} must be an array of {expected}, "
                f"got {type(value).__name__}"
            )
        if value.shape != target.shape or value.dtype != target.dtype:
            raise CheckpointError(
                f"{owner} state dict entry {key!r} must have {expected}, "
                f"got shape {value.shape} and dtype {value.dtype}"
            )
        if value.dtype.kind in "fc":
            infinite_ok = key in allow_inf
            bad = np.isnan(value) if infinite_ok else ~np.isfinite(value)
            if bad.any():
                what = "NaN" if infinite_ok else "NaN or inf"
                raise CheckpointError(
                    f"{owner} state dict entry {key!r} must hold no {what}, "
                    f"got {int(np.count_nonzero(bad))} {what} value(s)"
                )


class Stateful(abc.ABC):
    """An object whose mutable arrays can be saved and restored in place.

    Subclasses implement :meth:`state_targets` (their own arrays) and, when
    they are made of other stateful objects, :meth:`state_parts`; the rest
    is inherited. Own keys must not begin with a part's prefix and a dot
    (such a key is read as the part's), and prefixes hold no dot.

    Hooks: :meth:`_snapshot` runs before :meth:`state_dict` reads the
    arrays (copy state held outside arrays, e.g. a random generator, into
    them); :meth:`_restored` runs after :meth:`load_state_dict` wrote them
    (push such state back, recompute what derives from the arrays), for
    each object of the tree, its parts before itself. :meth:`_check_own`
    checks the object's own entries and may be extended (e.g. to refuse a
    state of another structure first).
    """

    @abc.abstractmethod
    def state_targets(self) -> dict[str, np.ndarray]:
        """Live views of this object's own mutable state arrays, by key (parts excluded)."""

    def state_parts(self) -> dict[str, Stateful]:
        """The stateful objects this one is made of, by key prefix (default: none)."""
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the own arrays, then each part's state dict with keys ``"<prefix>.<key>"``."""
        self._snapshot()
        arrays = {key: value.copy() for key, value in self.state_targets().items()}
        for prefix, part in self.state_parts().items():
            arrays.update({f"{prefix}.{key}": value for key, value in part.state_dict().items()})
        return arrays

    def check_state_dict(self, arrays: Mapping[str, Any]) -> None:
        """Raise :class:`~neurocontrol.errors.CheckpointError` unless ``arrays`` fits; no change.

        Checks the own entries (:meth:`_check_own`), then every part's,
        recursively; a part's refusal is raised again prefixed with this
        object's name and the part's prefix.
        """
        owner = type(self).__name__
        own, parts = self._split(_require_mapping(owner, arrays))
        self._check_own(own)
        for prefix, part in self.state_parts().items():
            try:
                part.check_state_dict(parts[prefix])
            except CheckpointError as exc:
                raise CheckpointError(f"{owner} part {prefix!r}: {exc}") from exc

    def load_state_dict(self, arrays: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` output in place; nothing changes if any entry is wrong.

        Every entry of the whole tree is checked first (:meth:`check_state_dict`),
        then copied into the existing arrays, so views held elsewhere keep
        seeing the live state; then each object's :meth:`_restored` runs.
        """
        self.check_state_dict(arrays)
        self._copy_in(arrays)

    def _copy_in(self, arrays: Mapping[str, Any]) -> None:
        """Copy checked ``arrays`` into this object and its parts, then run the hooks."""
        own, parts = self._split(arrays)
        for key, target in self.state_targets().items():
            target[...] = own[key]
        for prefix, part in self.state_parts().items():
            part._copy_in(parts[prefix])
        self._restored()

    def _split(self, arrays: Mapping[Any, Any]) -> tuple[dict[Any, Any], dict[str, dict[str, Any]]]:
        """``arrays`` as (own entries, {part prefix: that part's entries, prefix removed})."""
        parts: dict[str, dict[str, Any]] = {prefix: {} for prefix in self.state_parts()}
        own: dict[Any, Any] = {}
        for key, value in arrays.items():
            prefix, dot, rest = key.partition(".") if isinstance(key, str) else ("", "", "")
            if dot and prefix in parts:
                parts[prefix][rest] = value
            else:
                own[key] = value
        return own, parts

    def _check_own(self, own: Mapping[Any, Any]) -> None:
        """Check the own entries against :meth:`state_targets` (:func:`check_state`)."""
        check_state(type(self).__name__, self.state_targets(), own)

    def _snapshot(self) -> None:  # noqa: B027 - optional hook
        """Hook: copy state held outside arrays (random generators) into the state arrays."""

    def _restored(self) -> None:  # noqa: B027 - optional hook
        """Hook: push restored arrays back where they are used; recompute derived values."""
