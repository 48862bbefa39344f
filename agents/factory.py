"""Build any agent from plain data (a YAML/JSON spec) for an env, and load checkpoints.

A spec is a mapping with a ``type`` and that type's parameters::

    {"type": "adaptive_spiking", "base": {"type": "osc", "kp": 200},
     "n_neurons": 1000, "learning_rate": 5e-3}

=====================  ===============================================================
type                   parameters (besides ``type``)
=====================  ===============================================================
``osc``                :class:`~neurocontrol.agents.base_controllers.OperationalSpaceController`
``joint_pd``           :class:`~neurocontrol.agents.base_controllers.JointPDController`
``adaptive_spiking``   ``base`` (a base spec, default ``{"type": "osc", "feedforward":
                       true}``) and
                       :class:`~neurocontrol.agents.adaptive.AdaptiveController`'s
                       parameters with LIF neurons; ``force`` (ArmPress) takes the
                       regulator's parameters, its ``target_force`` defaulting to
                       the env's
``adaptive_rate``      the same with the LIF rate model (the rate-coded twin)
``hybrid``             ``spiking``, ``dense`` (agent specs), ``mode``, ``blend``,
                       ``energy`` (``"horowitz"``, ``"loihi"`` or per-op energies),
                       ``share_base``, ``log_capacity``
``reward_spiking``     :class:`~neurocontrol.agents.reward_learning.RewardSpikingController`'s
                       parameters (PlanarReach; ``rstdp`` holds the rule's)
``sb3``                ``algorithm`` (e.g. ``"PPO"``), ``path`` (a saved model),
                       ``deterministic``: :class:`~neurocontrol.agents.policy.PolicyAdapter`
=====================  ===============================================================

The accepted parameters of each type are read from its constructor, so an
unknown key is refused with the list of the allowed ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym

from neurocontrol.agents.adaptive import ADAPTIVE_TYPES, AdaptiveController
from neurocontrol.agents.agent import Agent
from neurocontrol.agents.base_controllers import (
    BaseController,
    JointPDController,
    OperationalSpaceController,
)
from neurocontrol.agents.hybrid import HybridAgent
from neurocontrol.agents.persistence import read_checkpoint
from neurocontrol.agents.policy import PolicyAdapter
from neurocontrol.agents.reward_learning import RewardSpikingController
from neurocontrol.core.energy import EnergyModel
from neurocontrol.envs.arm_env import ArmEnv
from neurocontrol.errors import CheckpointError, ConfigError
from neurocontrol.utils.registration import ENV_IDS

__all__ = ["AGENT_TYPES", "BASE_TYPES", "load_agent", "make_agent"]

#: Base controllers by spec type.
BASE_TYPES: dict[str, type[BaseController]] = {
    "osc": OperationalSpaceController,
    "joint_pd": JointPDController,
}
#: The neuron model of each adaptive agent type (the type says it; the spec does not).
_ADAPTIVE_NEURONS = {kind: neurons for neurons, kind in ADAPTIVE_TYPES.items()}
_NOT_FROM_SPEC = {
    "self",
    "observation_space",
    "action_space",
    "robot_model",
    "base",
    "kwargs",
    "neurons",
}


def _keywords(cls: type, *also: type) -> set[str]:
    """Keyword parameters of ``cls.__init__`` (and of the classes it forwards ``**kwargs`` to)."""
    names: set[str] = set()
    for klass in (cls, *also):
        names |= set(inspect.signature(klass.__init__).parameters) - _NOT_FROM_SPEC  # type: ignore[misc]
    return names


def _check_keys(spec: Mapping[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    unknown = sorted(set(spec) - allowed - {"type"})
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in {where} spec of type {spec.get('type')!r}; "
            f"allowed: {sorted(allowed)}"
        )
    return {key: value for key, value in spec.items() if key != "type"}


def _spec_type(spec: Any, where: str, allowed: list[str]) -> str:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where} spec must be a mapping with a 'type', got {spec!r}")
    kind = spec.get("type")
    if kind not in allowed:
        raise ConfigError(f"{where} spec has type {kind!r}; allowed types: {allowed}")
    return str(kind)


def _base(spec: Any, env: gym.Env, where: str) -> BaseController:
    kind = _spec_type(spec, where, sorted(BASE_TYPES))
    cls = BASE_TYPES[kind]
    params = _check_keys(spec, _keywords(cls, BaseController), where)
    return cls.from_env(env, **params)


def _adaptive(spec: Mapping[str, Any], env: gym.Env, seed: int | None) -> Agent:
    params = _check_keys(spec, _keywords(AdaptiveController) | {"base"}, "agent")
    # the default base adds the reference-acceleration feedforward (what the weights then hold
    # is the perturbation, a function of the state)
    base = _base(params.pop("base", {"type": "osc", "feedforward": True}), env, "base controller")
    if "seed" not in params and seed is not None:
        params["seed"] = seed
    force = params.get("force")
    if isinstance(force, Mapping) and "target_force" not in force:
        target = getattr(env.unwrapped, "target_force", None)
        if target is not None:  # ArmPress says what it asks for
            params["force"] = {**force, "target_force": float(target)}
    return AdaptiveController(base, neurons=_ADAPTIVE_NEURONS[spec["type"]], **params)


def _energy(value: Any) -> EnergyModel:
    if value is None or value == "horowitz":
        return EnergyModel()
    if value == "loihi":
        return EnergyModel.loihi()
    if isinstance(value, Mapping):
        allowed = {"e_synop", "e_mac", "e_neuron_update", "source"}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ConfigError(f"unknown key(s) {unknown} in energy; allowed: {sorted(allowed)}")
        return EnergyModel(**value)
    raise ConfigError(
        f"energy must be 'horowitz', 'loihi' or a mapping of per-op energies, got {value!r}"
    )


def _hybrid(spec: Mapping[str, Any], env: gym.Env, seed: int | None) -> Agent:
    allowed = {"spiking", "dense", "mode", "blend", "energy", "log_capacity", "share_base"}
    params = _check_keys(spec, allowed, "agent")
    for side in ("spiking", "dense"):
        if side not in params:
            raise ConfigError(f"hybrid spec needs a {side!r} agent spec")
    return HybridAgent(
        make_agent(params.pop("spiking"), env, seed),
        make_agent(params.pop("dense"), env, seed),
        energy=_energy(params.pop("energy", None)),
        **params,
    )


def _sb3(spec: Mapping[str, Any], env: gym.Env, seed: int | None) -> Agent:
    params = _check_keys(spec, {"algorithm", "path", "deterministic"}, "agent")
    for key, what in (
        ("algorithm", "an SB3 algorithm name, e.g. 'PPO'"),
        ("path", "a saved model"),
    ):
        if key not in params:
            raise ConfigError(f"sb3 spec needs {key!r} ({what})")
    return PolicyAdapter.from_sb3_file(env, **params)


def _reward_spiking(spec: Mapping[str, Any], env: gym.Env, seed: int | None) -> Agent:
    allowed = _keywords(RewardSpikingController) | {"base"}
    params = _check_keys(spec, allowed, "agent")
    base_spec = params.pop("base", {"type": "osc"})
    _spec_type(base_spec, "base controller", ["osc"])  # reaches need operational-space control
    base = _base(base_spec, env, "base controller")
    if "seed" not in params and seed is not None:
        params["seed"] = seed
    return RewardSpikingController(base, **params)


def _plain_base(spec: Mapping[str, Any], env: gym.Env, seed: int | None) -> Agent:
    return _base(spec, env, "agent")


_BUILDERS: dict[str, Callable[[Mapping[str, Any], gym.Env, int | None], Agent]] = {
    "osc": _plain_base,
    "joint_pd": _plain_base,
    "adaptive_spiking": _adaptive,
    "adaptive_rate": _adaptive,
    "hybrid": _hybrid,
    "reward_spiking": _reward_spiking,
    "sb3": _sb3,
}

#: Every agent type :func:`make_agent` builds.
AGENT_TYPES: tuple[str, ...] = tuple(_BUILDERS)


def _check_env(env: Any) -> None:
    """ConfigError unless ``env`` is one of the package's arm envs (wrapped or not)."""
    if not isinstance(getattr(env, "unwrapped", None), ArmEnv):
        what = "None" if env is None else type(getattr(env, "unwrapped", env)).__name__
        raise ConfigError(
            f"agents are built for neurocontrol's arm envs, got {what}; accepted: "
            f"gymnasium.make of {', '.join(repr(i) for i in ENV_IDS)} (wrapped or not), "
            "or an ArmEnv subclass from neurocontrol.envs"
        )


