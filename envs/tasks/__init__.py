"""Tasks: what the arm should do (reference, targets, reward terms)."""

from __future__ import annotations

from neurocontrol.envs.tasks.trajectory import (
    TargetSequence,
    Task,
    centre_out_targets,
    minimum_jerk,
)

__all__ = ["TargetSequence", "Task", "centre_out_targets", "minimum_jerk"]
