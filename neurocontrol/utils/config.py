"""Typed, validated configs from plain data (YAML/JSON).

A config is a tree of frozen dataclasses; :func:`from_dict` builds one from a
mapping and rejects, with the dotted path of the key, unknown keys (listing
the allowed ones), values of the wrong type, and values outside a
``Literal`` (listing the allowed values). Constraints beyond the type live in
each dataclass's ``__post_init__``. :func:`to_dict` gives the resolved config
back as plain data, to be saved with each run (:func:`dump_yaml`).

YAML is read as YAML 1.2 reads numbers: ``1e-3`` and ``1.0e7`` are floats
(PyYAML's YAML 1.1 resolver makes them strings: it wants a dot and a signed
exponent), and written so that a string that looks like one is quoted.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

from neurocontrol.errors import ConfigError

__all__ = [
    "ConfigDumper",
    "ConfigLoader",
    "dump_yaml",
    "from_dict",
    "load_yaml",
    "read_yaml",
    "to_dict",
]

T = TypeVar("T")

#: floats with an exponent that YAML 1.2 reads as numbers and PyYAML's 1.1 resolver as
#: strings (``1e-3``, ``1.0e7``, ``2E+5``); the 1.1 forms it knows keep their resolver
_FLOAT_WITH_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_FLOAT_FIRST = list("-+0123456789.")


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``1e-3`` and ``1.0e7`` as floats (as YAML 1.2 does)."""


class ConfigDumper(yaml.SafeDumper):
    """PyYAML's safe dumper; quotes strings that :class:`ConfigLoader` would read as floats."""


for _cls in (ConfigLoader, ConfigDumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_WITH_EXPONENT, _FLOAT_FIRST)
del _cls


def read_yaml(path: str | Path) -> Any:
    """The data in a YAML file (:class:`ConfigLoader`); ConfigError naming a bad file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {str(path)!r}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config {str(path)!r} is not UTF-8 text (byte {exc.start}); expected a YAML file"
        ) from exc
    try:
        return yaml.load(text, Loader=ConfigLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {str(path)!r} is not valid YAML: {exc}") from exc
    except (ValueError, OverflowError) as exc:  # a scalar its tag cannot hold (2020-13-45)
        raise ConfigError(f"config {str(path)!r} has a value YAML cannot read: {exc}") from exc
    except RecursionError as exc:  # nesting deeper than the constructor recurses
        raise ConfigError(f"config {str(path)!r} is nested too deeply to read") from exc


def dump_yaml(data: Any) -> str:
    """``data`` (plain data, e.g. :func:`to_dict`'s) as YAML that :func:`read_yaml` reads back."""
    return yaml.dump(data, Dumper=ConfigDumper, sort_keys=False)


def load_yaml(path: str | Path, cls: type[T]) -> T:
    """Read a YAML file and validate it as ``cls``.

    Raises
    ------
    ConfigError
        If the file cannot be read, is not YAML, is empty, does not hold a
        mapping at its top level, or its data do not validate as ``cls``.
    """
    path = Path(path)
    data = read_yaml(path)
    expected = "a mapping of config keys to values (key: value lines)"
    if data is None:
        raise ConfigError(f"config {str(path)!r} is empty; expected {expected}")
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"config {str(path)!r} holds a {_yaml_kind(data)} at its top level; expected {expected}"
        )
    return from_dict(cls, data, where=path.name)


def _yaml_kind(data: Any) -> str:
    if isinstance(data, (list, tuple)):
        return "list"
    if isinstance(data, str):
        return f"string ({data[:40]!r})"
    return f"{type(data).__name__} ({data!r})"


def from_dict(cls: type[T], data: Any, where: str = "config") -> T:
    """Build the dataclass ``cls`` from ``data``, validating keys and types recursively."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping of keys to values, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields), key=repr)  # YAML keys need not be strings
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(fields))}"
        )
    hints = get_type_hints(cls)
    values = {}
    for name, value in data.items():
        values[name] = _convert(hints[name], value, f"{where}.{name}")
    missing = [
        name
        for name, f in fields.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing required key {missing[0]!r}")
    try:
        return cls(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(
            errors[0] if len(errors) == 1 else f"{where}: {value!r} fits none of {hint}"
        )
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            raise ConfigError(
                f"{where} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}"
            )
        return value
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)  # type: ignore[arg-type]
    if origin in (list, tuple, typing.Sequence) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where} must have {len(args)} entries, got {len(value)}")
            return tuple(
                _convert(a, v, f"{where}[{k}]")
                for k, (a, v) in enumerate(zip(args, value, strict=True))
            )
        item = args[0] if args else Any
        converted = [_convert(item, v, f"{where}[{k}]") for k, v in enumerate(value)]
        return tuple(converted) if origin is tuple else converted
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a mapping, got {value!r}")
        return dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        try:
            return float(value)
        except OverflowError as exc:  # an integer beyond float range
            raise ConfigError(
                f"{where} must be a number within float range, got {value!r}"
            ) from exc
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported config type {hint!r}")


def to_dict(config: Any) -> Any:
    """The config as plain data (dicts, lists, scalars), ready for YAML or JSON."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: to_dict(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, (list, tuple)):
        return [to_dict(v) for v in config]
    if isinstance(config, Mapping):
        return {k: to_dict(v) for k, v in config.items()}
    return config
