"""Tasks: what the arm should do (the scene, the reference, sensing, reward terms, success).

:class:`ArmTask` is what an env asks of its task; :class:`ReachTask` and
:class:`TablePressTask` are the shipped ones. The reference trajectories
they follow (:class:`TargetSequence`, :class:`PressTask`,
:class:`SlidingPressTask`) follow the :class:`Task` protocol.
"""

from __future__ import annotations

from neurocontrol.envs.tasks.base import ArmTask
from neurocontrol.envs.tasks.press import PressTask, SlidingPressTask
from neurocontrol.envs.tasks.reach import TargetSequence, centre_out_targets
from neurocontrol.envs.tasks.reach_task import ReachTask
from neurocontrol.envs.tasks.table_press import TablePressTask
from neurocontrol.envs.tasks.trajectory import Task, minimum_jerk

__all__ = [
    "ArmTask",
    "PressTask",
    "ReachTask",
    "SlidingPressTask",
    "TablePressTask",
    "TargetSequence",
    "Task",
    "centre_out_targets",
    "minimum_jerk",
]
