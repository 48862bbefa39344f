"""The module paths of the previous release, importable for one more release.

The package was regrouped into layers (``core``, ``loop``, ``experiment``,
``viz``, ``interchange``, ``utils``, ``cli``). Importing a module by its old
path (``neurocontrol.model``, ``neurocontrol.simulator``, ...) gives the
module at its new path, the same object, with a :class:`DeprecationWarning`
naming it. :data:`RENAMED` is the whole table; the two modules whose
contents were split (:data:`SPLIT`) import as a module of the same names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__all__ = ["RENAMED", "SPLIT", "install"]

_MODULES = {
    "model": "core.model",
    "build": "core.builder",
    "kernels": "core.kernels",
    "kernels.arena_views": "core.kernels.step.arena_views",
    "kernels.coding": "core.kernels.coding",
    "kernels.control": "core.kernels.control.laws",
    "kernels.encoders": "core.kernels.step.encoders",
    "kernels.flags": "core.kernels.step.flags",
    "kernels.homeostasis": "core.kernels.step.homeostasis",
    "kernels.logarithm": "core.kernels.step.logarithm",
    "kernels.neurons": "core.kernels.step.neurons",
    "kernels.pair_stdp": "core.kernels.step.pair_stdp",
    "kernels.pes": "core.kernels.step.pes",
    "kernels.readout": "core.kernels.step.readout",
    "kernels.reward_stdp": "core.kernels.step.reward_stdp",
    "kernels.rigid_body": "core.kernels.control.rigid_body",
    "kernels.rng": "core.kernels.step.rng",
    "kernels.state": "core.kernels.step.state",
    "kernels.step": "core.kernels.step.order",
    "kernels.synapses": "core.kernels.step.synapses",
    "kernels.triplet_stdp": "core.kernels.step.triplet_stdp",
    "simulator": "core.simulator",
    "encoding": "core.encoding",
    "decoding": "core.decoding",
    "learning": "core.learning",
    "recording": "core.recording",
    "statedict": "core.statedict",
    "vector_loop": "loop.vector",
    "probes": "experiment.probes",
    "results": "experiment.results",
    "reporting": "experiment.reporting",
    "runs": "experiment.runs",
    "journal": "experiment.journal",
    "training": "experiment.training",
    "evaluate": "experiment.evaluate",
    "demo": "experiment.demo",
    "plots": "viz.plots",
    "handpaths": "viz.handpaths",
    "video": "viz.video",
    "live": "viz.live",
    "livelog": "viz.livelog",
    "nir_io": "interchange.nir_io",
    "nir_check": "interchange.nir_check",
    "config": "utils.config",
    "dotted": "utils.dotted",
    "validation": "utils.validation",
    "fileio": "utils.fileio",
    "rng": "utils.rng",
    "checkpoint": "core.checkpoint",
    "registration": "utils.registration",
    "envinfo": "cli.envinfo",
    "arguments": "utils.arguments",
}
#: Old module path -> new module path.
RENAMED = {f"neurocontrol.{old}": f"neurocontrol.{new}" for old, new in _MODULES.items()}
#: Old modules whose contents went to several new ones: importing the old path gives a module
#: holding the public names of each, the same objects.
SPLIT = {
    "neurocontrol.metrics": ("neurocontrol.utils.statistics", "neurocontrol.core.energy"),
    "neurocontrol.measures": ("neurocontrol.experiment.measures", "neurocontrol.utils.statistics"),
}
#: Old packages whose submodules moved with them (``neurocontrol.model.network``, ...).
_PACKAGES = {"neurocontrol.model": "neurocontrol.core.model",
             "neurocontrol.build": "neurocontrol.core.builder"}  # fmt: skip


def _new_name(name: str) -> str | None:
    if name in RENAMED:
        return RENAMED[name]
    if name in SPLIT:
        return " and ".join(SPLIT[name])
    for old, new in _PACKAGES.items():
        if name.startswith(old + "."):
            return new + name[len(old) :]
    return None


class _RenamedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path; loading it puts the module of the new path in its place."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        new = _new_name(name)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=name in _PACKAGES)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default blank module; exec_module puts the real one in its place

    def exec_module(self, module: ModuleType) -> None:
        new = _new_name(module.__name__)
        warnings.warn(
            f"{module.__name__} is now {new}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        if module.__name__ in SPLIT:  # the blank module gets the names of every new module
            for part in SPLIT[module.__name__]:
                source = importlib.import_module(part)
                for public in source.__all__:
                    setattr(module, public, getattr(source, public))
            return
        # the import system returns what sys.modules holds under the old name: the real module
        sys.modules[module.__name__] = importlib.import_module(new)  # type: ignore[arg-type]


def install() -> None:
    """Let the old module paths import (once per process)."""
    if not any(isinstance(f, _RenamedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _RenamedFinder())
