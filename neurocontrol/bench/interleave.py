"""Interleaving what a bench compares, in chunks, so that each run sees the same seconds.

Self-contained on purpose (numpy and the standard library at import): the
A/B harness (:mod:`neurocontrol.bench.ab`) copies this file beside its child
program and runs it against another revision of neurocontrol, which need
not have it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = ["CHUNKS", "CHUNK_WARMUP", "chunk_sizes", "run_interleaved"]

#: Chunks a bench repeat interleaves the networks it compares in: on a shared machine the
#: speed changes by 10-70% within seconds, so each network must see the same seconds.
CHUNKS = 20
#: Untimed steps at the start of each interleaved chunk: they bring back into the caches
#: what the other networks evicted (without them, interleaved CL-1k measured ~5% slower).
CHUNK_WARMUP = 10


def chunk_sizes(steps: int) -> list[int]:
    """``steps`` split into at most :data:`CHUNKS` near-equal chunks."""
    n_chunks = max(1, min(CHUNKS, steps))
    return [steps // n_chunks + (c < steps % n_chunks) for c in range(n_chunks)]


def run_interleaved(
    runs: Mapping[str, Callable[[int, int], Sequence[float]]], steps: int, repeats: int
) -> dict[str, list[np.ndarray]]:
    """Each run's summed figures per repeat of ``steps`` steps, the runs interleaved in chunks.

    ``runs[name](steps, warmup)`` runs ``warmup`` untimed then ``steps``
    timed steps and returns figures that add up over chunks (seconds, CPU
    seconds, counts). Chunks start with :data:`CHUNK_WARMUP` untimed steps
    when several runs share the repeat.
    """
    warmup = CHUNK_WARMUP if len(runs) > 1 else 0
    results: dict[str, list[np.ndarray]] = {name: [] for name in runs}
    for _ in range(repeats):
        totals: dict[str, np.ndarray] = {}
        for chunk in chunk_sizes(steps):
            for name, run in runs.items():
                figures = np.asarray(run(chunk, warmup), dtype=np.float64)
                totals[name] = totals[name] + figures if name in totals else figures
        for name in runs:
            results[name].append(totals[name])
    return results
