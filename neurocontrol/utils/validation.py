"""Small validators shared by model descriptions, envs and agents.

They raise :mod:`neurocontrol.errors` exceptions whose message names the
field, the bad value and what is accepted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurocontrol.errors import ConfigError, ShapeError

__all__ = [
    "numeric_vector",
    "require_finite",
    "require_finite_array",
    "require_in",
    "require_int",
    "require_nonnegative",
    "require_optional_positive",
    "require_positive",
]


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def require_finite(name: str, value: Any) -> float:
    """Return ``value`` as float if it is a finite real number, else raise ConfigError."""
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def require_positive(name: str, value: Any) -> float:
    """Return ``value`` as float if it is finite and > 0."""
    if not _is_real(value) or not math.isfinite(float(value)) or float(value) <= 0:
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def require_optional_positive(name: str, value: Any) -> float | None:
    """Return None, or ``value`` as float if it is finite and > 0."""
    return None if value is None else require_positive(name, value)


def require_nonnegative(name: str, value: Any) -> float:
    """Return ``value`` as float if it is finite and >= 0."""
    if not _is_real(value) or not math.isfinite(float(value)) or float(value) < 0:
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def require_int(name: str, value: Any, minimum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer (not bool) and >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def require_in(name: str, value: Any, allowed: Any) -> Any:
    """Return ``value`` if it is one of ``allowed``."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ConfigError(f"{name} must be one of {choices}; got {value!r}")
    return value


def require_finite_array(
    name: str, value: Any, shape: tuple[int, ...] | None = None, dtype: Any = np.float64
) -> np.ndarray:
    """Return ``value`` as an array of ``dtype``, checking its shape and that it is finite."""
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be numeric array-like, got {type(value).__name__}") from exc
    if shape is not None and array.shape != tuple(shape):
        raise ShapeError(f"{name} must have shape {tuple(shape)}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ConfigError(f"{name} must be finite (no NaN or inf), got {array!r}")
    return array


def numeric_vector(name: str, value: Any, size: int) -> np.ndarray:
    """``value`` as a float64 vector of length ``size`` (copied only if it is not one already).

    ShapeError when it is not numeric or has another shape; finiteness is the
    caller's to check (a kernel scans for it before it changes anything).
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(
            f"{name} must be numeric with shape ({size},), got {type(value).__name__}"
        ) from exc
    if array.shape != (size,):
        raise ShapeError(f"{name} must have shape ({size},), got {array.shape}")
    return array
