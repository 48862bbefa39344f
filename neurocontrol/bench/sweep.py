"""``neurocontrol bench sweep``: a sweep on Ray against the same trials run serially.

8 trials (the default adaptive spiking controller at 8 learning rates, 60 s
simulated each, one seed) run twice in one invocation: serially in this process
(:func:`~neurocontrol.sweep.trial.execute_trial` one after the other), then
as ``neurocontrol sweep`` runs them (a local Ray started for it, start-up
included). Reports both wall times, the speed-up, Ray's start-up, the time
the trials took on Ray and what came around them (checks, report, Ray's
stop), the overhead per trial after start-up ((sweep wall - start-up) x
workers - the trials' own time, per trial), how many trials a sweep needs
before Ray's start-up pays and before it reaches the target speed-up, the
speed-up many such trials approach, the peak memory per worker and the
load average.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["TARGET", "add_arguments", "run"]

#: The speed-up the sweep should reach on 2 cores.
TARGET = 1.6


def add_arguments(parser: Any) -> None:
    from neurocontrol.utils.arguments import positive_float, positive_int

    parser.add_argument("--trials", type=positive_int, default=8, help="trials (8)")
    parser.add_argument(
        "--duration", type=positive_float, default=60.0, help="simulated s per trial (60)"
    )
    parser.add_argument("--workers", type=positive_int, default=2, help="Ray workers (2)")


def _sweep(trials: int, duration: float) -> Any:
    from neurocontrol.sweep import sweep_from_dict

    # the default controller at rates around its default (5e-3 per population)
    rates = [1e-3 * (30 ** (k / max(1, trials - 1))) for k in range(trials)]
    return sweep_from_dict(
        {
            "name": "bench-sweep",
            "base": {
                "name": "bench",
                "env": {"id": "neurocontrol/PlanarReach-v0", "kwargs": {"n_targets": 8}},
                "agents": {
                    "spiking": {"type": "adaptive_spiking", "learning_rate": 5e-3},
                },
                "schedule": [
                    {"at": duration / 5, "perturbation": {"kind": "curl_field", "strength": 15.0}}
                ],
                "duration": duration,
                "seeds": [0],
            },
            "space": {"agents.spiking.learning_rate": {"grid": rates}},
            "metrics": {"adapted_error": "min"},
        }
    )


def run(args: Any) -> dict[str, Any]:
    from neurocontrol.sweep import run_sweep
    from neurocontrol.sweep.trial import execute_trial

    sweep = _sweep(args.trials, args.duration)
    plans = [sweep.trial_for(point, 0) for point in sweep.points()]
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as folder:
        serial_dir = Path(folder) / "serial"
        started = time.perf_counter()
        serial = [execute_trial(p.to_dict(), serial_dir) for p in plans]
        serial_s = time.perf_counter() - started
        outcome = run_sweep(sweep, Path(folder) / "ray", max_workers=args.workers, progress=False)
        records = [r for r in (outcome.rows or [])]
    trial_s = sum(float(r["wall_s"]) for r in records)
    after_start = outcome.wall_s - outcome.ray_start_s
    overhead = (after_start * args.workers - trial_s) / max(1, len(records))
    per_trial_serial = serial_s / len(plans)
    # a sweep of n trials gains once n x t x (1 - 1/workers) > start-up + n x overhead
    gain = per_trial_serial * (1 - 1 / args.workers) - overhead
    break_even = outcome.ray_start_s / gain if gain > 0 else float("inf")
    # the sweep's wall time as fixed (start-up, checks, report, stop) + n x time per trial on
    # Ray (contention included); a sweep of n such trials runs at n t / (fixed + n p)
    fixed = outcome.wall_s - outcome.trials_s
    on_ray = outcome.trials_s / len(plans)
    limit = per_trial_serial / on_ray
    needed = (
        TARGET * fixed / (per_trial_serial - TARGET * on_ray) if limit > TARGET else float("inf")
    )
    report = {
        "trials": len(plans),
        "duration_s": args.duration,
        "workers": args.workers,
        "serial_wall_s": serial_s,
        "sweep_wall_s": outcome.wall_s,
        "speedup": serial_s / outcome.wall_s,
        "ray_start_s": outcome.ray_start_s,
        "trials_phase_s": outcome.trials_s,
        "around_s": outcome.wall_s - outcome.ray_start_s - outcome.trials_s,
        "overhead_per_trial_s": overhead,
        "break_even_trials": break_even,
        "speedup_limit": limit,
        "trials_for_target": needed,
        "peak_rss_mb_per_worker": max(float(r["peak_rss_mb"]) for r in records),
        "serial_peak_rss_mb": max(r["peak_rss_mb"] for r in serial),
        "failed": sum(r["status"] != "complete" for r in records),
        "load_average_1min": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
    }
    report["table"] = [
        f"{len(plans)} trials x {args.duration:g} s simulated, {args.workers} workers "
        f"(load average {report['load_average_1min']:.2f}, {report['cpu_count']} cores)",
        f"serial, one process:      {serial_s:8.1f} s",
        f"neurocontrol sweep (Ray): {outcome.wall_s:8.1f} s  speed-up {report['speedup']:.2f}x "
        f"(target >= {TARGET:g}x)",
        f"Ray start-up:             {outcome.ray_start_s:8.1f} s",
        f"trials on Ray:            {outcome.trials_s:8.1f} s "
        f"(ideal {trial_s / args.workers:.1f} s: their own time / workers)",
        f"checks, report, Ray stop: {report['around_s']:8.1f} s",
        f"overhead per trial:       {overhead:8.2f} s after start-up (target < 1 s)",
        f"break-even:               {break_even:8.1f} trials of this size before Ray gains",
        f"many such trials:         {limit:8.2f}x at most (their time on Ray: contention); "
        f"{TARGET:g}x from {needed:.0f} trials of this size",
        f"peak memory per worker:   {report['peak_rss_mb_per_worker']:8.0f} MB",
    ]
    return report
