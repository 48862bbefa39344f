"""The agent interface every controller implements.

An agent is driven one control step at a time::

    agent.reset(seed)
    obs, info = env.reset(seed=seed)
    while True:
        action = agent.act(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        agent.observe(reward, terminated, truncated, info)   # the third factor arrives here
        if terminated or truncated:
            break

``predict`` gives the Stable-Baselines3 calling convention so that tools
written for SB3 policies can drive these agents. Agents never assume the env
is simulated (the loop may be paced to wall-clock time on hardware).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from neurocontrol.errors import ObservationError

__all__ = ["Agent", "check_observation", "control_period"]


def control_period(env: Any) -> float:
    """Seconds of simulated time per ``env.step``: physics ``dt`` x ``control_decimation``.

    Falls back to 1 ms for an env that does not say (the package's default rate).
    """
    unwrapped = getattr(env, "unwrapped", env)
    dt = getattr(unwrapped, "dt", None)
    if dt is None:
        return 1e-3
    return float(dt) * int(getattr(unwrapped, "control_decimation", 1))


def check_observation(obs: Any, space: spaces.Space, who: str) -> None:
    """Raise :class:`ObservationError` if ``obs`` does not fit ``space``'s structure and shapes.

    Checks keys and shapes (not bounds: a real sensor may read slightly out of
    range), so it is cheap enough to run on every call: messages are only
    formatted when something is wrong.
    """
    if isinstance(space, spaces.Dict):
        if not isinstance(obs, Mapping):
            raise ObservationError(
                f"{who} expects a dict observation with keys {sorted(space.spaces)}, "
                f"got {type(obs).__name__}"
            )
        for key, subspace in space.spaces.items():
            if key not in obs:
                raise ObservationError(
                    f"{who} expects observation key {key!r} (keys {sorted(space.spaces)}), "
                    f"got keys {sorted(obs)}"
                )
            value = obs[key]
            if isinstance(subspace, spaces.Dict) or getattr(value, "shape", None) != subspace.shape:
                check_observation(value, subspace, f"{who} [{key!r}]")
        return
    shape = getattr(obs, "shape", None)
    if shape != space.shape:
        raise ObservationError(f"{who} expects an observation of shape {space.shape}, got {shape}")


class Agent(abc.ABC):
    """Base class of all controllers.

    Subclasses set :attr:`observation_space` and :attr:`action_space` (the
    env's) and implement :meth:`act`; :meth:`observe` receives the reward or
    error signal after each env step.
    """

    observation_space: spaces.Space
    action_space: spaces.Box

    def reset(self, seed: int | None = None) -> None:  # noqa: B027 - optional hook
        """Start a new episode; learned parameters are kept, transient state is cleared."""

    @abc.abstractmethod
    def act(self, obs: Any) -> np.ndarray:
        """Return the action for ``obs`` (an array in the env's action space)."""

    def observe(  # noqa: B027 - optional hook
        self, reward: float, terminated: bool, truncated: bool, info: Mapping[str, Any]
    ) -> None:
        """Receive the outcome of the last action (reward, error in ``info``)."""

    def set_learning(self, enabled: bool) -> None:  # noqa: B027 - optional hook
        """Switch on-line learning off (False) or back on (True); learned state is kept.

        Agents without on-line learning (the base controllers, fixed policies)
        ignore it, so an experiment can freeze every agent at once.
        """

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Stable-Baselines3-style entry point: ``(action, state)`` for one observation.

        ``episode_start`` true (or an array whose first entry is true) resets the
        agent's transient state first. Batched observations are refused: these
        agents are stateful and drive one env each.
        """
        if episode_start is not None and bool(np.any(episode_start)):
            self.reset()
        check_observation(observation, self.observation_space, type(self).__name__)
        return self.act(observation), state
