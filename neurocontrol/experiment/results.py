"""The README's results: figures and targets computed from run directories.

:func:`experiment_figures` reads one run directory written by
``neurocontrol train`` (its ``config.yaml``, ``summary.json`` and hybrid
logs) and computes the targets of the headline experiments: adaptation
targets on the run's error measure (tracking error in m, or force error in
N), or, for a trial measure, the success rate in the block ending at trial
500 and the gap to the ablations (the other agents of the config);
:func:`results_markdown` renders several of them as Markdown, and
:func:`update_readme` replaces the block between
``<!-- results:start -->`` and ``<!-- results:end -->`` in the README.
Nothing here is typed by hand: every number comes from a run.
"""

from __future__ import annotations

import glob
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from neurocontrol.core.energy import EnergyModel
from neurocontrol.errors import CheckpointError, NeuroControlError
from neurocontrol.experiment.probes import AGENT_ROLES
from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.utils.config import load_yaml, read_yaml, to_dict
from neurocontrol.utils.fileio import atomic_write_text

__all__ = ["experiment_figures", "latest_run", "results_markdown", "update_readme"]

START, END = "<!-- results:start -->", "<!-- results:end -->"
_ROLES = AGENT_ROLES


def latest_run(runs: str | Path, config: ExperimentConfig) -> Path | None:
    """The newest complete run of ``config`` under ``runs``, or None.

    A run counts when its status says ``complete`` and the config it ran,
    resolved, equals ``config`` (a run of the same name with other settings,
    or one that stopped or is still running, is not a result of it).
    """
    wanted = to_dict(config)
    candidates = sorted(Path(runs).glob(f"{glob.escape(config.name)}-*"), key=lambda p: p.name)
    for path in reversed(candidates):
        if _complete(path) and _resolved_config(path) == wanted:
            return path
    return None


def _complete(path: Path) -> bool:
    try:
        return RunDirectory.open(path).status.complete
    except NeuroControlError:  # no status (not a run, or from before runs had one)
        return False


def _resolved_config(path: Path) -> Any:
    try:
        return to_dict(load_yaml(path / "config.yaml", ExperimentConfig))
    except NeuroControlError:
        return None


#: Trials by which the reward-learning target must be met, and the success it asks for.
TRIALS_FOR_TARGET, SUCCESS_TARGET = 500, 0.9
#: How far (success rate) below the full rule an ablation must stay to count as clearly worse.
ABLATION_GAP = 0.2


def _cycle_ends(starts: list[float], episode: dict[str, Any]) -> list[float]:
    """End (s) of each cycle of the run's first episode; inf for a last one it cut short."""
    run_end = episode["sim_time_s"]
    step = run_end / max(episode["steps"], 1)
    ends = [*starts[1:], run_end]
    longest = max(end - start for start, end in zip(starts, ends, strict=True))
    if ends[-1] - starts[-1] < longest - 1.5 * step:
        ends[-1] = math.inf
    return ends


def _cycle_value(per_cycle: list[float], ends: list[float], t_end: float) -> tuple[int, float]:
    """Index and value of the last whole cycle that ends by ``t_end``."""
    index = max((k for k, end in enumerate(ends) if end <= t_end + 1e-6), default=-1)
    return index, (per_cycle[index] if index >= 0 else math.nan)


def _mean_over_seeds(rows: list[list[float]]) -> list[float]:
    n = min(len(r) for r in rows)
    return [sum(r[k] for r in rows) / len(rows) for k in range(n)]


