"""Write an experiment's results to its run directory: tables, plots, checkpoint.

Layout of ``runs/<name>-<timestamp>/``::

    config.yaml        the resolved config
    summary.json       table per phase, per-cycle errors, latency and real-time factor
    cycles.csv         RMS tracking error per cycle, per agent and seed
    steps.csv          per-step record of the first seed (time, error per agent, actions)
    checkpoint/        the first agent, trained (if it can be saved)
    tracking_error.png, learning_curve.png, and where the agent offers them
    weights.png, spike_raster.png, hybrid.png
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol import plots
from neurocontrol.config import to_dict
from neurocontrol.experiment import ExperimentResult
from neurocontrol.runs import RunDirectory

__all__ = ["write_experiment"]


def write_experiment(result: ExperimentResult, root: str | Path = "runs") -> RunDirectory:
    """Write everything about ``result`` into a new run directory under ``root``."""
    config = result.config
    run = RunDirectory(config.name, root=root)
    run.write_config(to_dict(config))
    run.write_json("summary.json", result.summary())

    columns: dict[str, Any] = {}
    for label, agent_result in result.agents.items():
        per_cycle = agent_result.per_cycle()
        for k, seed in enumerate(config.seeds):
            columns[f"{label}_seed{seed}_rms_m"] = per_cycle[k]
    n_cycles = min(len(c) for c in columns.values())
    run.write_csv(
        "cycles.csv",
        {"cycle": np.arange(n_cycles), **{k: v[:n_cycles] for k, v in columns.items()}},
    )

    first = {label: r.episodes[0] for label, r in result.agents.items()}
    main_label, main = next(iter(first.items()))
    steps = min(ep.steps for ep in first.values())
    step_columns: dict[str, Any] = {
        "sim_time_s": main.trace["sim_time"][:steps],
        "perturbed": main.trace["perturbed"][:steps],
        "cycle": main.trace["cycle"][:steps],
    }
    for label, ep in first.items():
        step_columns[f"{label}_tracking_error_m"] = ep.trace["tracking_error"][:steps]
    step_columns[f"{main_label}_action"] = main.trace["action"][:steps]
    run.write_csv("steps.csv", step_columns)

    plots.plot_tracking_error(
        {label: (ep.trace["sim_time"], ep.trace["tracking_error"]) for label, ep in first.items()},
        run.file("tracking_error.png"),
        events=config.onsets,
    )
    plots.plot_learning_curve(
        {label: r.per_cycle().mean(axis=0) for label, r in result.agents.items()},
        run.file("learning_curve.png"),
    )
    _agent_outputs(run, result)
    return run


def _agent_outputs(run: RunDirectory, result: ExperimentResult) -> None:
    """Checkpoint and agent-specific plots, for the agents that offer them."""
    main_label, main_result = next(iter(result.agents.items()))
    agent = main_result.agent
    if hasattr(agent, "save"):
        agent.save(run.file("checkpoint"))
    weights = {
        label: r.agent.decoders
        for label, r in result.agents.items()
        if isinstance(getattr(r.agent, "decoders", None), np.ndarray)
    }
    if weights:
        plots.plot_weight_histogram(weights, run.file("weights.png"))
    raster = getattr(agent, "spike_raster", None)
    if callable(raster):
        spike_steps, neuron_ids = raster()
        if len(spike_steps):
            plots.plot_spike_raster(
                spike_steps, neuron_ids, run.file("spike_raster.png"), title=main_label
            )
    log = getattr(agent, "log", None)
    if callable(log):
        data = log()
        if {"time", "action_spiking", "action_dense", "energy_spiking", "energy_dense"} <= set(
            data
        ):
            plots.plot_hybrid_comparison(
                data["time"], data["action_spiking"], data["action_dense"],
                data["energy_spiking"], data["energy_dense"], run.file("hybrid.png"),
            )  # fmt: skip
