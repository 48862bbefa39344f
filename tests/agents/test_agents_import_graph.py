"""The modules of neurocontrol.agents import each other without cycles, at module level only."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from pathlib import Path

import neurocontrol.agents

AGENTS = "neurocontrol.agents"
#: Imports allowed inside functions: optional, heavy dependencies loaded only when used.
LAZY_IMPORTS = {(f"{AGENTS}.policy", "stable_baselines3")}


def _agent_modules() -> list[str]:
    return sorted(
        f"{AGENTS}.{info.name}" for info in pkgutil.iter_modules(neurocontrol.agents.__path__)
    )


def _source(module: str) -> tuple[ast.Module, bool]:
    """The parsed source of ``module`` and whether it is a package."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return ast.parse(
        Path(spec.origin).read_text(), spec.origin
    ), spec.submodule_search_locations is not None


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and ast.unparse(test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _imports(module: str) -> tuple[set[str], set[str]]:
    """``(run at import time, run inside functions)``: the neurocontrol modules and other
    top-level names ``module`` imports."""
    tree, is_package = _source(module)
    package = module if is_package else module.rpartition(".")[0]
    eager: set[str] = set()
    lazy: set[str] = set()

    def targets(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            return {alias.name for alias in node.names}
        base = node.module or ""
        if node.level:  # relative: resolved against this module's package
            parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            base = f"{parent}.{base}" if base else parent
        found = set()
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            found.add(sub if base.startswith("neurocontrol") and _is_module(sub) else base)
        return found

    def visit(node: ast.AST, in_function: bool) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            (lazy if in_function else eager).update(targets(node))
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return eager, lazy


def _graph() -> dict[str, set[str]]:
    """Module-level imports among the neurocontrol modules reachable from neurocontrol.agents."""
    graph: dict[str, set[str]] = {}
    todo = _agent_modules()
    while todo:
        module = todo.pop()
        if module in graph:
            continue
        eager, _ = _imports(module)
        graph[module] = {name for name in eager if name.split(".")[0] == "neurocontrol"}
        todo.extend(graph[module] - set(graph))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_agents_modules_import_each_other_without_a_cycle():
    graph = _graph()
    assert {f"{AGENTS}.agent", f"{AGENTS}.base_controllers", f"{AGENTS}.factory"} <= set(graph)
    assert f"{AGENTS}.agent" in graph[f"{AGENTS}.base_controllers"]  # the graph sees imports
    cycles = [c for c in _cycles(graph) if any(m.startswith(f"{AGENTS}.") for m in c)]
    assert not cycles, f"import cycles through neurocontrol.agents: {cycles}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_agents_module_imports_inside_a_function_except_optional_heavy_dependencies():
    lazy = {(module, name) for module in _agent_modules() for name in _imports(module)[1]}
    assert lazy == LAZY_IMPORTS
