"""The child program of the A/B harness: one workload, in the tree on PYTHONPATH, one JSON line.

:mod:`neurocontrol.bench.ab` copies this file and ``interleave.py`` into a
probe folder of their own and runs ``python <probe>/ab_child.py REQUEST``
from a scratch directory with ``PYTHONPATH`` set to a staged tree, so that
``neurocontrol`` can only come from that tree while the probe's own helpers
come from this checkout. ``REQUEST`` is JSON::

    {"tree": <staged tree>, "workload": "agent", "env": <id>, "seconds": <s>,
     "specs": {<name>: <agent spec>, ...}}
    {"tree": <staged tree>, "workload": "suite", "suite": <name>, "args": [...]}

The last line printed is ``{"neurocontrol": <its __init__.py>, "figures": {...}}``.
Only the standard library and neurocontrol's public API are used here: the
tree under test may be any revision.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from typing import Any

__all__ = ["check_tree", "main"]


def check_tree(root: str) -> str:
    """Import neurocontrol and its env and agent packages; fail unless all come from ``root``.

    Returns the real path of ``neurocontrol/__init__.py``.
    """
    import neurocontrol
    import neurocontrol.agents
    import neurocontrol.envs

    root = os.path.realpath(root)
    for module in (neurocontrol, neurocontrol.envs, neurocontrol.agents):
        where = os.path.realpath(str(module.__file__))
        if os.path.commonpath([where, root]) != root:
            raise SystemExit(
                f"ab child: {module.__name__} was imported from {where}, "
                f"not from the staged tree {root}"
            )
    return os.path.realpath(str(neurocontrol.__file__))


def _agent_figures(request: dict[str, Any]) -> dict[str, Any]:
    from interleave import time_agents  # copied beside this file by the harness

    return time_agents(request["env"], request["specs"], request["seconds"])


def _suite_figures(request: dict[str, Any]) -> dict[str, Any]:
    from neurocontrol.bench import main as bench_main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        bench_main([request["suite"], "--json", *request["args"]])
    try:
        return dict(json.loads(printed.getvalue()))
    except ValueError as exc:
        raise SystemExit(
            f"ab child: bench {request['suite']} --json printed no JSON object ({exc}): "
            f"{printed.getvalue()[-2000:]}"
        ) from exc


def main(argv: list[str]) -> None:
    """Run the request in ``argv[0]`` and print its figures as one JSON line."""
    request = json.loads(argv[0])
    imported = check_tree(request["tree"])
    workloads = {"agent": _agent_figures, "suite": _suite_figures}
    figures = workloads[request["workload"]](request)
    print(json.dumps({"neurocontrol": imported, "figures": figures}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
