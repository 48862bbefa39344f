"""Tasks: what the arm should do (reference trajectory, targets, phases)."""

from __future__ import annotations

from neurocontrol.envs.tasks.press import PressTask
from neurocontrol.envs.tasks.reach import TargetSequence, centre_out_targets
from neurocontrol.envs.tasks.trajectory import Task, minimum_jerk

__all__ = ["PressTask", "TargetSequence", "Task", "centre_out_targets", "minimum_jerk"]
