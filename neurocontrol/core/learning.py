"""Reading learning-rule state between simulator steps.

:func:`eligibility` reads the current eligibilities of a
:class:`~neurocontrol.core.model.reward_rules.RewardSTDP` rule (stored
epoch-scaled). Current weights come from the simulator itself
(``sim.weights(projection)``, which writes pending changes first).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocontrol.core.kernels.step.reward_stdp import RSTDP_EPOCH_START
from neurocontrol.core.model.network import rule_name
from neurocontrol.core.model.reward_rules import RewardSTDP
from neurocontrol.errors import ConfigError

__all__ = ["eligibility"]


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
