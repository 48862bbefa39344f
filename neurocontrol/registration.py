"""Gymnasium registration of the neurocontrol environments.

Entry points are strings, so registering imports neither PyBullet nor the
env modules; ``gymnasium.make`` imports them on first use (in the worker
process, for vector envs).
"""

from __future__ import annotations

import gymnasium

__all__ = ["ENV_IDS", "register_envs"]

#: id -> (entry point, max_episode_steps at the default dt of 1 ms): one full
#: centre-out-and-back cycle (16 x 0.75 s) for the reach tasks, 5 s for ArmPress
_ENVS: dict[str, tuple[str, int]] = {
    "neurocontrol/PlanarReach-v0": ("neurocontrol.envs:PlanarReachEnv", 12_000),
    "neurocontrol/ArmReach-v0": ("neurocontrol.envs:ArmReachEnv", 12_000),
    "neurocontrol/ArmPress-v0": ("neurocontrol.envs:ArmPressEnv", 5_000),
}

ENV_IDS: tuple[str, ...] = tuple(_ENVS)


def register_envs() -> None:
    """Register every env id with Gymnasium (idempotent)."""
    for env_id, (entry_point, max_episode_steps) in _ENVS.items():
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(id=env_id, entry_point=entry_point, max_episode_steps=max_episode_steps)