def experiment_figures(run_dir: str | Path) -> dict[str, Any]:
    """Figures of one run: per-agent phase errors, adaptation targets, energy, speed."""
    run_dir = Path(run_dir)
    if not _complete(run_dir):
        raise CheckpointError(
            f"{str(run_dir)!r} is not a complete run (its status.json does not say complete)"
        )
    try:
        config = read_yaml(run_dir / "config.yaml")
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{str(run_dir)!r} is not a complete run directory: {exc}") from exc
    roles: dict[str, str] = {}
    for label, spec in config["agents"].items():
        role = _ROLES.get(spec.get("type"), spec.get("type"))
        roles.setdefault(role, label)
    starts = summary["cycle_starts_s"]
    agents = summary["agents"]
    ends = _cycle_ends(starts, next(iter(agents.values()))["episodes"][0])
    metric = summary.get("metric", "tracking_error")  # runs before measures were named
    table = summary.get("table", summary.get("table_m"))
    per_cycle = {
        label: data.get("per_cycle", data.get("per_cycle_rms_m")) for label, data in agents.items()
    }

    figures: dict[str, Any] = {
        "name": config["name"],
        "run": run_dir.name,
        "env": config["env"]["id"],
        "seeds": config["seeds"],
        "duration_s": config["duration"],
        "metric": metric,
        "description": summary.get("description", "RMS tracking error"),
        "display_unit": summary.get("display_unit", "mm"),
        "scale": summary.get("scale", 1e3),
        "table": table,
        "real_time_factor": {
            label: min(ep["real_time_factor"] for ep in data["episodes"])
            for label, data in agents.items()
        },
        "targets": {},
        # episodes the env ended early (a safety stop): label -> [(seed, simulated s)]
        "terminated": {
            label: [(ep["seed"], ep["sim_time_s"]) for ep in data["episodes"] if ep["terminated"]]
            for label, data in agents.items()
            if any(ep["terminated"] for ep in data["episodes"])
        },
    }
    episodes = [ep for data in agents.values() for ep in data["episodes"]]
    if all("cpu_real_time_factor" in ep for ep in episodes):  # runs before it was measured
        figures["cpu_real_time_factor"] = {
            label: min(ep["cpu_real_time_factor"] for ep in data["episodes"])
            for label, data in agents.items()
        }
        figures["load_average"] = max(ep["load_average_1min"] for ep in episodes)
        figures["cpu_count"] = episodes[0]["cpu_count"]
    if metric == "tracking_error":
        figures["table_m"] = table
    targets = figures["targets"]
    if "trial_block" in summary:
        _trial_targets(figures, summary, per_cycle)
    else:
        _adaptation_targets(targets, summary, table, per_cycle, roles, starts, ends)
    for path in sorted(run_dir.glob("hybrid_*.json")):
        hybrid = json.loads(path.read_text())
        if hybrid.get("energy_ratio_spiking_to_dense") is not None:
            targets["energy_ratio_spiking_to_dense"] = hybrid["energy_ratio_spiking_to_dense"]
            figures["energy"] = _energy_models(hybrid)
    targets["min_real_time_factor"] = min(figures["real_time_factor"].values())
    if "cpu_real_time_factor" in figures:
        targets["min_cpu_real_time_factor"] = min(figures["cpu_real_time_factor"].values())
    return figures


def _energy_models(hybrid: dict[str, Any]) -> dict[str, Any]:
    """The per-op energies behind a hybrid log's ratio, and the ratio of the same op counts
    with Loihi's measured energies for the spiking side (:meth:`EnergyModel.loihi`)."""
    loihi = EnergyModel.loihi()

    def energy(side: str) -> float:
        return (
            hybrid[f"{side}_synops_per_step"] * loihi.e_synop
            + hybrid[f"{side}_neuron_updates_per_step"] * loihi.e_neuron_update
            + hybrid[f"{side}_macs_per_step"] * loihi.e_mac
        )

    dense = energy("dense")
    return {
        "model": hybrid["energy_model"],
        "ratio": hybrid["energy_ratio_spiking_to_dense"],
        "loihi_model": loihi.to_dict(),
        "loihi_ratio": energy("spiking") / dense if dense > 0 else None,
    }


