"""Public benchmarks: ``python -m neurocontrol.bench SUITE`` or ``neurocontrol bench SUITE``.

Each suite is a module of this package exposing ``add_arguments(parser)``
and ``run(args) -> dict``; the dict is printed as a table, or as JSON with
``--json``. Developer tools with the same interface sit beside the suites
(:data:`TOOLS`): ``bench ab`` runs a workload in this checkout and in
another git revision. Suites are imported lazily so that ``bench snn`` never imports
PyBullet and ``bench envs`` never compiles a kernel.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

__all__ = ["SUITES", "TOOLS", "main", "print_report"]

#: suite name -> (module, one-line description)
SUITES: dict[str, tuple[str, str]] = {
    "envs": ("neurocontrol.bench.envs", "env.step cost vs the bare PyBullet round trip per env"),
    "snn": ("neurocontrol.bench.snn", "closed-loop spiking network step: CL-1k, CL-10k, Brian2"),
    "loop": (
        "neurocontrol.bench.loop",
        "full closed loop: hybrid agent, spiking controller, rate twin, interleaved",
    ),
    "rules": ("neurocontrol.bench.rules", "CL-1k step cost: no learning, STDP, R-STDP, PES"),
    "sweep": (
        "neurocontrol.bench.sweep",
        "8 trials on Ray (neurocontrol sweep) against the same trials serially",
    ),
    "endurance": (
        "neurocontrol.bench.endurance",
        "10^6 closed-loop steps, resets, save/load cycles, checkpoints and runs killed",
    ),
}

#: tool name -> (module, one-line description): commands beside the suites, not benchmarks
TOOLS: dict[str, tuple[str, str]] = {
    "ab": ("neurocontrol.bench.ab", "A/B: a workload in this checkout and in a git revision"),
}


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add one sub-command per suite and tool to ``parser`` (a new one if None)."""
    import argparse  # here: the start-time measurement imports this package, not a parser

    parser = parser or argparse.ArgumentParser(
        prog="python -m neurocontrol.bench", description="neurocontrol benchmarks"
    )
    subparsers = parser.add_subparsers(dest="suite", required=True, metavar="SUITE")
    for name, (module_name, help_text) in {**SUITES, **TOOLS}.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", help="print the figures as JSON")
        sub.set_defaults(_bench_module=module_name)
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def print_report(report: dict[str, Any], as_json: bool) -> None:
    """Print a suite's report: JSON, or one ``key: value`` line per figure."""
    if as_json:
        json.dump(report, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return
    for line in report.get("table", []):
        print(line)


def run_args(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite selected in ``args`` and print its report."""
    module = importlib.import_module(args._bench_module)
    report: dict[str, Any] = module.run(args)
    print_report(report, args.json)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m neurocontrol.bench``."""
    args = build_parser().parse_args(argv)
    run_args(args)
    return 0
