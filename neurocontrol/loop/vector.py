"""Many headless episodes at once: one agent per sub-env of a Gymnasium vector env.

The agents are stateful (spiking networks, learned decoders), so each
sub-env gets its own; the vector env (``SyncVectorEnv``, or
``AsyncVectorEnv`` with one PyBullet client per worker process) steps them
together. Gymnasium's next-step autoreset is followed: the step after an
episode ends only resets that sub-env, so its agent is reset instead of
observing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from neurocontrol.agents.agent import Agent
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import require_int

__all__ = ["VectorRunResult", "run_vector"]


@dataclass
class VectorRunResult:
    """Finished episodes of every sub-env and the throughput of the run."""

    episodes: list[list[dict[str, float]]]
    steps: int
    wall_time: float

    def summary(self) -> dict[str, Any]:
        """Plain-data summary: per-env episodes, env steps per second, mean episode figures."""
        finished = [ep for env_episodes in self.episodes for ep in env_episodes]
        n_envs = len(self.episodes)
        return {
            "n_envs": n_envs,
            "steps_per_env": self.steps,
            "wall_time_s": self.wall_time,
            "env_steps_per_second": n_envs * self.steps / self.wall_time if self.wall_time else 0.0,
            "episodes_finished": len(finished),
            "mean_return": float(np.mean([ep["return"] for ep in finished])) if finished else None,
            "mean_rms_tracking_error_m": (
                float(np.mean([ep["rms_tracking_error_m"] for ep in finished]))
                if finished
                else None
            ),
            "episodes": self.episodes,
        }


def run_vector(
    vec_env: VectorEnv, agents: Sequence[Agent], n_steps: int, seed: int | None = 0
) -> VectorRunResult:
    """Step ``vec_env`` ``n_steps`` times with ``agents[i]`` driving sub-env ``i``.

    Sub-env ``i`` is seeded ``seed + i``. Each finished episode is summarised
    as its length, return and RMS tracking error (from ``info["tracking_error"]``).
    """
    n_envs = vec_env.num_envs
    if len(agents) != n_envs:
        raise ConfigError(
            f"run_vector needs one agent per sub-env: {n_envs} envs, {len(agents)} agents"
        )
    require_int("n_steps", n_steps, minimum=1)
    mode = vec_env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if mode != AutoresetMode.NEXT_STEP:
        raise ConfigError(f"run_vector follows next-step autoreset; this vector env uses {mode}")
    obs, info = vec_env.reset(seed=seed)
    for i, agent in enumerate(agents):
        agent.reset(None if seed is None else seed + i)
    actions = np.zeros(vec_env.action_space.shape, dtype=vec_env.action_space.dtype)
    ended = np.zeros(n_envs, dtype=bool)
    returns = np.zeros(n_envs)
    squared_error = np.zeros(n_envs)
    lengths = np.zeros(n_envs, dtype=np.int64)
    episodes: list[list[dict[str, float]]] = [[] for _ in range(n_envs)]
    start = time.perf_counter()
    for _ in range(n_steps):
        for i, agent in enumerate(agents):
            actions[i] = agent.act(_row(obs, i))
        obs, rewards, terminated, truncated, info = vec_env.step(actions)
        errors = info.get("tracking_error")
        for i, agent in enumerate(agents):
            if ended[i]:  # this step only reset sub-env i
                agent.reset()
                ended[i] = False
                continue
            agent.observe(float(rewards[i]), bool(terminated[i]), bool(truncated[i]), _row(info, i))
            returns[i] += rewards[i]
            lengths[i] += 1
            if errors is not None:
                squared_error[i] += float(errors[i]) ** 2
            if terminated[i] or truncated[i]:
                episodes[i].append(
                    {
                        "length": int(lengths[i]),
                        "return": float(returns[i]),
                        "rms_tracking_error_m": float(np.sqrt(squared_error[i] / lengths[i])),
                        "terminated": bool(terminated[i]),
                    }
                )
                ended[i] = True
                returns[i] = squared_error[i] = lengths[i] = 0
    return VectorRunResult(episodes, n_steps, time.perf_counter() - start)


def _row(batch: Any, i: int) -> Any:
    """Sub-env ``i``'s entry of a batched observation or info dict."""
    if isinstance(batch, dict):
        return {key: _row(value, i) for key, value in batch.items() if not key.startswith("_")}
    return batch[i]
