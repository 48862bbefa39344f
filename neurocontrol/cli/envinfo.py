"""What each registered env offers, as plain data: spaces, control rate, episode length."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["describe_envs", "describe_space"]


def describe_space(space: Any) -> dict[str, Any]:
    """A Gymnasium space as JSON-able data (Box: shape, dtype, bounds; Dict: its parts)."""
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: describe_space(v) for k, v in space.spaces.items()}}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": np.asarray(space.low, dtype=float).ravel().tolist(),
            "high": np.asarray(space.high, dtype=float).ravel().tolist(),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    return {"type": type(space).__name__, "repr": repr(space)}


def describe_envs() -> list[dict[str, Any]]:
    """One entry per env id: its spaces, control period and rate, and default episode steps.

    Each env is made once with its defaults (a PyBullet DIRECT client, closed
    again).
    """
    import gymnasium as gym

    from neurocontrol.agents.agent import control_period
    from neurocontrol.utils.registration import ENV_IDS, register_envs

    register_envs()
    out = []
    for env_id in ENV_IDS:
        env = gym.make(env_id)
        try:
            period = control_period(env)
            out.append(
                {
                    "id": env_id,
                    "action_space": describe_space(env.action_space),
                    "observation_space": describe_space(env.observation_space),
                    "physics_dt_s": float(env.unwrapped.dt),
                    "control_period_s": period,
                    "control_rate_hz": 1.0 / period,
                    "max_episode_steps": env.spec.max_episode_steps if env.spec else None,
                    "render_modes": list(env.metadata.get("render_modes", [])),
                }
            )
        finally:
            env.close()
    return out
