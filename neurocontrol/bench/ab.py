"""A/B: one workload run in this checkout and in another git revision, in alternating rounds.

::

    python -m neurocontrol.bench.ab --against HEAD~1 agent '{"type": "adaptive_spiking"}'
    neurocontrol bench ab --against HEAD~1 --figure 'workloads.*.us_per_step' \\
        suite snn --steps 2000 --no-start

Both sides are staged, without pip, as importable trees in a scratch
directory (:mod:`~neurocontrol.bench.staging`: the install layout, ``envs/``
and ``agents/`` as ``neurocontrol/envs`` and ``neurocontrol/agents``). The
old side (``--against``) comes from ``git archive``; the new side is the
working tree as it is (uncommitted changes included) or ``--new REV``. Each
run is a fresh child process (:mod:`~neurocontrol.bench.ab_child`) with
``PYTHONPATH`` set to one tree and a step cache of its own
(``NEUROCONTROL_CACHE_DIR``; numba's cache lives beside each tree's sources);
it checks that neurocontrol came from that tree and prints one JSON line.
After a warm-up run per tree (compiling), rounds alternate old/new, new/old,
... (so that a drift of the machine's speed falls on both sides alike), and
the report gives each figure per round, the medians, and new/old per round
with its median and spread.

Workloads: ``agent`` times act + observe per step (the loop's ``agent_us``)
of one or more agent specs on an env with a curl field, the specs interleaved
in chunks within each run (:func:`~neurocontrol.bench.interleave.time_agents`);
``suite`` runs ``bench SUITE --json ARGS`` and compares its numbers.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.bench.staging import Side, repository, stage_side
from neurocontrol.errors import ConfigError, NeuroControlError
from neurocontrol.utils.arguments import env_id, positive_float, positive_int

__all__ = [
    "AGENT_FIGURES",
    "ChildError",
    "add_arguments",
    "compare",
    "flatten",
    "format_table",
    "main",
    "round_orders",
    "run",
    "run_ab",
    "run_child",
    "write_probe",
]

#: Figures an ``agent`` workload compares unless ``--figure`` says otherwise.
AGENT_FIGURES = ("*.agent.p50_us", "*.agent.p99_us")
_CHILD_FILES = ("ab_child.py", "interleave.py")


class ChildError(NeuroControlError, RuntimeError):
    """A child run failed, or did not run in the tree it was given; the message says why."""


def write_probe(folder: Path) -> Path:
    """Copy the child program and its helper into ``folder`` (created), alone; ``folder``."""
    folder.mkdir(parents=True)
    for name in _CHILD_FILES:
        shutil.copy2(Path(__file__).with_name(name), folder / name)
    return folder


def run_child(side: Side, request: Mapping[str, Any], probe: Path, scratch: Path) -> dict[str, Any]:
    """Run ``request`` in a fresh process on ``side``'s tree; its result line.

    The result holds ``figures`` and ``neurocontrol``, the real path of the
    ``neurocontrol/__init__.py`` the child imported.

    Raises
    ------
    ChildError
        If the child fails (with the end of its stderr), prints no result
        line, or imported neurocontrol from elsewhere than ``side.tree``.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PYTHONPATH=str(side.tree), NEUROCONTROL_CACHE_DIR=str(side.cache))
    # cwd: a scratch folder, so that no neurocontrol/ folder of the caller's is importable
    done = subprocess.run(
        [
            sys.executable,
            str(probe / "ab_child.py"),
            json.dumps({**request, "tree": str(side.tree)}),
        ],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ChildError(
            f"the {side.name} side, {side.label}, failed (exit {done.returncode}); "
            f"its stderr ends:\n{done.stderr[-4000:]}"
        )
    result = _result_line(done.stdout)
    if result is None:
        raise ChildError(
            f"the {side.name} side, {side.label}, printed no result line; its stdout ends:\n"
            f"{done.stdout[-2000:]}\nits stderr ends:\n{done.stderr[-2000:]}"
        )
    if side.tree.resolve() not in Path(result["neurocontrol"]).parents:
        raise ChildError(
            f"the {side.name} side imported {result['neurocontrol']}, not its tree {side.tree}"
        )
    return result


def _result_line(stdout: str) -> dict[str, Any] | None:
    # the last JSON line with figures: libraries' C code may print after it (at exit)
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                continue
            if isinstance(result, dict) and "figures" in result:
                return result
    return None


def flatten(figures: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """The numbers of a nested report as (dotted key, value); lists and text are left out."""
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, name + ".")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield name, float(value)


def _selected(key: str, patterns: Sequence[str]) -> bool:
    # a pattern names a figure, a glob of figures, or everything under a prefix
    return any(fnmatch.fnmatchcase(key, p) or fnmatch.fnmatchcase(key, p + ".*") for p in patterns)


def round_orders(rounds: int) -> list[tuple[str, str]]:
    """Which side runs first in each round: old/new, new/old, old/new, ..."""
    return [("old", "new") if r % 2 == 0 else ("new", "old") for r in range(rounds)]


def compare(runs: Mapping[str, Sequence[Mapping[str, float]]]) -> dict[str, dict[str, Any]]:
    """Per figure of both sides' runs: the values per round, medians, and new/old.

    ``runs["old"][r]`` and ``runs["new"][r]`` are round ``r``'s flattened
    figures; a figure missing from any run is left out. The ratio per round
    divides figures measured in the same round, next to each other.
    """
    keys = [
        key
        for key in runs["new"][0]
        if all(key in run for side in ("old", "new") for run in runs[side])
    ]
    table: dict[str, dict[str, Any]] = {}
    for key in keys:
        old = np.array([run[key] for run in runs["old"]])
        new = np.array([run[key] for run in runs["new"]])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = new / old
            ratio_of_medians = float(np.median(new) / np.median(old))
        table[key] = {
            "old": old.tolist(),
            "new": new.tolist(),
            "old_median": float(np.median(old)),
            "new_median": float(np.median(new)),
            "ratio_per_round": ratios.tolist(),
            "ratio_median": float(np.median(ratios)),
            "ratio_min": float(ratios.min()),
            "ratio_max": float(ratios.max()),
            "ratio_of_medians": ratio_of_medians,
        }
    return table


def _specs(texts: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Agent specs from JSON texts, by name: their type, numbered from the second of a type on."""
    specs: dict[str, dict[str, Any]] = {}
    for text in texts:
        try:
            spec = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"agent spec {text!r} is not JSON: {exc}") from exc
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise ConfigError(f"agent spec {text!r} must be a JSON object with a 'type'")
        name, n = spec["type"], 2
        while name in specs:
            name, n = f"{spec['type']}#{n}", n + 1
        specs[name] = spec
    return specs


def _request(args: argparse.Namespace) -> dict[str, Any]:
    if args.workload == "agent":
        if args.seconds <= 0:
            raise ConfigError(f"--seconds must be positive, got {args.seconds}")
        return {
            "workload": "agent",
            "env": args.env,
            "seconds": args.seconds,
            "specs": _specs(args.specs),
        }
    if args.suite == "ab":
        raise ConfigError("suite ab would compare the harness with itself; name a benchmark suite")
    return {"workload": "suite", "suite": args.suite, "args": list(args.suite_args)}


def run_ab(
    request: Mapping[str, Any],
    against: str,
    *,
    new: str | None = None,
    rounds: int = 6,
    figures: Sequence[str] = ("*",),
    repo: str | Path | None = None,
) -> dict[str, Any]:
    """Run ``request`` (an :mod:`~neurocontrol.bench.ab_child` request) on both sides.

    Parameters
    ----------
    request
        The workload, without ``tree``.
    against
        The old side: a git revision of ``repo``.
    new
        The new side: a revision, or None for the working tree as it is.
    rounds
        Rounds after the warm-up run per side.
    figures
        Dotted names, globs or prefixes of the figures to compare.
    repo
        The git checkout (default: the one holding the running neurocontrol).

    Returns
    -------
    dict
        ``sides`` (label, commit, the ``neurocontrol/__init__.py`` each side's
        children imported), ``order``, ``figures`` (as :func:`compare`, the
        selected ones) and ``unmatched`` (selected figures one side lacks).

    Raises
    ------
    ConfigError
        For a bad revision, repository or ``rounds``, or when no figure is selected.
    ChildError
        When a child run fails (a bad spec, for one: the message ends with its stderr).
    """
    if rounds < 1:
        raise ConfigError(f"rounds must be at least 1, got {rounds}")
    repo = repository(repo)
    with tempfile.TemporaryDirectory(prefix="neurocontrol-ab-") as scratch_name:
        scratch = Path(scratch_name)
        probe = write_probe(scratch / "probe")
        sides = {
            "old": stage_side("old", repo, against, scratch),
            "new": stage_side("new", repo, new, scratch),
        }
        runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
        # warm-up: numba compiles, the step cache fills; and where each side imports from
        imported = {
            name: run_child(side, request, probe, scratch)["neurocontrol"]
            for name, side in sides.items()
        }
        orders = round_orders(rounds)
        for order in orders:
            for name in order:
                result = run_child(sides[name], request, probe, scratch)
                runs[name].append(dict(flatten(result["figures"])))
    selected = {
        name: [{k: v for k, v in run.items() if _selected(k, figures)} for run in side_runs]
        for name, side_runs in runs.items()
    }
    compared = compare(selected)
    if not compared:
        raise ConfigError(
            f"no figure of both sides matches {list(figures)}; the new side has "
            f"{sorted(runs['new'][0])[:40]}"
        )
    every = set().union(*(run for side_runs in selected.values() for run in side_runs))
    return {
        "sides": {
            name: {"label": side.label, "commit": side.commit, "neurocontrol": imported[name]}
            for name, side in sides.items()
        },
        "rounds": rounds,
        "order": [list(order) for order in orders],
        "figures": compared,
        "unmatched": sorted(every - set(compared)),
    }


def format_table(report: Mapping[str, Any]) -> list[str]:
    """The printable lines of a :func:`run_ab` report."""
    sides, orders = report["sides"], report["order"]
    lines = [
        f"A/B, {report['rounds']} round{'s' if report['rounds'] != 1 else ''} after a warm-up "
        "run per side, in the order "
        + ", ".join("/".join(order) for order in orders[:2])
        + (", ..." if len(orders) > 2 else ""),
        f"old: {sides['old']['label']}",
        f"new: {sides['new']['label']}",
        f"{'figure':<40}{'old median':>12}{'new median':>12}{'new/old':>9}"
        "  new/old per round: median (min-max)",
    ]
    for key, row in report["figures"].items():
        lines.append(
            f"{key:<40}{row['old_median']:>12.4g}{row['new_median']:>12.4g}"
            f"{row['ratio_of_medians']:>9.3f}  {row['ratio_median']:.3f} "
            f"({row['ratio_min']:.3f}-{row['ratio_max']:.3f})"
        )
        for side in ("old", "new"):
            lines.append(f"    {side} per round: " + " ".join(f"{v:.4g}" for v in row[side]))
    if report["unmatched"]:
        lines.append("only on one side: " + ", ".join(report["unmatched"]))
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the harness (``--json`` comes from the caller's parser)."""
    parser.add_argument(
        "--against", required=True, metavar="REV", help="the old side: a git revision"
    )
    parser.add_argument(
        "--new", metavar="REV", help="the new side: a git revision (default: the working tree)"
    )
    parser.add_argument(
        "--rounds", type=positive_int, default=6, help="rounds after the warm-up run per side (6)"
    )
    parser.add_argument(
        "--figure",
        action="append",
        metavar="PATTERN",
        help="dotted name, glob or prefix of a figure to compare; repeatable "
        f"(agent: {' '.join(AGENT_FIGURES)}; suite: all)",
    )
    parser.add_argument("--repo", help="the git checkout (default: the running neurocontrol's)")
    workloads = parser.add_subparsers(dest="workload", required=True, metavar="WORKLOAD")
    agent = workloads.add_parser(
        "agent",
        help="act + observe us per step of agent specs on an env, interleaved in chunks",
        description="Per-step agent time (the loop's agent_us: act + observe) of each spec on "
        "its own env with a curl field on at 1 s, after an untimed warm-up episode; several "
        "specs are interleaved in chunks within each run.",
    )
    agent.add_argument(
        "specs",
        nargs="+",
        metavar="SPEC",
        help='agent spec as JSON, e.g. \'{"type": "adaptive_spiking"}\'',
    )
    agent.add_argument(
        "--env", type=env_id, default="neurocontrol/PlanarReach-v0", help="env id (PlanarReach)"
    )
    agent.add_argument(
        "--seconds", type=positive_float, default=2.0, help="simulated s per spec and run (2)"
    )
    suite = workloads.add_parser(
        "suite",
        help="a benchmark suite's --json figures",
        description="Run 'neurocontrol bench SUITE --json ARGS' on both sides and compare "
        "its numbers (--figure before the workload narrows them).",
    )
    suite.add_argument("suite", help="suite name, e.g. snn or rules")
    suite.add_argument("suite_args", nargs=argparse.REMAINDER, metavar="ARGS", help="its options")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the harness from parsed arguments; the report with a printable table."""
    request = _request(args)
    default = AGENT_FIGURES if args.workload == "agent" else ("*",)
    report = run_ab(
        request,
        args.against,
        new=args.new,
        rounds=args.rounds,
        figures=args.figure or default,
        repo=args.repo,
    )
    report["workload"] = request
    report["table"] = format_table(report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m neurocontrol.bench.ab``."""
    from neurocontrol.bench import print_report

    parser = argparse.ArgumentParser(
        prog="python -m neurocontrol.bench.ab",
        description="A/B: one workload run in this checkout and in another git revision, "
        "in alternating rounds",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        print_report(run(args), args.json)
    except NeuroControlError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