def _energy_note(energy: dict[str, Any]) -> str:
    """One sentence: which per-op energies the ratio uses, and the ratio with Loihi's."""
    model, loihi = energy["model"], energy["loihi_model"]
    note = (
        f"Energy spiking / dense: SynOps, neuron updates and MACs counted per step in the "
        f"hybrid log, priced with {model['source']} per-op energies ({model['e_synop'] * 1e12:g} "
        f"pJ per SynOp, {model['e_neuron_update'] * 1e12:g} pJ per neuron update, "
        f"{model['e_mac'] * 1e12:g} pJ per MAC)."
    )
    if energy["loihi_ratio"] is not None and model != loihi:
        note += (
            f" With Loihi's measured energies for the spiking side ({loihi['source']}: "
            f"{loihi['e_synop'] * 1e12:g} pJ per SynOp, {loihi['e_neuron_update'] * 1e12:g} pJ "
            f"per neuron update) the same counts give {energy['loihi_ratio']:.2f}."
        )
    return note


def _adaptation_targets(
    targets: dict[str, float],
    summary: dict[str, Any],
    table: dict[str, dict[str, float]],
    per_cycle: dict[str, list[list[float]]],
    roles: dict[str, str],
    starts: list[float],
    ends: list[float],
) -> None:
    """Adaptation targets on the run's error measure, where its roles and schedule allow.

    A figure "t s after onset" is taken on the last whole cycle that ends by
    then while the perturbation is still on; it is left out if the run does
    not reach that time under the perturbation.
    """
    # learning and target switches leave the perturbation as it is
    switches = [e for e in summary["schedule"] if e.get("learning") is not None]
    schedule = [
        e for e in summary["schedule"] if e.get("learning") is None and e.get("targets") is None
    ]
    onset = next((e["at"] for e in schedule if e["perturbation"] is not None), None)
    if onset is not None and "spiking" in roles and "base" in roles:
        off = next(
            (e["at"] for e in schedule if e["perturbation"] is None and e["at"] > onset), math.inf
        )
        # the targets are on cycles that learn: up to learning's first switch-off
        freeze = next((e["at"] for e in switches if not e["learning"]), math.inf)
        spiking = _mean_over_seeds(per_cycle[roles["spiking"]])
        base = _mean_over_seeds(per_cycle[roles["base"]])

        def perturbed(k: int) -> bool:
            return k >= 0 and starts[k] >= onset - 1e-6 and ends[k] <= min(off, freeze) + 1e-6

        k30, s30 = _cycle_value(spiking, ends, onset + 30.0)
        # A base whose episodes hit the env's safety stop has fewer cycles: compare
        # with its last perturbed cycle (a lower bound on its error after that).
        k_base = min(k30, len(base) - 1)
        if perturbed(k30) and perturbed(k_base):
            targets["reduction_vs_base_30s"] = 1.0 - s30 / base[k_base]
        k60, s60 = _cycle_value(spiking, ends, onset + 60.0)
        before = table[roles["base"]].get("before")
        if perturbed(k60) and before:
            targets["ratio_to_base_unperturbed_60s"] = s60 / before
    base_frozen = table[roles["base"]].get("learning frozen") if "base" in roles else None
    for role in ("spiking", "twin"):
        row = table[roles[role]] if role in roles else {}
        adapted, frozen = row.get("adapted"), row.get("learning frozen")
        if adapted is not None and frozen is not None and base_frozen and base_frozen > adapted:
            # what stays of the compensation once learning stops (1: all, 0: none)
            retention = 1.0 - (frozen - adapted) / (base_frozen - adapted)
            targets[_probe_key("retention", roles[role], role)] = retention
    probes = summary.get("probes", {})  # runs before the probes: retention only
    for role in ("spiking", "twin"):
        entry = probes.get(roles[role], {}) if role in roles else {}
        for name in ("generalisation", "after_effect"):
            if name in entry:
                targets[_probe_key(name, roles[role], role)] = entry[name]
        if "savings" in entry and entry["savings"]["movements_first"] is not None:
            ratio = entry["savings"]["ratio"]  # None: the second exposure never got there
            targets[_probe_key("savings", roles[role], role)] = math.inf if ratio is None else ratio
    if "spiking" in roles and "twin" in roles:
        phase = "adapted" if "adapted" in summary["phases"] else next(iter(summary["phases"]))
        s = table[roles["spiking"]].get(phase)
        t = table[roles["twin"]].get(phase)
        if s is not None and t:
            targets["spiking_over_twin_steady"] = s / t


