"""Robots: the simulated bodies and their nominal models."""

from __future__ import annotations

from neurocontrol.envs.robots.base import RobotModel, TorqueArm
from neurocontrol.envs.robots.panda import Panda, PandaModel
from neurocontrol.envs.robots.planar_arm import PLANAR_ARM, PlanarArm, PlanarArmModel

__all__ = [
    "PLANAR_ARM",
    "Panda",
    "PandaModel",
    "PlanarArm",
    "PlanarArmModel",
    "RobotModel",
    "TorqueArm",
]
