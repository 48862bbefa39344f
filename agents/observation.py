"""Where each signal lives in the arm envs' observation dict.

The envs' contract: ``proprio`` = (q, dq, tau_cmd), ``ee`` = (hand position,
hand velocity), ``goal`` = (reference position, reference velocity, final
target), each block of the robot's joint count ``n`` or task dimension ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from neurocontrol.agents.base import check_observation
from neurocontrol.errors import ObservationError

__all__ = ["ArmLayout", "ObservationGuard"]


@dataclass(frozen=True)
class ArmLayout:
    """Slices of the arm observation blocks for ``n_joints`` joints in ``dim`` task dimensions."""

    n_joints: int
    dim: int

    @classmethod
    def from_space(cls, space: spaces.Space) -> ArmLayout:
        """Infer the layout from an arm env's observation space."""
        if not isinstance(space, spaces.Dict) or not {"proprio", "ee", "goal"} <= set(space.spaces):
            raise ObservationError(
                "expected an arm env's Dict observation space with keys 'proprio', 'ee', 'goal'; "
                f"got {space}"
            )
        n3, d2, g3 = (int(np.prod(space[key].shape or (0,))) for key in ("proprio", "ee", "goal"))
        if n3 % 3 or d2 % 2 or g3 != 3 * (d2 // 2):
            raise ObservationError(
                f"arm observation blocks have inconsistent sizes: proprio {n3} (3n), ee {d2} (2d), "
                f"goal {g3} (3d)"
            )
        return cls(n_joints=n3 // 3, dim=d2 // 2)

    @property
    def q(self) -> slice:
        return slice(0, self.n_joints)

    @property
    def dq(self) -> slice:
        return slice(self.n_joints, 2 * self.n_joints)

    @property
    def tau(self) -> slice:
        return slice(2 * self.n_joints, 3 * self.n_joints)

    @property
    def position(self) -> slice:
        return slice(0, self.dim)

    @property
    def velocity(self) -> slice:
        return slice(self.dim, 2 * self.dim)

    @property
    def target(self) -> slice:
        return slice(2 * self.dim, 3 * self.dim)

    def split(self, obs: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
        """``(q, dq, x, dx, x_ref, dx_ref)`` as views into ``obs``."""
        proprio, ee, goal = obs["proprio"], obs["ee"], obs["goal"]
        return (
            proprio[self.q],
            proprio[self.dq],
            ee[self.position],
            ee[self.velocity],
            goal[self.position],
            goal[self.velocity],
        )


class ObservationGuard:
    """A per-step check of an observation's keys and shapes, cheap on the success path.

    :func:`~neurocontrol.agents.base.check_observation` walks the space and
    builds messages as it goes; this compares against shapes collected once
    and calls it only to explain a failure.
    """

    def __init__(self, space: spaces.Space, who: str) -> None:
        self.space = space
        self.who = who
        if isinstance(space, spaces.Dict):
            self._shapes = tuple((key, sub.shape) for key, sub in space.spaces.items())
        else:
            self._shapes = ()

    def check(self, obs: Any) -> None:
        """Raise :class:`ObservationError` if ``obs`` does not fit the space's keys and shapes."""
        try:
            for key, shape in self._shapes:
                if obs[key].shape != shape:
                    break
            else:
                if self._shapes:
                    return
        except (KeyError, TypeError, AttributeError, IndexError):
            pass  # not the fast path's shape: the full check below says what is wrong
        check_observation(obs, self.space, self.who)
        if self._shapes:  # check_observation accepted what the fast path refused
            raise ObservationError(f"{self.who} cannot read observation {obs!r}")
