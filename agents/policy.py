"""External policies as agents: any callable ``obs -> action`` or a Stable-Baselines3 model.

:class:`PolicyAdapter` checks the policy's spaces against the env's once and
its actions every step, so a policy trained elsewhere drives the arm envs like
any other agent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, cast

import gymnasium as gym
import numpy as np

from neurocontrol.agents.agent import Agent
from neurocontrol.agents.observation import ObservationGuard
from neurocontrol.agents.persistence import Persistent
from neurocontrol.errors import ActionError, ConfigError
from neurocontrol.utils.validation import require_nonnegative

__all__ = ["PolicyAdapter"]


def _space_mismatch(ours: gym.spaces.Space, theirs: gym.spaces.Space) -> bool:
    if isinstance(ours, gym.spaces.Box) and isinstance(theirs, gym.spaces.Box):
        return (
            ours.shape != theirs.shape
            or not np.allclose(ours.low, theirs.low)
            or not np.allclose(ours.high, theirs.high)
        )
    return ours != theirs


class PolicyAdapter(Persistent, Agent):
    """Drive an env with an external policy: a callable ``obs -> action`` or an SB3 model.

    A Stable-Baselines3 model (anything with ``.predict``) is called as
    ``model.predict(obs, deterministic=...)``; its ``action_space`` (and
    ``observation_space``, if it has one) must match the env's, else
    :class:`ConfigError` says how they differ. Actions are checked every step
    (shape, finiteness; :class:`ActionError`) and clipped to the action space.

    Parameters
    ----------
    policy : callable or SB3 model
    observation_space, action_space : gymnasium spaces
        The env's.
    deterministic : bool
        Passed to ``predict``.
    macs_per_step : float, optional
        Compute of one policy evaluation for the hybrid log; by default the
        multiply-accumulates of the torch ``Linear`` layers of an SB3 policy,
        0 for a plain callable.
    """

    agent_type: ClassVar[str] = "sb3"

    def __init__(
        self,
        policy: Any,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Box,
        *,
        deterministic: bool = True,
        macs_per_step: float | None = None,
    ) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.deterministic = bool(deterministic)
        self.is_sb3 = callable(getattr(policy, "predict", None))
        if not self.is_sb3 and not callable(policy):
            raise ConfigError(
                f"policy must be callable (obs -> action) or have .predict (an SB3 model), "
                f"got {type(policy).__name__}"
            )
        if self.is_sb3:
            theirs = getattr(policy, "action_space", None)
            if theirs is not None and _space_mismatch(action_space, theirs):
                raise ConfigError(
                    f"the SB3 model's action space {theirs} differs from the env's action space "
                    f"{action_space}; train or load a model for this env"
                )
            theirs_obs = getattr(policy, "observation_space", None)
            if theirs_obs is not None and _space_mismatch(observation_space, theirs_obs):
                raise ConfigError(
                    f"the SB3 model's observation space {theirs_obs} differs from the env's "
                    f"observation space {observation_space}"
                )
        self.policy = policy
        self.guard = ObservationGuard(observation_space, type(self).__name__)
        self._shape = action_space.shape
        self._low = np.asarray(action_space.low, dtype=np.float32)
        self._high = np.asarray(action_space.high, dtype=np.float32)
        macs = _sb3_macs(policy) if macs_per_step is None else macs_per_step
        #: Operations of the last step: SynOps, neuron updates, MACs (as the adaptive agents).
        self.ops = np.array([0.0, 0.0, require_nonnegative("macs_per_step", macs)])
        self.source: dict[str, Any] | None = None

    @classmethod
    def from_env(cls, env: gym.Env, policy: Any, **kwargs: Any) -> PolicyAdapter:
        """Wrap ``policy`` for ``env``'s spaces."""
        return cls(policy, env.observation_space, cast(gym.spaces.Box, env.action_space), **kwargs)

    @classmethod
    def from_sb3_file(
        cls, env: gym.Env, algorithm: str, path: str, deterministic: bool = True
    ) -> PolicyAdapter:
        """Load a saved Stable-Baselines3 model (``algorithm`` e.g. ``"PPO"``) for ``env``."""
        try:  # an optional extra, and torch is slow to import: only when a model is loaded
            import stable_baselines3
        except ImportError as exc:
            raise ConfigError(
                "agent type 'sb3' needs Stable-Baselines3: pip install 'neurocontrol[sb3]'"
            ) from exc
        algo = getattr(stable_baselines3, str(algorithm), None)
        if algo is None or not hasattr(algo, "load"):
            raise ConfigError(
                f"algorithm {algorithm!r} is not a Stable-Baselines3 algorithm; accepted: "
                f"{sorted(n for n in stable_baselines3.__all__ if n.isupper())}"
            )
        if not Path(path).is_file():
            raise ConfigError(f"no saved SB3 model at path {path!r}")
        adapter = cls.from_env(env, algo.load(path, device="cpu"), deterministic=deterministic)
        adapter.source = {"algorithm": str(algorithm), "path": str(path)}
        return adapter

    def act(self, obs: Any) -> np.ndarray:
        self.guard.check(obs)
        if self.is_sb3:
            raw, _ = self.policy.predict(obs, deterministic=self.deterministic)
        else:
            raw = self.policy(obs)
        try:
            action = np.asarray(raw, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ActionError(f"policy returned a non-numeric action {raw!r}") from exc
        if action.shape != self._shape:
            raise ActionError(
                f"policy returned an action of shape {action.shape}; the env takes {self._shape}"
            )
        if not np.all(np.isfinite(action)):
            raise ActionError(f"policy returned a non-finite action {action.tolist()}")
        return np.clip(action, self._low, self._high)

    def spec(self) -> dict[str, Any]:
        if self.source is None:
            raise ConfigError(
                "a PolicyAdapter has a plain-data spec only when loaded from a file "
                "(PolicyAdapter.from_sb3_file); save the wrapped policy with its own API"
            )
        return {"type": self.agent_type, **self.source, "deterministic": self.deterministic}

    def state_targets(self) -> dict[str, np.ndarray]:
        return {}  # the policy's parameters live in its own file


def _sb3_macs(policy: Any) -> float:
    """Multiply-accumulates of the ``Linear`` layers of an SB3 policy's actor (0 if unknown)."""
    network = getattr(policy, "policy", None)
    if network is None or not hasattr(network, "modules"):
        return 0.0
    actor = getattr(network, "actor", None)  # SAC, TD3, DDPG
    parts = [actor] if actor is not None else []
    extractor = getattr(network, "mlp_extractor", None)  # PPO, A2C
    if extractor is not None:
        parts += [getattr(extractor, "policy_net", None), getattr(network, "action_net", None)]
    total = 0
    for part in parts:
        if part is None:
            continue
        for module in part.modules():
            if type(module).__name__ == "Linear":
                total += int(module.in_features) * int(module.out_features)
    return float(total)
