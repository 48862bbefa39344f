"""Write an experiment's results to its run directory: tables, plots, checkpoint.

Layout of ``runs/<name>-<timestamp>/``::

    status.json        running / complete / interrupted / failed, episodes done of total
    config.yaml        the resolved config
    episodes/          each finished episode as it ends (per-step trace, cost, raster)
                       and each agent's outputs (:mod:`neurocontrol.experiment.journal`)
    summary.json       the measure, table per phase, per-cycle values, latency, real-time factor
    cycles.csv         the measure per cycle (or block of trials), per agent and seed
    reaches.csv        the measure per centre-out-and-back reach, per agent and seed (reach
                       envs, RMS measures): what savings are counted on
    episodes.csv       one row per agent (index in the config) and seed
    steps.csv          per-step record of the first seed (time, measure per agent, actions);
                       trials.csv instead for a trial measure (one row per trial)
    checkpoint.json    the first agent, trained (if it can be saved), with its arrays in
                       checkpoint.<generation>.npz; written as soon as its last seed ends
    <metric>.png       the measure over time (tracking_error.png, force_error.png; not
                       for trials), learning_curve.png (per cycle, or per block of trials),
    hand_paths.png     outward reaches per phase and agent (reaching envs, RMS measures),
    video.mp4          the filmed episode, with the config's video entry (written as it runs)
    tensorboard/       per-cycle TensorBoard scalars, with tensorboard: true (as it runs)
    and where the agent offers them weights.png (learned decoders),
    spike_raster.png (1 s around the onset), hybrid_<label>.png and .json (both
    actions, energy, compute summary)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.experiment.measures import Measure, trial_outcomes
from neurocontrol.experiment.probes import PROBE_SPANS
from neurocontrol.experiment.protocol import ExperimentResult, measure_table
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.utils.config import to_dict
from neurocontrol.utils.statistics import nan_mean
from neurocontrol.viz import plots

__all__ = ["write_experiment"]


def write_experiment(
    result: ExperimentResult,
    root: str | Path = "runs",
    run: RunDirectory | None = None,
    figures: bool = True,
) -> RunDirectory:
    """Write everything about ``result`` into ``run``, or a new run directory under ``root``.

    ``figures=False`` leaves out the PNG plots (a sweep's trials: the sweep
    draws its own; the plots take about as long as a minute of simulation).
    The run's status becomes ``complete`` once the last file is written.
    """
    config = result.config
    if run is None:
        run = RunDirectory(config.name, root=root, config=to_dict(config))
    run.write_json("summary.json", result.summary())

    measure = config.measure
    suffix = _column_suffix(measure)
    columns: dict[str, Any] = {}
    for label, agent_result in result.agents.items():
        per_cycle = agent_result.per_cycle()
        for k, seed in enumerate(config.seeds):
            columns[f"{label}_seed{seed}_{suffix}"] = per_cycle[k]
    n_cycles = min(len(c) for c in columns.values())
    index = "block" if measure.trial_based else "cycle"
    cycles: dict[str, Any] = {index: np.arange(n_cycles)}
    if not measure.trial_based:
        # 1 where the agents learned through the cycle, 0 where learning was switched off
        cycles["learning"] = _cycle_learning(result)[:n_cycles].astype(np.int64)
    cycles.update({k: v[:n_cycles] for k, v in columns.items()})
    run.write_csv("cycles.csv", cycles)

    if not measure.trial_based:
        reaches = _reach_columns(result, suffix)
        if reaches:
            run.write_csv("reaches.csv", reaches)
    run.write_csv("episodes.csv", _episode_columns(result))
    if measure.trial_based:
        run.write_csv("trials.csv", _trial_columns(result))
    if measure.trial_based and figures:
        per = f"success per {config.trial_block} trials (%)"
        plots.plot_learning_curve(
            {label: r.per_cycle().mean(axis=0) for label, r in result.agents.items()},
            run.file("learning_curve.png"),
            ylabel=f"{per}, mean of {len(config.seeds)} seed(s)",
            scale=measure.scale,
            xlabel=f"block of {config.trial_block} trials",
        )
    elif not measure.trial_based:
        _per_step_outputs(run, result, measure, figures)
        if figures:
            _hand_path_figure(run, result)
    _agent_outputs(run, result, figures)
    run.set_status("complete", message="")
    return run


def _reach_columns(result: ExperimentResult, suffix: str) -> dict[str, Any]:
    """One row per whole reach (of the first agent's first seed): start, end, learning, and
    the measure per agent and seed; empty where the env has no reaches."""
    config = result.config
    tables = {label: result.reach_tables(label) for label in result.agents}
    first = next(iter(tables.values()))
    if not first or first[0][0].size == 0:
        return {}
    starts, ends, _ = first[0]
    columns: dict[str, Any] = {
        "reach": np.arange(starts.size),
        "start_s": starts,
        "end_s": ends,
        "learning": config.learning_at(0.5 * (starts + ends)).astype(np.int64),
    }
    for label, per_seed in tables.items():
        for seed, (seed_starts, _, values) in zip(config.seeds, per_seed, strict=True):
            column = np.full(starts.size, np.nan)
            n = min(starts.size, seed_starts.size)  # a seed that stopped early has fewer
            column[:n] = values[:n]
            columns[f"{label}_seed{seed}_{suffix}"] = column
    return columns


def _cycle_bounds(result: ExperimentResult) -> tuple[np.ndarray, np.ndarray]:
    """Start and end time (s) of each cycle of the first agent's first episode."""
    first = next(iter(result.agents.values())).episodes[0]
    starts, _ = measure_table(first, result.config)
    return starts, np.append(starts[1:], first.sim_time)


def _cycle_learning(result: ExperimentResult) -> np.ndarray:
    """Whether the agents learned at the middle of each cycle."""
    starts, ends = _cycle_bounds(result)
    return result.config.learning_at(0.5 * (starts + ends))


def _column_suffix(measure: Measure) -> str:
    """Column name ending of a per-cycle value, with its unit (``rms_m``, ``rms_N``, ...)."""
    if measure.trial_based:
        return "success"
    return f"rms_{measure.unit}"


def _per_step_outputs(
    run: RunDirectory, result: ExperimentResult, measure: Measure, figures: bool
) -> None:
    """steps.csv, and (``figures``) the measure over time and the per-cycle learning curve."""
    config = result.config
    first = {label: r.episodes[0] for label, r in result.agents.items()}
    main_label, main = next(iter(first.items()))
    steps = min(ep.steps for ep in first.values())
    step_columns: dict[str, Any] = {
        "sim_time_s": main.trace["sim_time"][:steps],
        "perturbed": main.trace["perturbed"][:steps],
        "learning": config.learning_at(main.trace["sim_time"][:steps]).astype(np.int64),
        "cycle": main.trace["cycle"][:steps],
    }
    values = {label: measure.per_step(ep.trace) for label, ep in first.items()}  # type: ignore[misc]
    for label, per_step in values.items():
        step_columns[f"{label}_{measure.name}_{measure.unit}"] = per_step[:steps]
    step_columns[f"{main_label}_action"] = main.trace["action"][:steps]
    run.write_csv("steps.csv", step_columns)
    if not figures:
        return

    what = measure.description.removeprefix("RMS ")
    plots.plot_tracking_error(
        {label: (ep.trace["sim_time"], values[label]) for label, ep in first.items()},
        run.file(f"{measure.name}.png"),
        events={label: at for label, at in config.onsets.items() if at <= config.duration},
        ylabel=f"{what} ({measure.display_unit})",
        scale=measure.scale,
    )
    window = "cycle" if config.cycle_duration is None else f"{config.cycle_duration:g} s window"
    starts, _ = _cycle_bounds(result)
    # an event at a cycle's start is drawn between that cycle and the one before (x from 1)
    positions = np.arange(starts.size) + 0.5
    plots.plot_learning_curve(
        {label: nan_mean(r.per_cycle(), axis=0) for label, r in result.agents.items()},
        run.file("learning_curve.png"),
        ylabel=f"{measure.description} per {window} ({measure.display_unit})",
        scale=measure.scale,
        events={
            label: float(np.interp(at, starts, positions))
            for label, at in config.onsets.items()
            if at <= config.duration
        },
        xlabel=window,
        spans=_probe_spans(result.phases()),
    )


def _probe_spans(phases: dict[str, tuple[int, int]]) -> dict[str, tuple[float, float]]:
    """The probe phases as x ranges of the learning curve (cycle k is drawn at x = k + 1)."""
    spans = {}
    for (first, last), probe in PROBE_SPANS.values():
        if first in phases and last in phases:
            spans[probe] = (phases[first][0] + 0.5, phases[last][1] + 1.5)
    return spans


def _hand_path_figure(run: RunDirectory, result: ExperimentResult) -> None:
    """hand_paths.png: the outward reaches per phase and agent (reaching envs)."""
    from neurocontrol.viz.handpaths import write_hand_paths

    if "Reach" in result.config.env.id:
        write_hand_paths(result, run.file("hand_paths.png"))


def _trial_columns(result: ExperimentResult) -> dict[str, Any]:
    """One row per completed trial: agent index, seed, trial number, end time, success."""
    rows: dict[str, list[float]] = {
        "agent_index": [], "seed": [], "trial": [], "end_time_s": [], "success": [],
    }  # fmt: skip
    for index, agent_result in enumerate(result.agents.values()):
        for episode in agent_result.episodes:
            ends, outcomes = trial_outcomes(episode.trace)
            rows["agent_index"] += [index] * outcomes.size
            rows["seed"] += [-1 if episode.seed is None else episode.seed] * outcomes.size
            rows["trial"] += list(range(1, outcomes.size + 1))
            rows["end_time_s"] += ends.tolist()
            rows["success"] += outcomes.tolist()
    return rows


def _agent_outputs(run: RunDirectory, result: ExperimentResult, figures: bool) -> None:
    """Checkpoint and (``figures``) agent-specific plots, for the agents that offer them."""
    main_label, main_result = next(iter(result.agents.items()))
    save = getattr(main_result.agent, "save", None)
    if callable(save) and not run.file("checkpoint.json").exists():
        save(run.file("checkpoint"))  # a run's journal writes it as soon as the agent ends
    if not figures:
        return
    weights = {
        label: r.outputs.decoders
        for label, r in result.agents.items()
        if r.outputs.decoders is not None
    }
    if weights:
        plots.plot_weight_histogram(
            weights,
            run.file("weights.png"),
            xlabel="decoder weight (N·m/Hz: torque per Hz of a neuron's filtered activity)",
            title="learned decoders (neurons x joints) at the end of each agent's last seed",
        )
    if main_result.raster is not None and len(main_result.raster[0]):
        spike_steps, neuron_ids = main_result.raster
        plots.plot_spike_raster(
            spike_steps,
            neuron_ids,
            run.file("spike_raster.png"),
            dt=_dt(main_result),
            title=f"{main_label}: first 100 neurons around the perturbation onset",
            events=result.config.onsets,
        )
    for label, agent_result in result.agents.items():
        data = agent_result.outputs.log
        if data is None:
            continue
        steps = len(data.get("difference", ()))
        if steps == 0:
            continue
        name = f"hybrid_{_slug(label)}"
        plots.plot_hybrid_comparison(
            np.arange(1, steps + 1) * _dt(agent_result),
            data["spiking_action"],
            data["dense_action"],
            data["spiking_energy_j"],
            data["dense_energy_j"],
            run.file(f"{name}.png"),
        )
        run.write_json(f"{name}.json", data["summary"])


def _episode_columns(result: ExperimentResult) -> dict[str, Any]:
    """One row per agent and seed: agent index, seed, error, reward, latency, real-time factor."""
    rows: dict[str, list[float]] = {
        "agent_index": [], "seed": [], "steps": [], "rms_tracking_error_m": [],
        "total_reward": [], "agent_p50_us": [], "agent_p99_us": [], "env_p50_us": [],
        "env_p99_us": [], "real_time_factor": [],
    }  # fmt: skip
    for index, agent_result in enumerate(result.agents.values()):
        for episode in agent_result.episodes:
            summary = episode.summary()
            rows["agent_index"].append(index)
            rows["seed"].append(-1 if episode.seed is None else episode.seed)
            rows["steps"].append(episode.steps)
            rows["rms_tracking_error_m"].append(summary["rms_tracking_error_m"])
            rows["total_reward"].append(summary["total_reward"])
            rows["agent_p50_us"].append(summary["agent"]["p50_us"])
            rows["agent_p99_us"].append(summary["agent"]["p99_us"])
            rows["env_p50_us"].append(summary["env"]["p50_us"])
            rows["env_p99_us"].append(summary["env"]["p99_us"])
            rows["real_time_factor"].append(summary["real_time_factor"])
    return rows


def _dt(agent_result: Any) -> float:
    episode = agent_result.episodes[0]
    return episode.sim_time / max(episode.steps, 1)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label).strip("_").lower()