def make_agent(spec: Mapping[str, Any], env: gym.Env, seed: int | None = None) -> Agent:
    """Build the agent described by ``spec`` for ``env``.

    Parameters
    ----------
    spec : mapping
        ``{"type": ..., <parameters>}``; see the module docstring.
    env : gymnasium.Env
        The env the agent will drive (spaces, nominal model, control period).
    seed : int, optional
        Seeds everything random at construction (NEF encoders, networks) unless
        the spec has its own ``seed``.

    Raises
    ------
    ConfigError
        For an unknown type or key (naming the allowed ones), a bad value, or
        an env that is not one of the package's.
    """
    kind = _spec_type(spec, "agent", list(AGENT_TYPES))
    _check_env(env)
    return _BUILDERS[kind](spec, env, seed)


def load_agent(path: str | Path, env: gym.Env) -> Agent:
    """Rebuild the agent saved at ``path`` for ``env`` and restore its state exactly.

    Raises
    ------
    ConfigError
        For an env that is not one of the package's (before the file is read).
    CheckpointError
        For a missing, damaged or foreign checkpoint.
    """
    _check_env(env)
    agent_type, spec, arrays = read_checkpoint(path)
    if agent_type not in AGENT_TYPES:
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds an agent of unknown type {agent_type!r}; "
            f"known: {list(AGENT_TYPES)}"
        )
    agent = make_agent(spec, env)
    agent.load_state_dict(arrays)
    return agent
