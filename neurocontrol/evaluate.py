"""Evaluate a trained run: reload its env and checkpoint, run an episode headless."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

from neurocontrol.agents.base import control_period
from neurocontrol.config import load_yaml
from neurocontrol.errors import CheckpointError
from neurocontrol.experiment import ExperimentConfig
from neurocontrol.loop import run_episode
from neurocontrol.validation import require_int, require_positive

__all__ = ["evaluate_run"]


def evaluate_run(
    run_dir: str | Path,
    duration: float = 12.0,
    seed: int = 100,
    perturbation: Any = None,
) -> dict[str, Any]:
    """Run the checkpointed agent of ``run_dir`` for ``duration`` simulated seconds.

    The agent continues from its saved state (learning stays on: the adaptive
    controllers keep adapting, as they would on the robot). Returns the episode
    summary plus ``table``, printable lines.
    """
    run_dir = Path(run_dir)
    require_positive("duration", duration)
    require_int("seed", seed, minimum=0)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise CheckpointError(f"{str(run_dir)!r} is not a run directory: no config.yaml in it")
    config = load_yaml(config_path, ExperimentConfig)
    from neurocontrol.agents.factory import load_agent

    env = gym.make(config.env.id, **config.env.kwargs)
    try:
        agent = load_agent(run_dir / "checkpoint", env)
        steps = max(1, round(duration / control_period(env)))
        result = run_episode(
            env, agent, seed=seed, options={"perturbation": perturbation}, max_steps=steps
        )
    finally:
        env.close()
    summary = result.summary()
    label = next(iter(config.agents))
    summary["table"] = [
        f"{label} from {run_dir.name}, seed {seed}, {result.sim_time:.1f} s simulated",
        f"perturbation: {perturbation or 'none'}",
        f"RMS tracking error: {summary['rms_tracking_error_m'] * 1e3:.2f} mm",
        f"agent step p50 / p99: {summary['agent']['p50_us']:.1f} / "
        f"{summary['agent']['p99_us']:.1f} us",
        f"real-time factor: {summary['real_time_factor']:.1f}x",
    ]
    return summary
