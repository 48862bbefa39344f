"""A sweep's results: the tidy ``sweep.csv`` and its plots, from the trials' records.

``sweep.csv`` has one row per finished trial and agent: the trial id, its
kind (``swept``, or ``shared`` for an agent the space leaves alone), the
agent, the seed, every swept parameter (by its dotted key), every metric
(SI units; empty where a run has none), the status (``complete``,
``failed``, ``stopped`` by early stopping), ``failure`` (why), the run
directory, the trial's wall time and its worker's peak memory.
``plots/`` holds each chosen metric against each swept parameter (mean over
seeds, their range as a bar) and the Pareto plot of two metrics.
"""

from __future__ import annotations

import csv
import glob
import io
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from neurocontrol.errors import NeuroControlError
from neurocontrol.sweep.spec import METRICS, SweepConfig, TrialPlan, sweep_from_dict
from neurocontrol.sweep.trial import read_record
from neurocontrol.utils.fileio import atomic_write_text

__all__ = [
    "latest_sweep",
    "pareto_figure",
    "pareto_front",
    "point_summary",
    "read_sweep_csv",
    "sweep_markdown",
    "sweep_rows",
    "write_report",
]

_FIXED = ("trial", "kind", "agent", "seed")
_TAIL = ("status", "failure", "run_dir", "wall_s", "peak_rss_mb")


def sweep_rows(
    config: SweepConfig, sweep_dir: Path, plans: list[TrialPlan]
) -> list[dict[str, Any]]:
    """One row per finished trial and agent (records of searcher trials included)."""
    records = [read_record(sweep_dir, p.id) for p in plans]
    known = {p.id for p in plans}
    for path in sorted((sweep_dir / "trials").glob("*.json")):
        if path.stem not in known:  # a searcher's trials are not planned ahead
            records.append(read_record(sweep_dir, path.stem))
    plan_labels = {p.id: list(p.experiment["agents"]) for p in plans}
    rows = []
    for record in records:
        if record is None:
            continue
        agents = record.get("agents") or {
            label: {} for label in plan_labels.get(record["id"], [""])
        }
        for label, values in agents.items():
            row: dict[str, Any] = {
                "trial": record["id"],
                "kind": record["kind"],
                "agent": label,
                "seed": record["seed"],
            }
            for key in config.space:
                row[key] = record["params"].get(key, "")
            for name in METRICS:
                value = (values or {}).get(name)
                row[name] = "" if value is None else value
            for name in _TAIL:
                value = record.get("error" if name == "failure" else name, "")
                row[name] = "" if value is None else value
            rows.append(row)
    return rows