def _probe_key(name: str, label: str, role: str) -> str:
    """A probe's target key: ``name::label``, marked ``::probe`` beside the spiking agent's."""
    return f"{name}::{label}" + ("" if role == "spiking" else "::probe")


def _trial_targets(
    figures: dict[str, Any], summary: dict[str, Any], per_cycle: dict[str, list[list[float]]]
) -> None:
    """Reward-learning targets: the first agent's success in the block ending at trial 500,
    and how far each other agent (an ablation) stays below it in that block.

    Adds ``blocks`` (label -> success per block, mean over seeds), ``per_seed`` (label ->
    per seed, success in that block) and ``trial_block`` to ``figures``.
    """
    block = int(summary["trial_block"])
    figures["trial_block"] = block
    figures["blocks"] = {label: _mean_over_seeds(rows) for label, rows in per_cycle.items()}
    index = TRIALS_FOR_TARGET // block - 1
    labels = list(per_cycle)
    if index < 0 or any(len(row) <= index for row in per_cycle[labels[0]]):
        return
    per_seed = {
        label: [row[index] for row in rows if len(row) > index] for label, rows in per_cycle.items()
    }
    figures["per_seed"] = per_seed
    first = figures["blocks"][labels[0]][index]
    figures["targets"]["success_at_500"] = first
    for label in labels[1:]:
        if len(figures["blocks"][label]) > index:
            figures["targets"][f"ablation_gap::{label}"] = first - figures["blocks"][label][index]


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
        "energy spiking / dense (hybrid log; per-op energies below)",
        "<= 0.20",
        lambda v: v <= 0.2,
    ),
    "retention": (
        "{label}: compensation kept with learning frozen, 1 - (frozen - adapted) / "
        "(base - adapted){probe}",
        ">= 80%",
        lambda v: v >= 0.8,
    ),
    "generalisation": (
        "{label}: compensation on untrained targets, learning frozen, 1 - (frozen - adapted) / "
        "(base - adapted){probe}",
        ">= 70%",
        lambda v: v >= 0.7,
    ),
    "after_effect": (
        "{label}: after-effect, perturbation removed with learning frozen / own unperturbed "
        "error{probe}",
        "> 2x",
        lambda v: v > 2.0,
    ),
    "savings": (
        "{label}: savings, reaches to half the adaptation, second exposure / first{probe}",
        "<= 0.5",
        lambda v: v <= 0.5,
    ),
    "min_real_time_factor": ("slowest agent, x real time", ">= 5x", lambda v: v >= 5.0),
    "min_cpu_real_time_factor": (
        "slowest agent, x real time in CPU time (the run's own cost)",
        ">= 5x",
        lambda v: v >= 5.0,
    ),
    "success_at_500": (
        f"success in trials {TRIALS_FOR_TARGET - 49}-{TRIALS_FOR_TARGET} (block of 50)",
        f">= {SUCCESS_TARGET:.0%}",
        lambda v: v >= SUCCESS_TARGET,
    ),
    "ablation_gap": (
        "ablation {label}: success below the full rule, same block",
        f">= {ABLATION_GAP * 100:.0f} points",
        lambda v: v >= ABLATION_GAP,
    ),
}


def _target_spec(key: str) -> tuple[str, str, Any]:
    """Description, requirement and check of a target key (``ablation_gap::<label>`` too)."""
    base, _, label = key.partition("::")
    label, _, note = label.partition("::")
    what, required, check = _TARGETS[base]
    return what.format(label=label, probe=" (a probe)" if note else ""), required, check


