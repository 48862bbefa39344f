"""The generated step's file name follows the source of every kernel module it uses."""

from __future__ import annotations

import types

import pytest

from neurocontrol.core.builder import codegen
from neurocontrol.errors import BuildError


def _module(path: object) -> types.ModuleType:
    module = types.ModuleType("neurocontrol.core.kernels.fingerprint_probe")
    module.__file__ = None if path is None else str(path)
    return module


def test_fingerprint_changes_with_a_kernel_module_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "probe.py"
    path.write_text("X = 1\n")
    module = _module(path)
    first = codegen._fingerprint("def network_step(): pass", [module])
    assert codegen._fingerprint("def network_step(): pass", [module]) == first
    path.write_text("X = 2\n")
    assert codegen._fingerprint("def network_step(): pass", [module]) != first
    assert codegen._fingerprint("def network_step(): return", [module]) != first


def test_a_kernel_module_without_source_file_is_refused() -> None:
    with pytest.raises(BuildError, match="fingerprint_probe has no source file"):
        codegen._fingerprint("def network_step(): pass", [_module(None)])
