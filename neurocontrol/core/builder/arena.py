"""Allocation of every state array of a network in a few typed arenas.

Each array of the step's state is a slice of one arena per dtype, so one
Python call into the compiled step passes seven arrays, whatever the size of
the network; the Python side keeps numpy views of the same memory, so state
is read and written by name in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurocontrol.errors import BuildError

__all__ = ["ARENA_KINDS", "ArenaBuilder", "Arenas", "Group"]

#: arena name -> dtype, in the order they are passed to the step function.
ARENA_KINDS: dict[str, np.dtype] = {
    "f8": np.dtype(np.float64),
    "f4": np.dtype(np.float32),
    "i8": np.dtype(np.int64),
    "i4": np.dtype(np.int32),
    "u2": np.dtype(np.uint16),
    "u1": np.dtype(np.uint8),
    "u8": np.dtype(np.uint64),
}
_KIND_OF_DTYPE = {dtype: kind for kind, dtype in ARENA_KINDS.items()}
_ALIGN = 16  # elements; keeps every array 64-byte aligned for f4/f8


@dataclass(frozen=True)
class Group:
    """A NamedTuple of arrays rebuilt from the arenas inside the step function."""

    variable: str
    cls: type
    slots: tuple[int, ...]
    kinds: tuple[str, ...]
    widths: tuple[int, ...]  # columns of a 2-D field (row-major), 0 for 1-D


@dataclass
class Arenas:
    """The allocated arenas, the layout (start, stop per slot) and a view per key."""

    arrays: dict[str, np.ndarray]
    layout: np.ndarray
    views: dict[str, np.ndarray]
    groups: list[Group]
    kinds: dict[str, str] = field(default_factory=dict)

    def step_arguments(self) -> tuple[np.ndarray, ...]:
        """The arenas in the order of the step function's parameters, then the layout."""
        return (*(self.arrays[kind] for kind in ARENA_KINDS), self.layout)


class ArenaBuilder:
    """Collects named initial arrays, then lays them out in the arenas."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, np.ndarray]] = []
        self._groups: list[Group] = []

    def add(self, key: str, initial: np.ndarray) -> int:
        """Register a 1-D or 2-D (row-major) array under ``key``; return its slot number."""
        array = np.ascontiguousarray(initial)
        if array.ndim not in (1, 2):
            raise BuildError(f"state array {key!r} must be 1-D or 2-D, got shape {array.shape}")
        if array.dtype not in _KIND_OF_DTYPE:
            raise BuildError(
                f"state array {key!r} has dtype {array.dtype}; accepted: "
                + ", ".join(str(d) for d in ARENA_KINDS.values())
            )
        self._entries.append((key, array))
        return len(self._entries) - 1

    def add_group(
        self, variable: str, cls: type, prefix: str, arrays: dict[str, np.ndarray]
    ) -> None:
        """Register the arrays of NamedTuple ``cls`` (keys ``prefix + field``) as one group."""
        fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
        missing = [name for name in fields if name not in arrays]
        extra = [name for name in arrays if name not in fields]
        if missing or extra:
            raise BuildError(
                f"arrays for {cls.__name__}: missing fields {missing}, unknown fields {extra}"
            )
        slots, kinds, widths = [], [], []
        for name in fields:
            slot = self.add(prefix + name, arrays[name])
            array = self._entries[slot][1]
            slots.append(slot)
            kinds.append(_KIND_OF_DTYPE[array.dtype])
            widths.append(array.shape[1] if array.ndim == 2 else 0)
        self._groups.append(Group(variable, cls, tuple(slots), tuple(kinds), tuple(widths)))

    def finish(self) -> Arenas:
        """Allocate the arenas, copy the initial values in and return the views."""
        sizes = dict.fromkeys(ARENA_KINDS, 0)
        layout = np.zeros(2 * len(self._entries), dtype=np.int64)
        kinds: dict[str, str] = {}
        for slot, (key, array) in enumerate(self._entries):
            kind = _KIND_OF_DTYPE[array.dtype]
            start = -(-sizes[kind] // _ALIGN) * _ALIGN
            layout[2 * slot], layout[2 * slot + 1] = start, start + array.size
            sizes[kind] = start + array.size
            kinds[key] = kind
        arrays = {
            kind: np.zeros(max(size, 1), dtype=ARENA_KINDS[kind]) for kind, size in sizes.items()
        }
        views: dict[str, np.ndarray] = {}
        for slot, (key, array) in enumerate(self._entries):
            view = arrays[kinds[key]][layout[2 * slot] : layout[2 * slot + 1]].reshape(array.shape)
            view[...] = array
            views[key] = view
        return Arenas(arrays, layout, views, list(self._groups), kinds)