def _format_target(key: str, value: float) -> str:
    if key.startswith("ablation_gap"):
        return f"{value * 100:.0f} points"
    if key in ("reduction_vs_base_30s", "success_at_500") or key.startswith(
        ("retention", "generalisation")
    ):
        return f"{value:.0%}"
    if key.startswith("after_effect"):
        return f"{value:.2f}x"
    if key.startswith("savings") and math.isinf(value):
        return "not reached in the second exposure"
    if key in ("min_real_time_factor", "min_cpu_real_time_factor"):
        return f"{value:.1f}x"
    return f"{value:.2f}"


def results_markdown(figures: Sequence[dict[str, Any]]) -> str:
    """Markdown tables: per experiment, its measure per phase (or per block of trials) and
    agent, then the targets."""
    lines: list[str] = []
    for fig in figures:
        seeds = ", ".join(str(s) for s in fig["seeds"])
        table = fig.get("table", fig.get("table_m"))
        unit, scale = fig.get("display_unit", "mm"), fig.get("scale", 1e3)
        lines += [
            f"**{fig['name']}** on `{fig['env']}` ({fig['duration_s']:g} s simulated, "
            f"seeds {seeds}; run `{fig['run']}`): {fig.get('description', 'RMS tracking error')}",
            "",
        ]
        if "blocks" in fig:
            block = fig["trial_block"]
            n = max(len(v) for v in fig["blocks"].values())
            columns = [f"{k * block + 1}-{(k + 1) * block}" for k in range(n)]
            cpu = fig.get("cpu_real_time_factor")
            speed = " | x real time |" + (" x real time (CPU) |" if cpu else "")
            lines.append("| agent \\ trials | " + " | ".join(columns) + speed)
            lines.append("|---" * (n + (3 if cpu else 2)) + "|")
            for label, values in fig["blocks"].items():
                cells = " | ".join(f"{v * scale:.0f}%" for v in values)
                speeds = f"{fig['real_time_factor'][label]:.1f} |"
                if cpu:
                    speeds += f" {cpu[label]:.1f} |"
                lines.append(f"| {label} | {cells} | {speeds}")
            for label, values in fig.get("per_seed", {}).items():
                per_seed = ", ".join(f"{v * scale:.0f}%" for v in values)
                lines.append(
                    f"\n{label}, trials {TRIALS_FOR_TARGET - block + 1}-"
                    f"{TRIALS_FOR_TARGET} per seed: {per_seed}"
                )
        else:
            phases = list(next(iter(table.values())))
            cpu = fig.get("cpu_real_time_factor")
            speed = " | x real time |" + (" x real time (CPU) |" if cpu else "")
            lines.append("| agent | " + " | ".join(phases) + speed)
            lines.append("|---" * (len(phases) + (3 if cpu else 2)) + "|")
            for label, row in table.items():
                cells = " | ".join(
                    f"{row[p] * scale:.2f} {unit}" if p in row else "-" for p in phases
                )
                speeds = f"{fig['real_time_factor'][label]:.1f} |"
                if cpu:
                    speeds += f" {cpu[label]:.1f} |"
                lines.append(f"| {label} | {cells} | {speeds}")
        stopped = [
            f"{label} seed {seed} at {time:.1f} s"
            for label, runs in fig.get("terminated", {}).items()
            for seed, time in runs
        ]
        if stopped:
            lines += [
                "",
                f"**Ended early** (the env's safety stop: joint speed or non-finite state; "
                f"that agent's figures stop at the seed's last cycle): {'; '.join(stopped)}",
            ]
        lines += ["", "| target | required | measured | met |", "|---|---|---|---|"]
        for key, value in fig["targets"].items():
            what, required, check = _target_spec(key)
            if key == "min_real_time_factor" and "load_average" in fig:
                what += (
                    f" (wall clock; 1-min load average up to {fig['load_average']:.1f} "
                    f"on {fig['cpu_count']} cores)"
                )
            met = "yes" if check(value) else "**no**"
            lines.append(f"| {what} | {required} | {_format_target(key, value)} | {met} |")
        if "energy" in fig:
            lines += ["", _energy_note(fig["energy"])]
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
