"""ArmPress: the Panda reaches a point on a table and holds a target normal force there.

The Panda plus :class:`~neurocontrol.envs.tasks.table_press.TablePressTask`
(the protocol, the tactile pads and the force reward are described there).
"""

from __future__ import annotations

from typing import Any

from neurocontrol.envs.arm_env import ArmEnv
from neurocontrol.envs.robots.panda import Panda
from neurocontrol.envs.tasks.press import SlidingPressTask
from neurocontrol.envs.tasks.table_press import PRESS_PARAMETERS, TablePressTask

__all__ = ["ArmPressEnv", "SlidingPressTask"]


class ArmPressEnv(ArmEnv):
    """Franka Panda with fingertip tactile pads pressing on a table (d = 3, n = 7).

    Adds the observation key ``tactile`` (10,) and the reward term
    ``reward_force``; the task's parameters (``target_force``, ...) are also
    attributes of the env, and :attr:`table` is the task's table.

    Parameters
    ----------
    **kwargs
        The task's parameters (:class:`~neurocontrol.envs.tasks.table_press.TablePressTask`:
        ``press_point``, ``target_force``, ``slide_amplitude``, ...); the rest
        is passed to :class:`~neurocontrol.envs.arm_env.ArmEnv`.
    """

    task: TablePressTask

    def __init__(self, **kwargs: Any) -> None:
        task_kwargs = {name: kwargs.pop(name) for name in PRESS_PARAMETERS if name in kwargs}
        task = TablePressTask(**task_kwargs)
        for name in PRESS_PARAMETERS:
            setattr(self, name, getattr(task, name))
        super().__init__(Panda, task, **kwargs)
        self.table = task.table
