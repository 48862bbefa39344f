"""A NumPy generator's state as a small integer array, for checkpoints (``.npz``, no pickle)."""

from __future__ import annotations

import numpy as np

__all__ = ["rng_from_words", "rng_to_words"]

_MASK64 = (1 << 64) - 1


def rng_to_words(rng: np.random.Generator) -> np.ndarray:
    """The state of a PCG64 generator as 6 ``uint64`` words (for a state array)."""
    state = rng.bit_generator.state
    s, inc = state["state"]["state"], state["state"]["inc"]
    words = [s >> 64, s & _MASK64, inc >> 64, inc & _MASK64, state["has_uint32"], state["uinteger"]]
    return np.array(words, dtype=np.uint64)


def rng_from_words(rng: np.random.Generator, words: np.ndarray) -> None:
    """Set a PCG64 generator from :func:`rng_to_words` output."""
    w = [int(v) for v in words]
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
        "has_uint32": w[4],
        "uinteger": w[5],
    }
