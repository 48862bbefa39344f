"""Python-side helpers of the learning rules, called between simulator steps.

:func:`sync_weights` brings the lazily integrated weights of every
:class:`~neurocontrol.model.reward_rules.RewardSTDP` rule up to date (the
kernel writes a weight only when its presynaptic neuron spikes and once per
epoch); call it before reading weights, saving them or comparing them.
:func:`eligibility` reads the current eligibilities (stored epoch-scaled).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocontrol.errors import ConfigError
from neurocontrol.kernels.reward_stdp import (
    RSTDP_EPOCH_START,
    RSTDP_RATE_DT,
    sync_reward_stdp_weights,
)
from neurocontrol.kernels.state import PRJ_W_HIGH, PRJ_W_LOW
from neurocontrol.model.network import rule_name
from neurocontrol.model.reward_rules import RewardSTDP

__all__ = ["eligibility", "sync_weights"]


def _reward_rules(sim: Any) -> list[Any]:
    found = []
    for info in sim.built.rules:
        projection = sim.network.projection(info.projection)
        rule = next(r for r in projection.rules if rule_name(r) == info.name)
        if isinstance(rule, RewardSTDP):
            found.append(info)
    return found


def _last_offset(sim: Any, prefix: str) -> int:
    return sim.n_steps - 1 - int(sim.state[prefix + "switches"][RSTDP_EPOCH_START])


def sync_weights(sim: Any) -> int:
    """Write the pending weight changes of every lazily updated rule of ``sim``.

    Returns the number of rules synchronised. Weights are updated in place
    to their value after the last completed step (that of the eager rule,
    up to float rounding); further steps continue from there.
    """
    if sim.n_steps == 0:
        return 0
    floats = sim.built.arenas.views["synapses.floats"]
    rules = _reward_rules(sim)
    for info in rules:
        q = sim.built.projection_index[info.projection]
        state = sim.state
        weights = state[f"{info.projection}.weights"]
        sync_reward_stdp_weights(
            weights.reshape(-1),  # a view: C-contiguous
            float(floats[q, PRJ_W_LOW]),
            float(floats[q, PRJ_W_HIGH]),
            state[info.prefix + "eligibility"],
            state[info.prefix + "dopamine_sum"],
            float(state[info.prefix + "params"][RSTDP_RATE_DT]),
            _last_offset(sim, info.prefix),
            weights.shape[0] if weights.ndim == 2 else 0,
        )
    return len(rules)


def eligibility(sim: Any, rule: str) -> np.ndarray:
    """The eligibility of every synapse of :class:`RewardSTDP` ``rule`` after the last step.

    ``rule`` is ``"<projection>.<rule name>"``; returns a new float64 array
    in the projection's synapse order (``[n_pre, n_post]`` when dense).
    """
    matches = [info for info in _reward_rules(sim) if f"{info.projection}.{info.name}" == rule]
    if not matches:
        known = ", ".join(f"{i.projection}.{i.name}" for i in _reward_rules(sim)) or "none"
        raise ConfigError(f"no RewardSTDP rule called {rule!r}; RewardSTDP rules: {known}")
    info = matches[0]
    scaled = sim.state[info.prefix + "eligibility"][:, 0]
    offset = max(_last_offset(sim, info.prefix), 0)
    values = scaled * sim.state[info.prefix + "decay_powers"][offset]
    weights = sim.state[f"{info.projection}.weights"]
    if weights.ndim == 2:  # dense: slots are column-major (see kernels.reward_stdp)
        return np.ascontiguousarray(values.reshape(weights.shape[1], weights.shape[0]).T)
    return values
