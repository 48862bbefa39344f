"""The full closed loop at 1 kHz: env + the hybrid agent, and each of its two sides alone.

Per env id, three agents: the hybrid (the spiking side drives: LIF neurons
with PES; the rate-coded twin runs in shadow on the same observations), the
adaptive spiking controller alone and the rate twin alone, and both alone in
their previous configuration (base without feedforward, the dense code
:data:`OLD_CODE`), whose cost the present one is compared with. Each steps an
env of its own for ``--seconds`` of simulated time after a warm-up; the
three episodes advance in turn, in chunks (:func:`~neurocontrol.bench.
interleave.time_agents`), so that ratios between them share the machine's
speed, which drifts by 10-70% within seconds here. The loop's own timers
give agent and env microseconds per step (median and p99) and the real-time
factor. Targets: >= 5x real time, p99 step < 1 ms.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neurocontrol.utils.arguments import positive_float, positive_int

__all__ = ["OLD_CODE", "add_arguments", "agent_specs", "run"]

_IDS = ("neurocontrol/PlanarReach-v0", "neurocontrol/ArmReach-v0")
#: The adaptive controllers' previous configuration: plain OSC base, dense code, fast PES,
#: one readout.
OLD_CODE = {
    "base": {"type": "osc"},
    "q_radius": 1.0,
    "intercepts": [-1.0, 0.9],
    "learning_rate": 1e-2,
    "fast_learning_rate": 0.0,
}


def agent_specs(neurons: int) -> dict[str, dict[str, Any]]:
    """The agents the bench times, by row name, with ``neurons`` neurons per controller."""
    spiking = {"type": "adaptive_spiking", "n_neurons": neurons}
    rate = {"type": "adaptive_rate", "n_neurons": neurons}
    return {
        "hybrid": {"type": "hybrid", "mode": "spiking", "spiking": spiking, "dense": rate},
        "adaptive_spiking": spiking,
        "adaptive_rate": rate,
        "spiking (old)": {**spiking, **OLD_CODE},
        "rate (old)": {**rate, **OLD_CODE},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench loop``."""
    parser.add_argument(
        "--seconds", type=positive_float, default=5.0, help="simulated s per agent and env (5)"
    )
    parser.add_argument(
        "--neurons", type=positive_int, default=1000, help="neurons per controller (1000)"
    )
    parser.add_argument(
        "--envs", nargs="+", default=list(_IDS), choices=_IDS, metavar="ID", help="env ids"
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=3,
        help="interleaved runs per env; figures and ratios are their medians (3)",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite; return the figures and a printable table."""
    from neurocontrol.bench.interleave import CHUNKS, time_agents

    specs = agent_specs(args.neurons)
    results: dict[str, Any] = {}
    hybrid_over_sides: dict[str, float] = {}
    new_over_old: dict[str, dict[str, float]] = {}
    table = [
        f"full closed loop, {args.neurons} neurons per controller, {args.seconds:g} s simulated "
        f"per agent and env, the agents of an env interleaved in {CHUNKS} chunks",
        f"{'env':<28}{'agent':<18}{'agent p50':>10}{'agent p99':>10}{'env p50':>9}"
        f"{'env p99':>9}{'step p99':>10}{'x real time':>12}",
    ]
    repeats: dict[str, list[dict[str, Any]]] = {}
    for env_id in args.envs:
        repeats[env_id] = runs = [
            time_agents(env_id, specs, args.seconds) for _ in range(args.repeats)
        ]
        results[env_id] = figures = _median_figures(runs)
        for name, row in figures.items():
            table.append(
                f"{env_id:<28}{name:<18}{row['agent']['p50_us']:>10.1f}"
                f"{row['agent']['p99_us']:>10.1f}{row['env']['p50_us']:>9.1f}"
                f"{row['env']['p99_us']:>9.1f}{row['step']['p99_us']:>10.1f}"
                f"{row['real_time_factor']:>12.1f}"
            )
        sides = figures["adaptive_spiking"]["agent"]["p50_us"]
        sides += figures["adaptive_rate"]["agent"]["p50_us"]
        hybrid_over_sides[env_id] = figures["hybrid"]["agent"]["p50_us"] / sides
        table.append(
            f"{env_id}: hybrid agent p50 / (spiking + rate twin alone) "
            f"x{hybrid_over_sides[env_id]:.2f}"
        )
        # the ratio within each run (its agents shared the machine's seconds), then the median
        per_run = {
            side: [run[new]["agent"]["p50_us"] / run[old]["agent"]["p50_us"] for run in runs]
            for side, new, old in (
                ("spiking", "adaptive_spiking", "spiking (old)"),
                ("rate", "adaptive_rate", "rate (old)"),
            )
        }
        new_over_old[env_id] = {side: float(np.median(r)) for side, r in per_run.items()}
        table.append(
            f"{env_id}: agent p50 present / previous configuration: spiking "
            f"x{new_over_old[env_id]['spiking']:.2f}, rate twin x{new_over_old[env_id]['rate']:.2f}"
            + _spread(per_run)
        )
    table.append(
        f"times in us per 1 ms control step, medians of {args.repeats} runs; "
        "target >= 5x real time, step p99 < 1000 us"
    )
    return {
        "envs": results,
        "repeats": repeats,
        "agents": specs,
        "hybrid_over_sides_agent_p50": hybrid_over_sides,
        "present_over_previous_agent_p50": new_over_old,
        "neurons": args.neurons,
        "seconds": args.seconds,
        "table": table,
    }


def _median_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The element-wise median of the runs' nested figures (numbers; other values of the first)."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: _median_figures([run[key] for run in runs]) for key in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return type(first)(np.median(runs)) if isinstance(first, float) else first
    return first


def _spread(per_run: dict[str, list[float]]) -> str:
    """`` (runs: spiking a-b, rate twin c-d)`` when there was more than one run."""
    if len(per_run["spiking"]) < 2:
        return ""
    spiking, rate = per_run["spiking"], per_run["rate"]
    return (
        f" (runs: spiking {min(spiking):.2f}-{max(spiking):.2f}, "
        f"rate twin {min(rate):.2f}-{max(rate):.2f})"
    )
