"""PyBullet arm environments (installed as ``neurocontrol.envs``).

``gymnasium.make("neurocontrol/PlanarReach-v0")``, ``"neurocontrol/ArmReach-v0"``
and ``"neurocontrol/ArmPress-v0"`` build them; the ids are registered when
``neurocontrol`` is imported. Importing this package imports PyBullet.
"""

from __future__ import annotations

from neurocontrol.envs.arm_env import ArmEnv
from neurocontrol.envs.press import ArmPressEnv
from neurocontrol.envs.reach import ArmReachEnv, PlanarReachEnv

__all__ = ["ArmEnv", "ArmPressEnv", "ArmReachEnv", "PlanarReachEnv"]
