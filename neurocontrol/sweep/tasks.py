"""Trials as plain Ray tasks: the grid and random sweeps that need no Tune scheduler.

A Tune trial costs seconds of driver and actor machinery on a small machine
(trial actors, result logging, experiment checkpoints) and every report
crosses processes; a task runs :func:`~neurocontrol.sweep.trial.execute_trial`
in a pooled Ray worker and hands back its record. Ray keeps its workers
between tasks, so each worker imports the package and loads the compiled
kernels once. Tune stays for the Optuna searcher and ASHA, which need its
trial loop and per-cycle reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from neurocontrol.sweep.spec import SweepConfig, TrialPlan
from neurocontrol.sweep.trial import read_record, record_path

__all__ = ["run_tasks"]


def run_tasks(
    config: SweepConfig,
    sweep_dir: Path,
    trials: Sequence[TrialPlan],
    references: dict,
    concurrency: int,
    display: Any,
    execute: Callable[..., Any] | None = None,
) -> bool:
    """Run ``trials``, at most ``concurrency`` at once; True if some ended without a record.

    Each runs ``execute(trial, sweep_dir, references)`` in a worker (default
    :func:`~neurocontrol.sweep.trial.execute_trial`). A worker that dies under
    a trial (a crash of the simulator, the memory killer) leaves a failed
    record naming what Ray reported; the sweep goes on.
    """
    import ray

    from neurocontrol.sweep.trial import execute_trial

    remote = ray.remote(num_cpus=config.cpus_per_trial, max_retries=0)(execute or execute_trial)
    waiting = list(trials)
    running: dict[Any, TrialPlan] = {}
    while waiting or running:
        while waiting and len(running) < concurrency:
            plan = waiting.pop(0)
            running[remote.remote(plan.to_dict(), str(sweep_dir), references)] = plan
            display.trial_started(plan.id)
        done, _ = ray.wait(list(running), num_returns=1)
        for ref in done:
            plan = running.pop(ref)
            try:
                ray.get(ref)
            except ray.exceptions.RayError as exc:
                _record_lost(sweep_dir, plan, exc)
            display.trial_ended(plan.id, plan.id)
    return any(read_record(sweep_dir, t.id) is None for t in trials)


def _record_lost(sweep_dir: Path, plan: TrialPlan, exc: Exception) -> None:
    from neurocontrol.utils.fileio import atomic_write_text

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    record = {
        "id": plan.id,
        "kind": plan.kind,
        "seed": plan.seed,
        "params": dict(plan.params),
        "status": "failed",
        "error": f"its Ray worker was lost ({type(exc).__name__}: {first})",
        "run_dir": "",
        "agents": {},
    }
    path = record_path(sweep_dir, plan.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")
