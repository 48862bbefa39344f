"""A counter-free splitmix64 generator whose state lives in the network arrays.

Keeping the state in an array (not numba's hidden per-thread generator)
makes a checkpoint restore the random stream exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from neurocontrol.core.kernels.step.flags import HELPER_JIT

__all__ = ["next_normal", "next_uint64", "next_uniform"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_POW_M53 = 1.0 / 9007199254740992.0


@njit(**HELPER_JIT)
def next_uint64(state: np.ndarray) -> np.uint64:
    """Advance ``state[0]`` and return the next 64-bit output (Steele et al. 2014)."""
    state[0] = state[0] + _GOLDEN
    z = state[0]
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(**HELPER_JIT)
def next_uniform(state: np.ndarray) -> float:
    """Uniform double in [0, 1) from the top 53 bits."""
    return float(next_uint64(state) >> _S11) * _TWO_POW_M53


@njit(**HELPER_JIT)
def next_normal(state: np.ndarray) -> float:
    """Standard normal deviate (Box-Muller, one of the pair)."""
    u1 = 1.0 - next_uniform(state)
    u2 = next_uniform(state)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
