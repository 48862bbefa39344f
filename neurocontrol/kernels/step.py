"""The core of one network step (everything but the learning rules).

Order within step ``t``: clear last step's spike flags; record the given
input events; update every population from its input slot ``t`` of the
ring buffer; propagate this step's spikes of every projection into slot
``t + 1 + delay``. Learning rules run next (called by the generated entry
point), then :func:`finish_step` applies buffered weight changes and
advances the clock.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neurocontrol.kernels.flags import KERNEL_JIT
from neurocontrol.kernels.neurons import read_input_events, update_izhikevich, update_lif
from neurocontrol.kernels.state import (
    CLK_N_NEURONS,
    CLK_RING_LEN,
    CLK_STEP,
    MODEL_INPUT,
    MODEL_IZHIKEVICH,
    POP_MODEL,
    POP_SPIKE_COUNT,
    POP_SPIKE_TOTAL,
    POP_START,
    NetworkState,
)
from neurocontrol.kernels.synapses import apply_weight_changes, propagate

__all__ = ["advance_network", "finish_step"]


@njit(**KERNEL_JIT)
def advance_network(net: NetworkState, events: np.ndarray) -> None:
    """Neuron updates and spike propagation of one step (``events``: uint8 per input)."""
    pops, neurons, clock = net.populations.ints, net.neurons, net.clock
    n_pops = pops.shape[0]
    for p in range(n_pops):  # clear the flags of last step's spikes (event-driven)
        start = pops[p, POP_START]
        for s in range(pops[p, POP_SPIKE_COUNT]):
            neurons.spiked[neurons.spike_ids[start + s]] = 0
    slot_base = (clock[CLK_STEP] % clock[CLK_RING_LEN]) * clock[CLK_N_NEURONS]
    for p in range(n_pops):
        model = pops[p, POP_MODEL]
        if model == MODEL_INPUT:
            count = read_input_events(net, p, events)
        elif model == MODEL_IZHIKEVICH:
            count = update_izhikevich(net, p, slot_base)
        else:
            count = update_lif(net, p, slot_base)
        pops[p, POP_SPIKE_COUNT] = count
        pops[p, POP_SPIKE_TOTAL] += count
    for q in range(net.synapses.ints.shape[0]):
        propagate(net, q)


@njit(**KERNEL_JIT)
def finish_step(net: NetworkState) -> None:
    """Apply buffered weight changes and advance the step counter."""
    apply_weight_changes(net.synapses)
    net.clock[CLK_STEP] += 1
