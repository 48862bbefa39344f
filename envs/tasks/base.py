"""What an arm env asks of its task: the scene, the reference, sensing, reward terms, success.

An :class:`~neurocontrol.envs.arm_env.ArmEnv` is a robot plus an
:class:`ArmTask`. The env owns what every task shares (stepping, actions,
perturbations, the common observation, reward and info entries, safety,
rendering); the task adds its world (:meth:`ArmTask.build`), the reference
the hand follows (:attr:`ArmTask.reference`), its sensors, its observation
keys and its reward terms and success (:meth:`ArmTask.terms`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from gymnasium import spaces

from neurocontrol.envs.tasks.trajectory import Task

if TYPE_CHECKING:
    from neurocontrol.envs.arm_env import ArmEnv

__all__ = ["ArmTask"]


class ArmTask(abc.ABC):
    """A task of an arm env; :meth:`build` runs once, when the env has loaded its robot.

    The env reads :attr:`reference` after every update (``ref_pos``,
    ``ref_vel``, ``target``) and, in this order each step: :meth:`sense`
    (only if a subclass overrides it), ``reference.update(time)``, then
    :meth:`terms`. Attributes of the reference read through the task as well
    (``env.task.phase``, ``env.task.targets``).

    Attributes
    ----------
    reference : Task
        The reference trajectory (set by :meth:`build`).
    values : sequence of float
        The values of the task's observation keys, in :meth:`observation_bounds`
        order; a task keeps one list and updates it in place (in :meth:`sense`).
    surface : int or None
        Body id of a surface the robot works on (the ``surface_friction``
        perturbation's target); None: the task has none.
    """

    #: the reset options the task accepts besides ``perturbation``
    reset_options: tuple[str, ...] = ()
    #: the ``info`` keys :meth:`terms` writes (the env presizes its info dict for them)
    info_keys: tuple[str, ...] = ("is_success",)
    #: camera of ``render()`` (target point, distance, yaw, pitch); None: the robot's
    camera: tuple[tuple[float, ...], float, float, float] | None = None

    reference: Task
    values: Sequence[float] = ()
    surface: int | None = None

    @abc.abstractmethod
    def build(self, env: ArmEnv) -> None:
        """Make the scene and :attr:`reference` in ``env``'s world (robot loaded, at home)."""

    def observation_bounds(self, workspace_radius: float) -> dict[str, spaces.Space]:
        """The task's observation keys and their bounds (none by default)."""
        return {}

    def check_options(self, options: Mapping[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Validate the task's reset options before anything is reset (none by default)."""

    def reset(self, rng: np.random.Generator) -> None:
        """Start an episode (after the world is restored); random choices come from ``rng``."""
        self.reference.reset(rng)

    def sense(self) -> None:  # noqa: B027 (optional hook; the env skips it when not overridden)
        """Read the task's sensors after each env step and reset (none by default)."""

    @abc.abstractmethod
    def terms(self, info: dict[str, Any], distance: float) -> float:
        """Write the :attr:`info_keys` entries into ``info``; return the task's reward.

        ``distance`` is the hand's distance from the reference's ``target`` (m).
        """

    def __getattr__(self, name: str) -> Any:
        # only for names the task lacks: the reference's attributes (phase, targets, ...)
        if name == "reference" or name.startswith("__"):
            raise AttributeError(name)
        try:
            reference = self.__dict__["reference"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r} (not built yet)"
            ) from None
        return getattr(reference, name)
