"""The package's layers: a module imports only from its own layer or those below it.

Bottom up: ``errors``, ``utils`` (and the package root), ``core``, ``envs``,
``agents``, ``loop``, then ``experiment``/``viz``/``interchange`` (one band:
a run's figures and its files know each other), ``sweep``, ``bench``,
``cli``. Imports made only for type checking do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = {
    "neurocontrol": "neurocontrol",
    "envs": "neurocontrol.envs",
    "agents": "neurocontrol.agents",
}
LEVEL = {
    "": 0, "errors": 0, "_renamed": 0, "utils": 1, "core": 2, "envs": 3, "agents": 4, "loop": 5,
    "experiment": 6, "viz": 6, "interchange": 6, "sweep": 7, "bench": 8, "cli": 9,
}  # fmt: skip


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LEVEL else ""


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every absolute neurocontrol import outside ``if TYPE_CHECKING``."""
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "neurocontrol"]


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = []
    for folder, package in ROOTS.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            module = ".".join((package, *parts)).removesuffix(".__init__")
            # the root registers the envs through utils; `import neurocontrol` counts as level 0
            own = LEVEL["utils"] if module == "neurocontrol" else LEVEL[_layer(module)]
            for line, name in _imports(ast.parse(path.read_text())):
                if LEVEL[_layer(name)] > own:
                    upward.append(f"{module}:{line} imports {name}")
    assert upward == []


def test_the_layer_check_sees_an_upward_import() -> None:
    tree = ast.parse("import typing\nfrom neurocontrol.loop.episode import run_episode\n")
    assert _imports(tree) == [(2, "neurocontrol.loop.episode")]
    guarded = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import neurocontrol.cli\n"
    )
    assert _imports(guarded) == []
    assert LEVEL[_layer("neurocontrol.loop.episode")] > LEVEL[_layer("neurocontrol.agents.hybrid")]
