"""The ``neurocontrol`` command line: :mod:`~neurocontrol.cli.commands` (the parser and
each command), :mod:`~neurocontrol.utils.arguments` (option types)."""

from __future__ import annotations

from typing import Any

__all__ = ["main"]


def __getattr__(name: str) -> Any:  # the commands import most of the package
    if name == "main":
        from neurocontrol.cli.commands import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
