"""The README's results: figures and targets computed from run directories.

:func:`experiment_figures` reads one run directory written by
``neurocontrol train`` (its ``config.yaml``, ``summary.json`` and hybrid
logs) and computes the adaptation targets of the headline experiments;
:func:`results_markdown` renders several of them as Markdown, and
:func:`update_readme` replaces the block between
``<!-- results:start -->`` and ``<!-- results:end -->`` in the README.
Nothing here is typed by hand: every number comes from a run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from neurocontrol.errors import CheckpointError
from neurocontrol.fileio import atomic_write_text

__all__ = ["experiment_figures", "latest_run", "results_markdown", "update_readme"]

START, END = "<!-- results:start -->", "<!-- results:end -->"
_ROLES = {"adaptive_spiking": "spiking", "adaptive_rate": "twin", "osc": "base", "joint_pd": "base"}


def latest_run(runs: str | Path, name: str) -> Path | None:
    """The newest complete run directory of experiment ``name`` under ``runs`` (or None)."""
    candidates = sorted(
        (p for p in Path(runs).glob(f"{name}-*") if (p / "summary.json").is_file()),
        key=lambda p: p.name,
    )
    return candidates[-1] if candidates else None


def _cycle_value(per_cycle: list[float], starts: list[float], t_end: float) -> tuple[int, float]:
    """Index and value of the last whole cycle that ends by ``t_end``."""
    ends = [*starts[1:], math.inf]
    index = max((k for k, end in enumerate(ends) if end <= t_end + 1e-6), default=-1)
    return index, (per_cycle[index] if index >= 0 else math.nan)


def experiment_figures(run_dir: str | Path) -> dict[str, Any]:
    """Figures of one run: per-agent phase errors, adaptation targets, energy, speed."""
    run_dir = Path(run_dir)
    try:
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{str(run_dir)!r} is not a complete run directory: {exc}") from exc
    roles: dict[str, str] = {}
    for label, spec in config["agents"].items():
        role = _ROLES.get(spec.get("type"), spec.get("type"))
        roles.setdefault(role, label)
    starts = summary["cycle_starts_s"]
    agents = summary["agents"]

    def mean_cycles(label: str) -> list[float]:
        rows = agents[label]["per_cycle_rms_m"]
        n = min(len(r) for r in rows)
        return [sum(r[k] for r in rows) / len(rows) for k in range(n)]

    figures: dict[str, Any] = {
        "name": config["name"],
        "run": run_dir.name,
        "env": config["env"]["id"],
        "seeds": config["seeds"],
        "duration_s": config["duration"],
        "table_m": summary["table_m"],
        "real_time_factor": {
            label: min(ep["real_time_factor"] for ep in data["episodes"])
            for label, data in agents.items()
        },
        "targets": {},
    }
    onset = next((e["at"] for e in summary["schedule"] if e["perturbation"] is not None), None)
    targets = figures["targets"]
    if onset is not None and "spiking" in roles and "base" in roles:
        spiking, base = mean_cycles(roles["spiking"]), mean_cycles(roles["base"])
        k30, s30 = _cycle_value(spiking, starts, onset + 30.0)
        if k30 >= 0 and starts[k30] >= onset - 1e-6:
            targets["reduction_vs_base_30s"] = 1.0 - s30 / base[k30]
        k60, s60 = _cycle_value(spiking, starts, onset + 60.0)
        before = summary["table_m"][roles["base"]].get("before")
        if k60 >= 0 and starts[k60] >= onset - 1e-6 and before:
            targets["ratio_to_base_unperturbed_60s"] = s60 / before
    if "spiking" in roles and "twin" in roles:
        phase = "adapted" if "adapted" in summary["phases"] else next(iter(summary["phases"]))
        s = summary["table_m"][roles["spiking"]].get(phase)
        t = summary["table_m"][roles["twin"]].get(phase)
        if s is not None and t:
            targets["spiking_over_twin_steady"] = s / t
    for path in sorted(run_dir.glob("hybrid_*.json")):
        hybrid = json.loads(path.read_text())
        if hybrid.get("energy_ratio_spiking_to_dense") is not None:
            targets["energy_ratio_spiking_to_dense"] = hybrid["energy_ratio_spiking_to_dense"]
    targets["min_real_time_factor"] = min(figures["real_time_factor"].values())
    return figures


_TARGETS = {
    "reduction_vs_base_30s": ("error below base, 30 s after onset", ">= 75%", lambda v: v >= 0.75),
    "ratio_to_base_unperturbed_60s": (
        "error / base unperturbed, 60 s after onset",
        "<= 1.25x",
        lambda v: v <= 1.25,
    ),
    "spiking_over_twin_steady": (
        "spiking / rate twin, steady state",
        "<= 1.10x",
        lambda v: v <= 1.1,
    ),
    "energy_ratio_spiking_to_dense": (
        "energy spiking / dense (hybrid log)",
        "<= 0.20",
        lambda v: v <= 0.2,
    ),
    "min_real_time_factor": ("slowest agent, x real time", ">= 5x", lambda v: v >= 5.0),
}


def _format_target(key: str, value: float) -> str:
    if key == "reduction_vs_base_30s":
        return f"{value:.0%}"
    if key == "min_real_time_factor":
        return f"{value:.1f}x"
    return f"{value:.2f}"


def results_markdown(figures: Sequence[dict[str, Any]]) -> str:
    """Markdown tables: per experiment, phase errors per agent, then the targets."""
    lines: list[str] = []
    for fig in figures:
        seeds = ", ".join(str(s) for s in fig["seeds"])
        lines += [
            f"**{fig['name']}** on `{fig['env']}` ({fig['duration_s']:g} s simulated, "
            f"seeds {seeds}; run `{fig['run']}`)",
            "",
        ]
        phases = list(next(iter(fig["table_m"].values())))
        lines.append("| agent | " + " | ".join(phases) + " | x real time |")
        lines.append("|---" * (len(phases) + 2) + "|")
        for label, row in fig["table_m"].items():
            cells = " | ".join(f"{row[p] * 1e3:.2f} mm" if p in row else "-" for p in phases)
            lines.append(f"| {label} | {cells} | {fig['real_time_factor'][label]:.1f} |")
        lines += ["", "| target | required | measured | met |", "|---|---|---|---|"]
        for key, value in fig["targets"].items():
            what, required, check = _TARGETS[key]
            met = "yes" if check(value) else "**no**"
            lines.append(f"| {what} | {required} | {_format_target(key, value)} | {met} |")
        lines.append("")
    return "\n".join(lines)


def update_readme(readme: str | Path, markdown: str) -> None:
    """Replace the results block of ``readme`` (between the markers) with ``markdown``."""
    readme = Path(readme)
    text = readme.read_text()
    if START not in text or END not in text:
        raise CheckpointError(f"{str(readme)!r} has no {START} ... {END} block to replace")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(readme, f"{head}{START}\n{markdown}\n{END}{tail}")
