"""Gymnasium registration of the neurocontrol environments.

Entry points are strings, so registering imports neither PyBullet nor the
env modules; ``gymnasium.make`` imports them on first use (in the worker
process, for vector envs).

Importing :mod:`neurocontrol` registers the environments without importing
Gymnasium itself (about 50 ms of CPU that the spiking core never needs):
if Gymnasium is already imported they are registered at once, otherwise a
one-shot import hook registers them right after Gymnasium's own import
finishes, so ``gymnasium.make("neurocontrol/...")`` works in either order.
(Gymnasium 1.x has no plugin entry points, and ``gymnasium.register``
cannot be reached without executing ``gymnasium/__init__``, which imports
its vector envs and wrappers.)
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["ENV_IDS", "register_envs", "register_envs_when_gymnasium_loads"]

#: id -> (entry point, max_episode_steps at the default dt of 1 ms): one full
#: centre-out-and-back cycle (16 x 0.75 s) for the reach tasks, 5 s for ArmPress
_ENVS: dict[str, tuple[str, int]] = {
    "neurocontrol/PlanarReach-v0": ("neurocontrol.envs:PlanarReachEnv", 12_000),
    "neurocontrol/ArmReach-v0": ("neurocontrol.envs:ArmReachEnv", 12_000),
    "neurocontrol/ArmPress-v0": ("neurocontrol.envs:ArmPressEnv", 5_000),
}

ENV_IDS: tuple[str, ...] = tuple(_ENVS)


def register_envs() -> None:
    """Register every env id with Gymnasium (idempotent; imports Gymnasium)."""
    import gymnasium

    for env_id, (entry_point, max_episode_steps) in _ENVS.items():
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(id=env_id, entry_point=entry_point, max_episode_steps=max_episode_steps)


class _RegisteringLoader(importlib.abc.Loader):
    """Gymnasium's own loader, registering the envs once its module has executed."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register_envs()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


class _GymnasiumImportHook(importlib.abc.MetaPathFinder):
    """Finds ``gymnasium`` through the other finders and wraps its loader (one shot)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "gymnasium":
            return None
        _remove_hook()
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = None if find_spec is None else find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


def _remove_hook() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _GymnasiumImportHook)]


def register_envs_when_gymnasium_loads() -> None:
    """Register the envs now if Gymnasium is imported, else right after it is."""
    if "gymnasium" in sys.modules:
        register_envs()
    elif not any(isinstance(f, _GymnasiumImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _GymnasiumImportHook())
