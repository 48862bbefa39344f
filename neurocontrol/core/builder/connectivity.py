"""Synapse arrays of a projection: dense rows or CSR, optional CSC or post-major form.

Weights are float32, indices int32. Random patterns and weights are drawn
from a generator seeded per projection, so a network is a pure function of
its description and the simulator's seed.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurocontrol.core.kernels.step.synapses import NARROW_INDEX_LIMIT
from neurocontrol.core.model.connectivity import (
    AllToAll,
    Connectivity,
    ExplicitMatrix,
    FixedProbability,
    OneToOne,
    WeightInit,
)
from neurocontrol.core.model.network import Projection
from neurocontrol.errors import BuildError
from neurocontrol.utils.fileio import atomic_write

__all__ = [
    "PostMajorArrays",
    "ProjectionArrays",
    "build_projection_arrays",
    "column_view",
    "post_major_view",
]

_ROW_CHUNK_CELLS = 4_000_000  # random draws per chunk when sampling a sparse pattern
#: Patterns of at least this many cells are cached on disk (drawing 10k x 10k cells
#: takes about 1 s, 1k x 1k about 15 ms; reading the CSR arrays back 2 ms). Smaller
#: ones are redrawn.
CACHE_MIN_CELLS = 1_000_000
_PATTERN_CACHE_VERSION = "1"
#: Packed CSC entries (row << offset_bits | offset) must stay below this (int32).
PACK_LIMIT = 2**31


@dataclass
class ProjectionArrays:
    """Weights and indices of one projection (indices/indptr empty when dense)."""

    dense: bool
    weights: np.ndarray  # float32
    indices: np.ndarray  # int32, post-local column of each synapse (CSR)
    indptr: np.ndarray  # int32, [n_pre + 1]

    @property
    def n_syn(self) -> int:
        return int(self.weights.size)


def _initial_weights(projection: Projection, rng: np.random.Generator, count: int) -> np.ndarray:
    weights = projection.weights
    if isinstance(weights, WeightInit):
        values = weights.sample(rng, count)
    else:
        values = np.broadcast_to(np.asarray(weights, dtype=np.float64), (count,))
    return _as_float32(values)


def _as_float32(values: np.ndarray) -> np.ndarray:
    # No clipping to a sign constraint: Projection refuses weights (and initialisers
    # whose support) of the wrong sign, so what was drawn is what is stored.
    return np.ascontiguousarray(values, dtype=np.float32).ravel()


def _sparse_pattern(
    connectivity: FixedProbability, n_pre: int, n_post: int, same: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of a fixed-probability pattern, sampled in row chunks."""
    rows_per_chunk = max(1, _ROW_CHUNK_CELLS // max(n_post, 1))
    counts = np.zeros(n_pre, dtype=np.int64)
    columns: list[np.ndarray] = []
    for first in range(0, n_pre, rows_per_chunk):
        last = min(n_pre, first + rows_per_chunk)
        mask = rng.random((last - first, n_post)) < connectivity.p
        if same and not connectivity.allow_self_connections:
            local = np.arange(first, last)
            mask[local - first, local] = False
        counts[first:last] = mask.sum(axis=1)
        columns.append(np.nonzero(mask)[1].astype(np.int32))
    indptr = np.zeros(n_pre + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    if indptr[-1] >= np.iinfo(np.int32).max:
        raise BuildError(f"projection has {indptr[-1]} synapses; at most 2**31 - 1 are supported")
    indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32)
    return indptr.astype(np.int32), indices


def _pattern_path(
    connectivity: FixedProbability, n_pre: int, n_post: int, same: bool, rng: np.random.Generator
) -> Path:
    from neurocontrol.core.builder.codegen import cache_directory

    key = json.dumps(
        [
            _PATTERN_CACHE_VERSION,
            np.__version__,
            repr(connectivity.p),
            connectivity.allow_self_connections,
            same,
            n_pre,
            n_post,
            rng.bit_generator.state,
        ],
        sort_keys=True,
        default=str,
    )
    name = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_directory() / "patterns" / f"pattern_{name}.npz"


def _cached_sparse_pattern(
    connectivity: FixedProbability, n_pre: int, n_post: int, same: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_sparse_pattern`, read back from the cache when drawn before.

    The key holds every input of the draw, the generator's state included;
    the entry holds the generator's state after the draw, which is restored,
    so the weights drawn next (and the whole network) are bit-identical to
    an uncached build. An unreadable entry is redrawn; a failed write only
    costs the next build the draw.
    """
    if n_pre * n_post < CACHE_MIN_CELLS:
        return _sparse_pattern(connectivity, n_pre, n_post, same, rng)
    path = _pattern_path(connectivity, n_pre, n_post, same, rng)
    try:
        with np.load(path, allow_pickle=False) as stored:
            indptr, indices = stored["indptr"], stored["indices"]
            state = json.loads(str(stored["state_after"]))
        if indptr.shape == (n_pre + 1,) and indices.shape == (int(indptr[-1]),):
            rng.bit_generator.state = state
            return indptr, indices
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        pass  # missing or unreadable entry: drawn afresh below
    indptr, indices = _sparse_pattern(connectivity, n_pre, n_post, same, rng)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "wb") as handle:
            np.savez(
                handle,
                indptr=indptr,
                indices=indices,
                state_after=np.array(json.dumps(rng.bit_generator.state)),
            )
    except OSError:
        pass  # a cache that cannot be written only costs the next build the draw
    return indptr, indices


def build_projection_arrays(projection: Projection, rng: np.random.Generator) -> ProjectionArrays:
    """The synapse arrays of ``projection``; random draws come from ``rng``."""
    connectivity: Connectivity = projection.connectivity
    n_pre, n_post = projection.pre.n, projection.post.n
    empty_i4 = np.zeros(0, dtype=np.int32)
    if isinstance(connectivity, ExplicitMatrix):
        return ProjectionArrays(True, _as_float32(connectivity.matrix), empty_i4, empty_i4)
    if isinstance(connectivity, AllToAll):
        if isinstance(projection.weights, np.ndarray) and projection.weights.ndim == 2:
            weights = _as_float32(projection.weights)
        else:
            weights = _initial_weights(projection, rng, n_pre * n_post)
        return ProjectionArrays(True, weights, empty_i4, empty_i4)
    if isinstance(connectivity, OneToOne):
        indptr = np.arange(n_pre + 1, dtype=np.int32)
        indices = np.arange(n_pre, dtype=np.int32)
        if isinstance(projection.weights, np.ndarray) and projection.weights.ndim == 1:
            weights = _as_float32(projection.weights)
        else:
            weights = _initial_weights(projection, rng, n_pre)
        return ProjectionArrays(False, weights, indices, indptr)
    if isinstance(connectivity, FixedProbability):
        if connectivity.seed is not None:
            rng = np.random.default_rng(connectivity.seed)
        same = projection.pre is projection.post
        indptr, indices = _cached_sparse_pattern(connectivity, n_pre, n_post, same, rng)
        weights = _initial_weights(projection, rng, int(indptr[-1]))
        return ProjectionArrays(False, weights, indices, indptr)
    raise BuildError(
        f"no connectivity builder for type {type(connectivity).__name__}; known types: "
        "AllToAll, ExplicitMatrix, FixedProbability, OneToOne"
    )


def column_view(
    arrays: ProjectionArrays, n_post: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """CSC view of a sparse projection: ``col_ptr``, ``col_syn``, ``row_hint``, shifts.

    ``col_syn`` has one entry per synapse, column by column, ascending
    within a column. When a presynaptic row and an offset within a row fit
    in 31 bits together, an entry is ``(row << offset_bits) | offset`` and
    ``offset_bits >= 0``: a column walk then reads the row directly (no
    search, no data-dependent branch) and the synapse number is
    ``indptr[row] + offset``. Otherwise ``offset_bits = -1`` and an entry is
    the local synapse number; ``row_hint[b]`` is the row holding synapse
    ``b << hint_shift`` (block size the largest power of two not above the
    mean row length), so finding a synapse's row takes about one step.

    Returns
    -------
    col_ptr, col_syn, row_hint : int32 arrays
    hint_shift, offset_bits : int
    """
    indices, indptr = arrays.indices, arrays.indptr
    n_syn = indices.size
    n_pre = indptr.size - 1
    order = np.argsort(indices, kind="stable")
    col_ptr = np.zeros(n_post + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=n_post), out=col_ptr[1:])
    row_lengths = np.diff(indptr.astype(np.int64))
    max_row = int(row_lengths.max()) if n_pre else 0
    offset_bits = max(max_row - 1, 0).bit_length()
    if n_pre == 0 or ((n_pre - 1) << offset_bits) < PACK_LIMIT:
        rows = np.repeat(np.arange(n_pre, dtype=np.int64), row_lengths)
        offsets = np.arange(n_syn, dtype=np.int64) - indptr[rows]
        packed = (rows << offset_bits) | offsets
        return col_ptr.astype(np.int32), packed[order].astype(np.int32), _EMPTY_I4, 0, offset_bits
    mean_row = max(1, n_syn // max(n_pre, 1))
    hint_shift = int(np.floor(np.log2(mean_row)))
    block_starts = np.arange(0, max(n_syn, 1), 1 << hint_shift, dtype=np.int64)
    row_hint = (np.searchsorted(indptr, block_starts, side="right") - 1).astype(np.int32)
    row_hint = np.minimum(row_hint, max(n_pre - 1, 0)).astype(np.int32)
    return col_ptr.astype(np.int32), order.astype(np.int32), row_hint, hint_shift, -1


_EMPTY_I4 = np.zeros(0, dtype=np.int32)


@dataclass
class PostMajorArrays:
    """A sparse projection stored by postsynaptic neuron, with a packed presynaptic view.

    Synapse ``k`` (local) lies in column ``j`` when ``col_ptr[j] <= k <
    col_ptr[j + 1]``; its weight is ``weights[k]`` and its presynaptic
    neuron ``pre_indices[k]`` (ascending within a column). Row ``i`` is
    ``row_entries[row_ptr[i] : row_ptr[i + 1]]`` (ascending postsynaptic
    neuron), each entry ``(j << offset_bits) | (k - col_ptr[j])``. A
    postsynaptic walk is contiguous; a presynaptic walk reads one packed
    entry and one column pointer per synapse. 10 bytes per synapse
    (uint16 presynaptic indices: the form needs at most 65,536 presynaptic
    neurons).
    """

    weights: np.ndarray  # float32 [n_syn]
    pre_indices: np.ndarray  # uint16 [n_syn]
    col_ptr: np.ndarray  # int32 [n_post + 1]
    row_ptr: np.ndarray  # int32 [n_pre + 1]
    row_entries: np.ndarray  # int32 [n_syn]
    offset_bits: int

    @property
    def n_syn(self) -> int:
        return int(self.weights.size)


def post_major_view(arrays: ProjectionArrays, n_post: int) -> PostMajorArrays | None:
    """``arrays`` (CSR) reordered by postsynaptic neuron; None if it does not fit the form.

    It does not when its entries cannot be packed or when it has more than
    65,536 presynaptic neurons (uint16 presynaptic indices).

    The weights are the same values, permuted: CSR synapse ``c`` becomes
    post-major synapse ``order_inverse[c]``.
    """
    indices, indptr = arrays.indices, arrays.indptr.astype(np.int64)
    n_pre, n_syn = indptr.size - 1, indices.size
    if n_pre > NARROW_INDEX_LIMIT:
        return None
    counts = np.bincount(indices, minlength=n_post)
    max_column = int(counts.max()) if n_post else 0
    offset_bits = max(max_column - 1, 0).bit_length()
    if n_post and ((n_post - 1) << offset_bits) >= PACK_LIMIT:
        return None
    col_ptr = np.zeros(n_post + 1, dtype=np.int64)
    np.cumsum(counts, out=col_ptr[1:])
    order = np.argsort(indices, kind="stable")  # by column, ascending row within a column
    rows = np.repeat(np.arange(n_pre, dtype=np.int64), np.diff(indptr))
    position = np.empty(n_syn, dtype=np.int64)
    position[order] = np.arange(n_syn, dtype=np.int64)
    columns = indices.astype(np.int64)
    packed = (columns << offset_bits) | (position - col_ptr[columns])
    return PostMajorArrays(
        weights=np.ascontiguousarray(arrays.weights[order]),
        pre_indices=rows[order].astype(np.uint16),
        col_ptr=col_ptr.astype(np.int32),
        row_ptr=arrays.indptr.astype(np.int32),
        row_entries=packed.astype(np.int32),
        offset_bits=offset_bits,
    )
