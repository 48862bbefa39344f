"""Where each signal lives in the arm envs' observation dict, and what an agent accepts.

The envs' contract: ``proprio`` = (q, dq, tau_cmd), ``ee`` = (hand position,
hand velocity), ``goal`` = (reference position, reference velocity, final
target), each block of the robot's joint count ``n`` or task dimension ``d``.

:class:`ObservationGuard` checks an observation completely before an agent
changes anything: a refused one (wrong keys, types, dtype or shape, NaN or
inf, a value far out of range) must leave the agent exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from gymnasium import spaces

from neurocontrol.agents.agent import check_observation
from neurocontrol.core.kernels.control.laws import within_bounds
from neurocontrol.errors import ObservationError

__all__ = ["ACCEPTED_DTYPES", "ArmLayout", "ObservationGuard", "accepted_range"]

#: The blocks every arm observation has (what the base controllers read).
ARM_KEYS = ("proprio", "ee", "goal")


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


#: The observation dtypes agents read (the envs emit float32).
ACCEPTED_DTYPES = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_ACCEPTED = "float32 or float64"
_ndarray = np.ndarray


def accepted_range(box: spaces.Box) -> tuple[np.ndarray, np.ndarray]:
    """The values an agent accepts for ``box`` (flat float64): its bounds widened by their width.

    A real sensor may read somewhat out of range, so the bounds themselves
    are not enforced; a value beyond them by more than the whole range is a
    broken reading, and one such value (1e30 in a reference, say) would be
    integrated into an agent's state for the rest of the episode.
    """
    low = np.asarray(box.low, dtype=np.float64).ravel()
    high = np.asarray(box.high, dtype=np.float64).ravel()
    with np.errstate(invalid="ignore", over="ignore"):  # infinite bounds stay infinite
        width = high - low
        return low - width, high + width


class ObservationGuard:
    """A per-step check of an observation, cheap on the success path.

    Accepted: a mapping with every key of the (Dict) space, each value a
    numpy array of the key's shape, dtype float32 or float64, finite and
    within :func:`accepted_range`. The success path compares shapes and
    dtypes and scans the values in a compiled loop; a failure is explained by
    :meth:`full_check`, which builds the message.

    Parameters
    ----------
    space : gymnasium.spaces.Space
        The env's observation space.
    who : str
        Names the agent in messages.
    kernel_keys : tuple of str
        Keys whose values the caller scans itself, in a compiled kernel
        that reads them anyway (:meth:`bounds` gives that kernel the
        accepted range); the guard checks only their type, dtype and shape.
    """

    def __init__(self, space: spaces.Space, who: str, kernel_keys: tuple[str, ...] = ()) -> None:
        self.space = space
        self.who = who
        self._ranges: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
        self._scanned: tuple[tuple[str, np.ndarray, np.ndarray], ...] = ()
        if isinstance(space, spaces.Dict) and all(
            isinstance(sub, spaces.Box) and len(sub.shape) == 1 for sub in space.spaces.values()
        ):
            self._ranges = {
                key: accepted_range(cast(spaces.Box, sub)) for key, sub in space.spaces.items()
            }
            self._shapes = tuple((key, sub.shape) for key, sub in space.spaces.items())
            self._scanned = tuple(
                (key, *self._ranges[key]) for key in space.spaces if key not in kernel_keys
            )

    def bounds(self, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Accepted low and high of ``keys``' values laid end to end (for a caller's kernel)."""
        return (
            np.concatenate([self._ranges[key][0] for key in keys]),
            np.concatenate([self._ranges[key][1] for key in keys]),
        )

    def check(self, obs: Any) -> None:
        """Raise :class:`ObservationError` if ``obs`` is not accepted (see the class docstring)."""
        try:
            for key, shape in self._shapes:
                value = obs[key]
                if (
                    type(value) is not _ndarray
                    or value.shape != shape
                    or value.dtype not in ACCEPTED_DTYPES
                ):
                    break
            else:
                for key, low, high in self._scanned:
                    if not within_bounds(obs[key], low, high):
                        break
                else:
                    if self._shapes:
                        return
        except (KeyError, TypeError, AttributeError, IndexError, ValueError):
            pass  # not the fast path's form: the full check below says what is wrong
        self.full_check(obs)

    def full_check(self, obs: Any) -> None:
        """The check of :meth:`check`, building its message; raises :class:`ObservationError`."""
        space = self.space
        if not isinstance(space, spaces.Dict) or not self._ranges:
            check_observation(obs, space, self.who)
            return
        if not isinstance(obs, Mapping):
            raise ObservationError(
                f"{self.who} expects a dict observation with keys {sorted(space.spaces)}, "
                f"got {type(obs).__name__}"
            )
        for key in space.spaces:
            if key not in obs:
                raise ObservationError(
                    f"{self.who} expects observation key {key!r} (keys {sorted(space.spaces)}), "
                    f"got keys {sorted(map(str, obs))}"
                )
        for key, shape in self._shapes:
            self._check_value(key, obs[key], shape, *self._ranges[key])

    def refusal(self, obs: Any) -> ObservationError:
        """The error for ``obs``, which a kernel refused (a value out of range or not finite)."""
        try:
            self.full_check(obs)
        except ObservationError as error:
            return error
        return ObservationError(f"{self.who} cannot read observation {obs!r}")

    def _check_value(
        self, key: str, value: Any, shape: tuple[int, ...], low: np.ndarray, high: np.ndarray
    ) -> None:
        where = f"{self.who} [{key!r}]"
        if not isinstance(value, np.ndarray):
            what = "a dict" if isinstance(value, Mapping) else type(value).__name__
            raise ObservationError(
                f"{where} must be a numpy array of shape {shape} and dtype {_ACCEPTED}, got {what}"
            )
        if value.dtype not in ACCEPTED_DTYPES:
            raise ObservationError(f"{where} has dtype {value.dtype}; accepted: {_ACCEPTED}")
        if value.shape != shape:
            raise ObservationError(
                f"{where} expects an observation of shape {shape}, got {value.shape}"
            )
        finite = np.isfinite(value)
        if not finite.all():
            index = int(np.argmin(finite))
            raise ObservationError(
                f"{where}[{index}] is {value[index]}: the observation contains NaN or inf; "
                "accepted: finite values"
            )
        outside = (value < low) | (value > high)
        if outside.any():
            index = int(np.argmax(outside))
            raise ObservationError(
                f"{where}[{index}] = {float(value[index]):g} is outside the accepted range "
                f"[{low[index]:g}, {high[index]:g}] (the observation space's bounds widened by "
                "their width on each side)"
            )
