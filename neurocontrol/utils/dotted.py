"""Dotted keys into a config: ``agents."spiking (PES)".learning_rate``.

One parser for every place that names a value inside an experiment config:
``neurocontrol train --set KEY=VALUE`` and the search space of a sweep file.
A key is a dot-separated path; a part that holds anything but letters,
digits, ``_`` and ``-`` (a space, a dot, brackets) is written in double
quotes, with ``\\"`` and ``\\\\`` inside them. A part that is a whole number
indexes a list (``schedule.0.at``). Every part must name something that is
already in the config: a key that names nothing is refused with the keys
that exist at that level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from neurocontrol.errors import ConfigError
from neurocontrol.utils.config import ConfigLoader, from_dict, to_dict

__all__ = [
    "apply_overrides",
    "format_key",
    "get_dotted",
    "parse_assignment",
    "parse_key",
    "set_dotted",
]

_PLAIN = re.compile(r"[A-Za-z0-9_\-]+")
_QUOTE_HINT = (
    "write a key as dot-separated parts, quoting a part that holds spaces, dots or other "
    'signs: agents."spiking (PES)".learning_rate'
)


def parse_key(text: Any) -> tuple[str, ...]:
    """The parts of the dotted key ``text``; ConfigError naming a malformed key."""
    if not isinstance(text, str) or not text:
        raise ConfigError(f"a dotted key must be a non-empty string; got {text!r}; {_QUOTE_HINT}")
    parts: list[str] = []
    k, n = 0, len(text)
    while True:
        if k < n and text[k] == '"':
            part, k = _quoted(text, k)
        else:
            match = _PLAIN.match(text, k)
            if match is None:
                where = f"at character {k}" if k < n else "at its end"
                raise ConfigError(
                    f"dotted key {text!r} has an empty or unquoted part {where}; {_QUOTE_HINT}"
                )
            part, k = match.group(), match.end()
        parts.append(part)
        if k == n:
            return tuple(parts)
        if text[k] != ".":
            raise ConfigError(
                f"dotted key {text!r}: {text[k]!r} at character {k} must be quoted; {_QUOTE_HINT}"
            )
        k += 1


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The quoted part opening at ``start`` and the index after its closing quote."""
    out, k = [], start + 1
    while k < len(text):
        char = text[k]
        if char == "\\" and k + 1 < len(text) and text[k + 1] in '"\\':
            out.append(text[k + 1])
            k += 2
        elif char == '"':
            if k == start + 1:
                raise ConfigError(f"dotted key {text!r} has an empty quoted part; {_QUOTE_HINT}")
            return "".join(out), k + 1
        else:
            out.append(char)
            k += 1
    raise ConfigError(f"dotted key {text!r} opens a quote at character {start} and never closes it")


def format_key(parts: Sequence[str]) -> str:
    """``parts`` as a dotted key that :func:`parse_key` reads back (quoting where needed)."""
    return ".".join(
        part
        if _PLAIN.fullmatch(part)
        else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for part in parts
    )


def _step(node: Any, part: str, parts: Sequence[str], depth: int) -> tuple[Any, Any]:
    """The child of ``node`` named ``part`` and the key or index to set it with."""
    where = format_key(parts[:depth]) or "the config"
    if isinstance(node, Mapping):
        if part in node:
            return node[part], part
        valid = ", ".join(format_key([str(key)]) for key in node) or "none"
        raise ConfigError(
            f"key {format_key(parts)!r}: {part!r} names nothing in {where}; "
            f"valid keys there: {valid}"
        )
    if isinstance(node, list):
        if part.isdigit() and int(part) < len(node):
            return node[int(part)], int(part)
        raise ConfigError(
            f"key {format_key(parts)!r}: {where} is a list of {len(node)} entries; "
            f"index it with 0..{len(node) - 1}, got {part!r}"
        )
    raise ConfigError(
        f"key {format_key(parts)!r}: {where} is a value ({node!r}), not a mapping or list; "
        f"{part!r} cannot name anything inside it"
    )


def get_dotted(data: Any, key: str | Sequence[str]) -> Any:
    """The value at ``key`` in plain data ``data``; ConfigError if the key names nothing."""
    parts = parse_key(key) if isinstance(key, str) else tuple(key)
    node = data
    for depth, part in enumerate(parts):
        node, _ = _step(node, part, parts, depth)
    return node


def set_dotted(data: Any, key: str | Sequence[str], value: Any) -> None:
    """Replace the value at ``key`` in plain data ``data`` (in place); the key must exist."""
    parts = parse_key(key) if isinstance(key, str) else tuple(key)
    node = data
    for depth, part in enumerate(parts[:-1]):
        node, _ = _step(node, part, parts, depth)
    _, slot = _step(node, parts[-1], parts, len(parts) - 1)
    node[slot] = value


def parse_assignment(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` (the value read as YAML: ``1e-6`` is a number) as (key, value)."""
    import yaml

    k, quoted = 0, False
    while k < len(text):
        if text[k] == "\\" and quoted:
            k += 2
            continue
        if text[k] == '"':
            quoted = not quoted
        elif text[k] == "=" and not quoted:
            break
        k += 1
    if k >= len(text):
        raise ConfigError(
            f"--set {text!r} must be KEY=VALUE, e.g. 'agents.\"spiking (PES)\".learning_rate=1e-6'"
        )
    key, raw = text[:k], text[k + 1 :]
    parse_key(key)
    try:
        value = yaml.load(raw, Loader=ConfigLoader) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {text!r}: the value {raw!r} is not a YAML value: {exc}") from exc
    return key, value


def apply_overrides(config: Any, overrides: Mapping[str, Any], where: str = "config") -> Any:
    """A copy of the dataclass config ``config`` with each dotted key set, validated again.

    Raises
    ------
    ConfigError
        If a key names nothing in ``config`` (listing the keys at that level)
        or the changed config does not validate.
    """
    data = to_dict(config)
    for key, value in overrides.items():
        set_dotted(data, key, value)
    return from_dict(type(config), data, where=where)
