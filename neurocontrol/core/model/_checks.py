"""Field validators shared by the model dataclasses (messages name the class and field)."""

from __future__ import annotations

from typing import Any

from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import (
    require_finite,
    require_int,
    require_nonnegative,
    require_optional_positive,
    require_positive,
)

__all__ = [
    "check_finite",
    "check_int",
    "check_name",
    "check_nonnegative",
    "check_optional_positive",
    "check_order",
    "check_positive",
]


def _label(owner: object, field: str) -> str:
    return f"{type(owner).__name__}.{field}"


def check_positive(owner: object, field: str) -> None:
    """Raise ConfigError unless ``owner.field`` is a finite number > 0."""
    require_positive(_label(owner, field), getattr(owner, field))


def check_nonnegative(owner: object, field: str) -> None:
    """Raise ConfigError unless ``owner.field`` is a finite number >= 0."""
    require_nonnegative(_label(owner, field), getattr(owner, field))


def check_finite(owner: object, field: str) -> None:
    """Raise ConfigError unless ``owner.field`` is a finite number."""
    require_finite(_label(owner, field), getattr(owner, field))


def check_optional_positive(owner: object, field: str) -> None:
    """Raise ConfigError unless ``owner.field`` is None or a finite number > 0."""
    require_optional_positive(_label(owner, field), getattr(owner, field))


def check_int(owner: object, field: str, minimum: int | None = None) -> None:
    """Raise ConfigError unless ``owner.field`` is an integer >= ``minimum``."""
    require_int(_label(owner, field), getattr(owner, field), minimum)


def check_order(owner: object, low: str, high: str) -> None:
    """Raise ConfigError unless ``owner.low < owner.high``."""
    low_value, high_value = getattr(owner, low), getattr(owner, high)
    if not low_value < high_value:
        raise ConfigError(
            f"{type(owner).__name__}: {low} must be < {high}, got {low}={low_value!r}, "
            f"{high}={high_value!r}"
        )


def check_name(owner: object, field: str) -> None:
    """Raise ConfigError unless ``owner.field`` is None or a non-empty identifier-like string."""
    value: Any = getattr(owner, field)
    if value is None:
        return
    if not isinstance(value, str) or not value or "." in value or value != value.strip():
        raise ConfigError(
            f"{_label(owner, field)} must be a non-empty string without '.' or surrounding "
            f"spaces, got {value!r}"
        )
