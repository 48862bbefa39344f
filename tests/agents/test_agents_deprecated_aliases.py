"""The old module paths still import, re-export the same objects and warn where they moved."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest

import neurocontrol.agents


def _import_afresh(monkeypatch, name: str):
    monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(name)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("neurocontrol.agents.base", r"neurocontrol\.agents\.agent\b"),
        ("neurocontrol.agents.dense", r"neurocontrol\.agents\.base_controllers.*agents\.policy"),
        ("neurocontrol.agents.rstdp", r"neurocontrol\.agents\.reward_learning"),
    ],
)
def test_an_old_module_path_warns_and_gives_the_same_objects(monkeypatch, old, new):
    with pytest.warns(DeprecationWarning, match=rf"{re.escape(old)} is deprecated.*{new}"):
        alias = _import_afresh(monkeypatch, old)
    assert alias.__all__
    for name in alias.__all__:
        assert getattr(alias, name) is getattr(neurocontrol.agents, name), name


def test_the_new_modules_import_without_a_deprecation_warning():
    """In a fresh interpreter: importing the package or its new modules warns of nothing here."""
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    import neurocontrol.agents.agent, neurocontrol.agents.base_controllers\n"
        "    import neurocontrol.agents.policy, neurocontrol.agents.reward_learning\n"
        "print([str(w.message) for w in caught if 'neurocontrol.agents' in str(w.message)])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
