"""One sweep trial: a resolved experiment on one seed, run into its own run directory.

:func:`execute_trial` runs in a Ray worker (or in-process, for the serial
baseline of the benchmark). It runs the trial's experiment as
``neurocontrol train`` does (:func:`~neurocontrol.experiment.training.start_run`, or
:func:`~neurocontrol.experiment.training.resume_run` for a run directory a stopped
sweep left), reports each cycle's figures as it goes, computes every
metric at the end and keeps a record ``trials/<id>.json`` in the sweep
directory. A trial that raises, whose episode the env ended early (a safety
stop) or whose figures are not finite is recorded as failed with its error:
the sweep goes on.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from neurocontrol.errors import NeuroControlError, SimulationError

__all__ = ["CycleReporter", "execute_trial", "read_record", "record_path", "tune_trainable"]

Report = Callable[[dict[str, Any]], None]


def record_path(sweep_dir: str | Path, trial_id: str) -> Path:
    """Where the record of trial ``trial_id`` is kept."""
    return Path(sweep_dir) / "trials" / f"{trial_id}.json"


def read_record(sweep_dir: str | Path, trial_id: str) -> dict[str, Any] | None:
    """The record of a finished trial, or None (not finished, or unreadable)."""
    import json

    try:
        record = json.loads(record_path(sweep_dir, trial_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("id") == trial_id else None


class CycleReporter:
    """A step callback: the RMS error of each cycle, reported as soon as the cycle ends.

    Cheap on the 1 ms path: two float operations a step and one comparison;
    the report (a dict) is built once per cycle.
    """

    def __init__(self, report: Report, label: str, seed: int, blank: Mapping[str, float]) -> None:
        self.report, self.label, self.seed, self.blank = report, label, seed, dict(blank)
        self.cycle, self.sum_sq, self.count = -1, 0.0, 0
        self.started = time.perf_counter()
        self.cycles = 0

    def __call__(self, step: int, obs: Any, action: Any, reward: Any, info: dict) -> None:
        cycle = info.get("cycle", -1)
        if cycle != self.cycle:
            if self.count:
                self._send(step)
            self.cycle, self.sum_sq, self.count = cycle, 0.0, 0
        error = info.get("tracking_error", math.nan)
        self.sum_sq += error * error
        self.count += 1

    def _send(self, step: int) -> None:
        self.cycles += 1
        wall = time.perf_counter() - self.started
        sim_time = step * 1e-3
        self.report(
            {
                **self.blank,
                "error": math.sqrt(self.sum_sq / self.count),
                "cycle": self.cycles,
                "sim_time_s": sim_time,
                "real_time_factor": sim_time / wall if wall > 0 else math.nan,
                "agent": self.label,
                "seed": self.seed,
                "done": False,
            }
        )


def execute_trial(
    trial: Mapping[str, Any],
    sweep_dir: str | Path,
    references: Mapping[str, Mapping[str, float]] | None = None,
    report: Report | None = None,
    live_metrics: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run ``trial`` (a :class:`~neurocontrol.sweep.spec.TrialPlan` as data); return its record.

    ``references`` maps a seed (as text) to the reference agent's phase
    values on that seed (for ``retention``); ``report`` receives the figures
    of each cycle of the trial's first agent, then the final figures.
    """
    from neurocontrol.utils.fileio import atomic_write_text

    sweep_dir = Path(sweep_dir)
    started = time.perf_counter()
    record: dict[str, Any] = {
        "id": trial["id"],
        "kind": trial["kind"],
        "seed": trial["seed"],
        "params": dict(trial["params"]),
        "status": "complete",
        "error": "",
        "run_dir": "",
        "agents": {},
    }
    blank = dict.fromkeys(live_metrics, math.nan)
    try:
        run_dir, result = _run(trial, sweep_dir, report, blank)
        record["run_dir"] = str(run_dir)
        reference = (references or {}).get(str(trial["seed"]))
        record["agents"] = {
            label: _agent_metrics(agent, result, reference)
            for label, agent in result.agents.items()
        }
        _check_finished(result, record["agents"])
    except NeuroControlError as exc:
        record.update(status="failed", error=str(exc))
    except Exception as exc:  # a trial's bug must not stop the sweep: recorded, not raised
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    record["wall_s"] = time.perf_counter() - started
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import json

    path = record_path(sweep_dir, trial["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(_jsonable(record), indent=1) + "\n")
    if report is not None:
        first = next(iter(record["agents"].values()), {})
        report(
            {
                **blank,
                **{k: v for k, v in first.items() if k in blank},
                "failed": record["status"] == "failed",
                "done": True,
            }
        )
    return record


def _run(trial: Mapping[str, Any], sweep_dir: Path, report: Report | None, blank: dict) -> Any:
    from neurocontrol.experiment.protocol import ExperimentConfig
    from neurocontrol.experiment.runs import RunDirectory
    from neurocontrol.experiment.training import resume_run, start_run
    from neurocontrol.utils.config import from_dict

    config = from_dict(ExperimentConfig, trial["experiment"], where=f"trial {trial['id']}")
    out = sweep_dir / "trials"
    first = next(iter(config.agents))
    callbacks = None
    if report is not None and config.metric == "tracking_error" and config.cycle_duration is None:

        def callbacks(label: str, seed: int) -> list[Any]:
            return [CycleReporter(report, label, seed, blank)] if label == first else []

    for previous in sorted(out.glob(f"{trial['id']}-*")):  # a run a stopped sweep left
        try:
            status = RunDirectory.open(previous).status
        except NeuroControlError:
            continue
        if status.effective != "running":
            run, result = resume_run(previous, episode_callbacks=callbacks, figures=False)
            return run.path, result
    # no PNGs per trial: the sweep plots its own, and they cost as much as the simulation
    run, result = start_run(config, out, episode_callbacks=callbacks, figures=False)
    return run.path, result


def _agent_metrics(agent: Any, result: Any, reference: Mapping[str, float] | None) -> dict:
    """Every metric of one agent's result (its single seed); NaN where the run has none."""
    from neurocontrol.sweep.spec import PHASE_METRICS

    table = result.table()[agent.label]
    episode = agent.episodes[0]
    per_cycle = agent.per_cycle()[0]
    phases = result.phases()
    whole = [last for first, last in phases.values()]
    last_whole = max(whole) if whole else len(per_cycle) - 1
    out: dict[str, Any] = {
        "error": float(per_cycle[min(last_whole, len(per_cycle) - 1)]),
        **{name: float(table.get(phase, math.nan)) for name, phase in PHASE_METRICS.items()},
        "real_time_factor": episode.sim_time / episode.wall_time if episode.wall_time else math.nan,
        "cpu_real_time_factor": (
            episode.sim_time / agent.cpu_times[0]
            if agent.cpu_times and agent.cpu_times[0]
            else math.nan
        ),
        "terminated_at_s": episode.sim_time if episode.terminated else None,
    }
    out["retention"] = math.nan
    if reference is not None:
        adapted, frozen = out["adapted_error"], out["frozen_error"]
        base_frozen = reference.get("frozen_error")
        base_frozen = math.nan if base_frozen is None else base_frozen
        if base_frozen > adapted:
            out["retention"] = 1.0 - (frozen - adapted) / (base_frozen - adapted)
    return out


def _check_finished(result: Any, metrics: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse a trial whose episode stopped early or whose error is not finite."""
    for label, values in metrics.items():
        if values["terminated_at_s"] is not None:
            raise SimulationError(
                f"agent {label!r}: the env ended the episode at {values['terminated_at_s']:.3f} s "
                f"of {result.config.duration:g} s (its safety stop)"
            )
        if not math.isfinite(values["error"]):
            raise SimulationError(f"agent {label!r}: the error is not finite ({values['error']})")


def _jsonable(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {str(k): _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if hasattr(data, "item"):
        return _jsonable(data.item())
    return data


def tune_trainable(config: dict[str, Any]) -> None:
    """The Ray Tune function trainable: ``config`` holds ``trial`` and ``context``."""
    from ray import tune

    context = config["context"]
    live = tuple(context["metrics"])
    if "point" not in config:
        execute_trial(
            config["trial"],
            context["sweep_dir"],
            context.get("references"),
            report=tune.report,
            live_metrics=live,
        )
        return
    # A searcher's point: every seed of it here, one record each; the searcher sees the mean.
    from neurocontrol.sweep.spec import sweep_from_dict

    sweep = sweep_from_dict(context["sweep"])
    records = [
        execute_trial(
            sweep.trial_for(config["point"], seed).to_dict(),
            context["sweep_dir"],
            context.get("references"),
        )
        for seed in sweep.seeds
    ]
    label = sweep.swept_labels[0]
    final: dict[str, Any] = {"failed": any(r["status"] == "failed" for r in records), "done": True}
    for name in live:
        values = [r["agents"].get(label, {}).get(name) for r in records]
        finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
        final[name] = sum(finite) / len(finite) if finite else math.nan
    tune.report(final)
