"""``argparse`` types for the command line: a bad value is one clear error line.

Each function turns the text of one option into its value, or raises
:class:`argparse.ArgumentTypeError` saying what was given and what is
accepted; argparse reports it as ``argument --steps: must be an integer >= 1;
got '0'``. argparse itself is imported only when a value is refused: the bench
suites that use these keep it out of what they import.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = [
    "env_id",
    "finite_float",
    "json_value",
    "nonnegative_float",
    "nonnegative_int",
    "positive_float",
    "positive_int",
]


def _refused(message: str) -> Exception:
    import argparse

    return argparse.ArgumentTypeError(message)


def _integer(text: str, minimum: int) -> int:
    accepted = f"must be an integer >= {minimum}; got {text!r}"
    try:
        value = int(text)
    except ValueError:
        raise _refused(accepted) from None
    if value < minimum:
        raise _refused(accepted)
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (steps, repeats, neurons)."""
    return _integer(text, 1)


def nonnegative_int(text: str) -> int:
    """An integer >= 0 (seeds)."""
    return _integer(text, 0)


def _real(text: str, accepted: str, lowest: float, inclusive: bool) -> float:
    message = f"must be a finite number {accepted}; got {text!r}"
    try:
        value = float(text)
    except ValueError:
        raise _refused(message) from None
    if not math.isfinite(value) or value < lowest or (value == lowest and not inclusive):
        raise _refused(message)
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (durations, seconds)."""
    return _real(text, "> 0", 0.0, inclusive=False)


def nonnegative_float(text: str) -> float:
    """A finite number >= 0 (onsets)."""
    return _real(text, ">= 0", 0.0, inclusive=True)


def finite_float(text: str) -> float:
    """Any finite number (signed strengths)."""
    return _real(text, "(not NaN or inf)", -math.inf, inclusive=False)


def env_id(text: str) -> str:
    """One of the package's Gymnasium env ids."""
    from neurocontrol.utils.registration import ENV_IDS

    if text not in ENV_IDS:
        raise _refused(f"must be one of {', '.join(ENV_IDS)}; got {text!r}")
    return text


def json_value(text: str) -> Any:
    """The value of a JSON text (e.g. ``'{"kind": "curl_field", "strength": 15}'``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refused(
            f'must be JSON, e.g. \'{{"kind": "curl_field", "strength": 15}}\'; got {text!r} '
            f"({exc.msg} at character {exc.pos})"
        ) from None
