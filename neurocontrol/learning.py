"""Python-side helpers of the learning rules, called between simulator steps.

:func:`sync_weights` brings the lazily integrated weights of every
:class:`~neurocontrol.model.reward_rules.RewardSTDP` rule up to date (the
kernel updates a synapse only when its pre or post neuron spikes); call it
before reading weights, saving them or comparing them.
"""

from __future__ import annotations

from typing import Any

from neurocontrol.kernels.reward_stdp import (
    RSTDP_EPOCH_START,
    RSTDP_RATE_DT,
    sync_reward_stdp_weights,
)
from neurocontrol.kernels.state import PRJ_W_HIGH, PRJ_W_LOW
from neurocontrol.model.network import rule_name
from neurocontrol.model.reward_rules import RewardSTDP

__all__ = ["sync_weights"]


def sync_weights(sim: Any) -> int:
    """Bring every lazily updated weight of ``sim`` up to its last completed step.

    Returns the number of rules synchronised. Weights, eligibilities and
    bookkeeping are updated in place; the result equals the eager rule's
    state after the last step (exactly, up to float rounding), and further
    steps continue from it.
    """
    synced = 0
    if sim.n_steps == 0:
        return synced
    floats = sim.built.arenas.views["synapses.floats"]
    for info in sim.built.rules:
        projection = sim.network.projection(info.projection)
        rule = next(r for r in projection.rules if rule_name(r) == info.name)
        if not isinstance(rule, RewardSTDP):
            continue
        q = sim.built.projection_index[info.projection]
        state = sim.state
        switches = state[info.prefix + "switches"]
        offset = sim.n_steps - 1 - int(switches[RSTDP_EPOCH_START])
        weights = state[f"{info.projection}.weights"].reshape(-1)  # a view: C-contiguous
        sync_reward_stdp_weights(
            weights,
            float(floats[q, PRJ_W_LOW]),
            float(floats[q, PRJ_W_HIGH]),
            state[info.prefix + "eligibility"],
            state[info.prefix + "dopamine_sum"],
            state[info.prefix + "decay_powers"],
            state[info.prefix + "inverse_powers"],
            float(state[info.prefix + "params"][RSTDP_RATE_DT]),
            offset,
        )
        synced += 1
    return synced
