"""The full closed loop at 1 kHz: env + spiking adaptive controller + dense twin in shadow.

Per env id: a hybrid agent (spiking side drives: 1000 LIF neurons with PES;
the rate-coded twin runs in shadow on the same observations) steps the env
for ``--seconds`` of simulated time after a warm-up; the loop's own timers
give agent and env microseconds per step (median and p99) and the real-time
factor. Target (DESIGN.md): >= 5x real time, p99 step < 1 ms.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_arguments", "run"]

_IDS = ("neurocontrol/PlanarReach-v0", "neurocontrol/ArmReach-v0")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated s per env (10)")
    parser.add_argument("--neurons", type=int, default=1000, help="spiking population (1000)")
    parser.add_argument(
        "--envs", nargs="+", default=list(_IDS), choices=_IDS, metavar="ID", help="env ids"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    import gymnasium as gym

    import neurocontrol  # noqa: F401 - registers the envs
    from neurocontrol.agents.base import control_period
    from neurocontrol.agents.factory import make_agent
    from neurocontrol.loop import run_episode

    spec = {
        "type": "hybrid",
        "mode": "spiking",
        "spiking": {"type": "adaptive_spiking", "n_neurons": args.neurons},
        "dense": {"type": "adaptive_rate", "n_neurons": args.neurons},
    }
    curl = {"kind": "curl_field", "strength": 15.0, "onset": 1.0}
    results: dict[str, Any] = {}
    table = [
        f"full hybrid loop, {args.neurons} neurons, {args.seconds:g} s simulated per env",
        f"{'env':<28}{'agent p50':>10}{'agent p99':>10}{'env p50':>9}{'env p99':>9}"
        f"{'step p99':>10}{'x real time':>12}",
    ]
    for env_id in args.envs:
        env = gym.make(env_id)
        try:
            agent = make_agent(spec, env, seed=0)
            steps = round(args.seconds / control_period(env))
            # Warm-up: numba loads or compiles, caches fill.
            run_episode(env, agent, seed=0, max_steps=200)
            episode = run_episode(
                env, agent, seed=1, max_steps=steps, options={"perturbation": curl}
            )
        finally:
            env.close()
        summary = episode.summary()
        step_p99 = float(_percentile(episode.trace["agent_us"] + episode.trace["env_us"], 99))
        results[env_id] = {
            "agent": summary["agent"],
            "env": summary["env"],
            "step_p99_us": step_p99,
            "real_time_factor": summary["real_time_factor"],
            "rms_tracking_error_m": summary["rms_tracking_error_m"],
        }
        table.append(
            f"{env_id:<28}{summary['agent']['p50_us']:>10.1f}{summary['agent']['p99_us']:>10.1f}"
            f"{summary['env']['p50_us']:>9.1f}{summary['env']['p99_us']:>9.1f}"
            f"{step_p99:>10.1f}{summary['real_time_factor']:>12.1f}"
        )
    table.append("times in us per 1 ms control step; target >= 5x real time, step p99 < 1000 us")
    return {"envs": results, "neurons": args.neurons, "seconds": args.seconds, "table": table}


def _percentile(values: Any, q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q))
