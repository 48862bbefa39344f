"""The installed package holds every source folder: the pyproject's package list is whole."""

from __future__ import annotations

from pathlib import Path

import pytest

import neurocontrol

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

REPO = Path(__file__).resolve().parents[1]


def _source_packages() -> set[str]:
    """Every folder with an __init__.py under neurocontrol/, envs/ and agents/, as shipped."""
    roots = {
        "neurocontrol": "neurocontrol",
        "envs": "neurocontrol.envs",
        "agents": "neurocontrol.agents",
    }
    found = set()
    for folder, name in roots.items():
        for init in (REPO / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((name, *parts)) if parts else name)
    return found


def test_every_source_folder_is_in_the_package_list_and_nothing_else_is() -> None:
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert sorted(listed) == sorted(_source_packages())


def test_the_layers_import_and_the_package_imports_no_layer_eagerly() -> None:
    import importlib.util

    for name in sorted(_source_packages()):
        assert importlib.import_module(name).__name__ == name
    assert neurocontrol.__version__


def test_a_module_path_of_the_previous_release_imports_the_same_module_with_a_warning() -> None:
    import importlib.util
    import subprocess
    import sys

    from neurocontrol._renamed import RENAMED

    # in a fresh interpreter: this one may have imported the old paths already
    code = (
        "import importlib, warnings, neurocontrol\n"
        "from neurocontrol._renamed import RENAMED\n"
        "for old, new in sorted(RENAMED.items()):\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        module = importlib.import_module(old)\n"
        "    assert module is importlib.import_module(new), old\n"
        "    assert any(f'{old} is now {new}' in str(w.message) for w in caught), old\n"
        "import neurocontrol.model.network as a, neurocontrol.core.model.network as b\n"
        "assert a is b\n"
        "from neurocontrol._renamed import SPLIT\n"
        "for old, parts in SPLIT.items():\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        module = importlib.import_module(old)\n"
        "    assert caught, old\n"
        "    for part in parts:\n"
        "        new = importlib.import_module(part)\n"
        "        assert all(getattr(module, n) is getattr(new, n) for n in new.__all__), old\n"
        "from neurocontrol.metrics import EnergyModel, rms\n"
        "from neurocontrol.simulator import Simulator\n"
        "from neurocontrol.core.simulator import Simulator as S\n"
        "assert Simulator is S\n"
        "print('ok', len(RENAMED))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", str(len(RENAMED))]
    assert all(importlib.util.find_spec(new) for new in RENAMED.values())