def write_report(
    config: SweepConfig, sweep_dir: Path, plans: list[TrialPlan]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Write ``sweep.csv`` and the plots; return the rows and the best row per metric."""
    rows = sweep_rows(config, sweep_dir, plans)
    columns = [*_FIXED, *config.space, *METRICS, *_TAIL]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k, "")) for k in columns})
    atomic_write_text(sweep_dir / "sweep.csv", buffer.getvalue())
    best = _best(config, rows)
    _plots(config, sweep_dir, rows)
    return rows, best


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return value


def read_sweep_csv(path: str | Path) -> list[dict[str, str]]:
    """The rows of a ``sweep.csv`` (values as text)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _best(config: SweepConfig, rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    swept = [r for r in rows if r["kind"] == "swept" and r["status"] == "complete"]
    for metric, mode in config.metrics.items():
        scored = [(r, _number(r[metric])) for r in swept]
        scored = [(r, v) for r, v in scored if math.isfinite(v)]
        if scored:
            row, value = (min if mode == "min" else max)(scored, key=lambda rv: rv[1])
            out[metric] = {
                "value": value,
                "trial": row["trial"],
                "agent": row["agent"],
                "seed": row["seed"],
                **{k: row[k] for k in config.space},
            }
    return out


def _points(config: SweepConfig, rows: list[dict[str, Any]]) -> dict[tuple, list[dict[str, Any]]]:
    """(agent, parameter values) -> the complete swept rows of that point (one per seed).

    A value that is a list (a ``choice`` of lists) is keyed as a tuple.
    """
    points: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["kind"] == "swept" and row["status"] == "complete":
            points[(row["agent"], *(_hashable(row[k]) for k in config.space))].append(row)
    return points


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def pareto_front(values: list[tuple[float, float]], modes: tuple[str, str]) -> list[int]:
    """Indices of the points no other point beats on both metrics (``modes``: min or max)."""
    sign = [1.0 if mode == "min" else -1.0 for mode in modes]
    scored = [(a * sign[0], b * sign[1]) for a, b in values]
    front = []
    for k, (a, b) in enumerate(scored):
        dominated = any(
            (c <= a and d <= b) and (c < a or d < b) for j, (c, d) in enumerate(scored) if j != k
        )
        if not dominated:
            front.append(k)
    return front


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:60] or "value"


def _plots(config: SweepConfig, sweep_dir: Path, rows: list[dict[str, Any]]) -> None:
    from neurocontrol.viz.plots import _pyplot, _save

    points = _points(config, rows)
    if not points:
        return
    folder = sweep_dir / "plots"
    folder.mkdir(exist_ok=True)
    plt = _pyplot()
    scale = config.base.measure.scale
    unit = config.base.measure.display_unit
    agents = sorted({key[0] for key in points})
    for metric in config.metrics:
        factor, label = _axis(metric, scale, unit)
        for k, key in enumerate(config.space):
            fig, ax = plt.subplots(figsize=(6, 3.8))
            # a parameter that is not a number (a choice of lists, of names) gets a category axis
            values = sorted({p[1 + k] for p in points}, key=_sortable)
            categorical = not all(math.isfinite(_number(v)) for v in values)
            position = {v: float(i) for i, v in enumerate(values)}
            for agent in agents:
                xs, means, lows, highs = [], [], [], []
                for point, members in sorted(points.items(), key=lambda p: _sortable(p[0][1 + k])):
                    if point[0] != agent:
                        continue
                    numbers = [_number(r[metric]) * factor for r in members]
                    numbers = [v for v in numbers if math.isfinite(v)]
                    x = position[point[1 + k]] if categorical else _number(point[1 + k])
                    if not numbers:
                        continue
                    mean = sum(numbers) / len(numbers)
                    xs.append(x)
                    means.append(mean)
                    lows.append(mean - min(numbers))
                    highs.append(max(numbers) - mean)
                if xs:
                    ax.errorbar(xs, means, yerr=[lows, highs], fmt="o", capsize=3, label=agent)
            if categorical:
                ax.set_xticks(list(position.values()), [_short(v) for v in values], fontsize=8)
                ax.set_xlim(-0.5, len(values) - 0.5)
            elif config.space[key].log_scale or _spans_decades(ax):
                ax.set_xscale("log")
            ax.set_xlabel(key)
            ax.set_ylabel(label)
            ax.set_title(f"{metric}: mean over seeds {config.seeds}, bars: range", fontsize=9)
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
            _save(fig, folder / f"{_file_part(metric)}_vs_{_file_part(key)}.png")
    if len(config.pareto) == 2:
        _pareto_plot(config, folder, rows, scale, unit)


def _sortable(value: Any) -> tuple:
    number = _number(value)
    return (0, number, "") if math.isfinite(number) else (1, 0.0, str(value))


def _spans_decades(ax: Any) -> bool:
    xs = [x for line in ax.get_lines() for x in line.get_xdata() if x > 0]
    return bool(xs) and max(xs) / min(xs) >= 100


def _axis(metric: str, scale: float, unit: str) -> tuple[float, str]:
    if metric.endswith("error"):
        return scale, f"{metric} ({unit})"
    return 1.0, metric


def _pareto_plot(
    config: SweepConfig, folder: Path, rows: list[dict[str, Any]], scale: float, unit: str
) -> None:
    """The points' means of the two ``pareto`` metrics, the front (:func:`point_summary`) joined."""
    from neurocontrol.viz.plots import _pyplot, _save

    plt = _pyplot()
    first, second = config.pareto
    fx, xlabel = _axis(first, scale, unit)
    fy, ylabel = _axis(second, scale, unit)
    entries = [e for e in point_summary(config, rows) if e[first] and e[second]]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    if entries:
        xs = [e[first][0] * fx for e in entries]
        ys = [e[second][0] * fy for e in entries]
        ax.scatter(xs, ys, c="0.6", s=20, label="parameter points (mean over seeds)")
        ordered = sorted((k for k, e in enumerate(entries) if e["pareto"]), key=lambda k: xs[k])
        ax.plot(
            [xs[k] for k in ordered],
            [ys[k] for k in ordered],
            "o-",
            color="C3",
            label="Pareto front",
        )
        for rank, k in enumerate(ordered):  # labels alternate above and below: neighbours
            params = ", ".join(_short(v) for v in entries[k]["params"].values())
            ax.annotate(
                params,
                (xs[k], ys[k]),
                fontsize=7,
                xytext=(5, 6 if rank % 2 == 0 else -11),
                textcoords="offset points",
            )
        positive = [x for x in xs if x > 0]
        if positive and max(positive) / min(positive) >= 10:  # errors spanning a decade
            ax.set_xscale("log")
    ax.set_xlabel(f"{xlabel} ({config.metrics[first]} is better)")
    ax.set_ylabel(f"{ylabel} ({config.metrics[second]} is better)")
    ax.set_title(f"{config.name}: {first} against {second}", fontsize=9)
    ax.grid(alpha=0.3)
    if entries:
        ax.legend(fontsize=8)
    _save(fig, folder / pareto_figure(config))


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    number = _number(value)
    return f"{number:.3g}" if math.isfinite(number) else str(value)


def latest_sweep(sweeps: str | Path, config: SweepConfig) -> Path | None:
    """The newest complete sweep of ``config`` under ``sweeps``, or None.

    A sweep counts when its status says ``complete`` and the sweep it ran,
    resolved (base experiment, space, seeds, metrics, search), equals
    ``config``: a sweep of the same name with other settings, or one that
    was stopped, is not a result of it.
    """
    from neurocontrol.experiment.runs import RunDirectory
    from neurocontrol.utils.config import read_yaml

    wanted = config.to_dict()
    candidates = sorted(Path(sweeps).glob(f"{glob.escape(config.name)}-*"), key=lambda p: p.name)
    for path in reversed(candidates):
        try:
            if not RunDirectory.open(path).status.complete:
                continue
            ran = sweep_from_dict(read_yaml(path / "config.yaml"), where=str(path))
        except NeuroControlError:  # not a sweep directory, or one this version cannot read
            continue
        if ran.to_dict() == wanted and (path / "sweep.csv").is_file():
            return path
    return None


def pareto_figure(config: SweepConfig) -> str:
    """The file name of a sweep's Pareto plot under ``plots/`` (its two ``pareto`` metrics)."""
    first, second = config.pareto
    return f"pareto_{_file_part(first)}_{_file_part(second)}.png"


def point_summary(config: SweepConfig, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per parameter point (and agent): each metric's mean and range over seeds, the seeds,
    and whether the point is on the Pareto front of the ``pareto`` metrics; ordered by the
    first metric, best first."""
    points = _points(config, rows)
    summary = []
    for (agent, *values), members in points.items():
        entry: dict[str, Any] = {
            "agent": agent,
            "params": dict(zip(config.space, values, strict=True)),
            "seeds": sorted(int(_number(r["seed"])) for r in members),
        }
        for metric in config.metrics:
            numbers = [v for v in (_number(r[metric]) for r in members) if math.isfinite(v)]
            entry[metric] = (
                (sum(numbers) / len(numbers), min(numbers), max(numbers)) if numbers else None
            )
        summary.append(entry)
    if len(config.pareto) == 2:
        first, second = config.pareto
        scored = [k for k, e in enumerate(summary) if e[first] and e[second]]
        modes = (config.metrics[first], config.metrics[second])
        front = pareto_front([(summary[k][first][0], summary[k][second][0]) for k in scored], modes)
        on_front = {scored[k] for k in front}
        for k, entry in enumerate(summary):
            entry["pareto"] = k in on_front
    metric, mode = config.primary
    sign = 1.0 if mode == "min" else -1.0
    summary.sort(key=lambda e: sign * e[metric][0] if e[metric] else math.inf)
    return summary


def sweep_markdown(config: SweepConfig, sweep_dir: Path, figure: str | None = None) -> str:
    """The README block of a sweep: its parameter points (mean and range over seeds, the
    Pareto front marked), the best point per metric, and ``figure`` (a path to show)."""
    rows = read_sweep_csv(sweep_dir / "sweep.csv")
    summary = point_summary(config, rows)
    scale, unit = config.base.measure.scale, config.base.measure.display_unit
    failed = sum(1 for r in rows if r["kind"] == "swept" and r["status"] == "failed")
    trials = len({r["trial"] for r in rows if r["kind"] == "swept"})
    search = f"{config.search} search" + (
        f", {config.samples} samples" if config.search == "random" else ""
    )
    lines = [
        f"**{config.name}** sweep on `{config.base.env.id}` ({search}, seeds "
        f"{', '.join(map(str, config.seeds))}; {trials} trials, {failed} failed; sweep "
        f"`{sweep_dir.name}`): "
        + ", ".join(f"{m} ({mode})" for m, mode in config.metrics.items())
        + ", mean over seeds [range]",
        "",
    ]
    keys = list(config.space)
    front = len(config.pareto) == 2
    header = ["agent", *(_short_key(k) for k in keys), *config.metrics]
    header += ["Pareto front"] if front else []
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in summary:
        cells = [entry["agent"], *(_short(entry["params"][k]) for k in keys)]
        for metric in config.metrics:
            factor, _ = _axis(metric, scale, unit)
            value = entry[metric]
            suffix = f" {unit}" if metric.endswith("error") else ""
            cells.append(
                "-"
                if value is None
                else f"{_figure(value[0], factor, metric)}{suffix} "
                f"[{_figure(value[1], factor, metric)}-{_figure(value[2], factor, metric)}]"
            )
        if front:
            cells.append("yes" if entry.get("pareto") else "")
        lines.append("| " + " | ".join(cells) + " |")
    if figure is not None:
        lines += ["", f"![{config.name}: {' against '.join(config.pareto)}]({figure})"]
    return "\n".join(lines) + "\n"


def _short_key(key: str) -> str:
    """The last part of a dotted key (the parameter's own name)."""
    return key.rsplit(".", 1)[-1]


def _figure(value: float, factor: float, metric: str) -> str:
    if metric == "retention":
        return f"{100 * value:.0f}%"
    return f"{value * factor:.3g}"
