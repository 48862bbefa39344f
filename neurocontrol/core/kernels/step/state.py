"""Struct-of-arrays state of a built network, as NamedTuples of 1-D arrays.

Every array is a slice of one of a few typed arenas (``f8``, ``f4``, ``i8``,
``i4``, ``u2``, ``u1``, ``u8``) allocated once by :mod:`neurocontrol.core.builder`; the
generated step entry point rebuilds these NamedTuples from the arenas (a few
nanoseconds) so that one Python call carries only the arenas. Scalars are
arrays of length 1. Neurons of all populations are concatenated, inputs
first; projections share flat weight and index arrays addressed through
per-projection offsets.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "MODEL_ALIF",
    "MODEL_INPUT",
    "MODEL_IZHIKEVICH",
    "MODEL_LIF",
    "MODEL_LIF_RATE",
    "MODEL_OUTPUT",
    "OPS_MACS",
    "OPS_NEURON_UPDATES",
    "OPS_SYNOPS",
    "NetworkState",
    "Neurons",
    "Populations",
    "Synapses",
]

MODEL_INPUT = 0
MODEL_LIF = 1
MODEL_ALIF = 2
MODEL_IZHIKEVICH = 3
MODEL_LIF_RATE = 4
MODEL_OUTPUT = 5

# Columns of Populations.ints (int64, one row per population).
POP_START = 0  # first neuron
POP_STOP = 1  # one past the last neuron
POP_MODEL = 2  # MODEL_* code
POP_DELTA_SYNAPSES = 3  # 1: a spike moves v (LIF) or I for one step (Izhikevich); 0: I_syn
POP_REF_STEPS = 4  # refractory steps after a spike
POP_SUBSTEPS = 5  # Euler sub-steps (Izhikevich)
POP_SPIKE_COUNT = 6  # spikes in the last step
POP_SPIKE_TOTAL = 7  # spikes since build
POP_UPDATES_PER_STEP = 8  # neuron state updates per step (state variables x neurons)
POP_MACS_PER_STEP = 9  # multiply-adds per step (rate nonlinearity, output synapse)
POP_INT_COLUMNS = (
    "start",
    "stop",
    "model",
    "delta_synapses",
    "ref_steps",
    "substeps",
    "spike_count",
    "spike_total",
    "updates_per_step",
    "macs_per_step",
)

# Columns of Populations.floats (float64, one row per population).
POP_DECAY_M = 0  # exp(-dt/tau_m)
POP_V_REST = 1
POP_R_M = 2
POP_I_BIAS = 3
POP_V_TH = 4
POP_V_RESET = 5
POP_SYN_DECAY = 6  # exp(-dt/tau_syn)
POP_SYN_TO_V = 7  # exact propagator I_syn -> v over one step
POP_NOISE_SCALE = 8  # sigma * sqrt(1 - exp(-2 dt/tau_m))
POP_ADAPT_DECAY = 9  # exp(-dt/tau_adapt)
POP_ADAPT_INCREMENT = 10  # delta_th
POP_IZH_A = 11
POP_IZH_B = 12
POP_IZH_C = 13
POP_IZH_D = 14
POP_V_PEAK = 15
POP_SUBSTEP_MS = 16  # Euler sub-step in ms (Izhikevich)
POP_TAU_M = 17  # membrane time constant, s (LIF rate model)
POP_TAU_REF = 18  # refractory period, s (LIF rate model)
POP_DELTA_CURRENT = 19  # tau_m / (r_m dt): mean current of a unit voltage jump per step (rates)
POP_DT = 20  # the step, s
POP_FLOAT_COLUMNS = (
    "decay_m",
    "v_rest",
    "r_m",
    "i_bias",
    "v_th",
    "v_reset",
    "syn_decay",
    "syn_to_v",
    "noise_scale",
    "adapt_decay",
    "adapt_increment",
    "izh_a",
    "izh_b",
    "izh_c",
    "izh_d",
    "v_peak",
    "substep_ms",
    "tau_m",
    "tau_ref",
    "delta_current",
    "dt",
)

# Columns of Synapses.ints (int64, one row per projection).
PRJ_PRE = 0  # presynaptic population index
PRJ_POST = 1  # postsynaptic population index
PRJ_DENSE = 2  # storage: 0 CSR, 1 dense, 2 post-major, 3 CSR uint16, 4 readout (STORAGE_*)
PRJ_N_PRE = 3
PRJ_N_POST = 4
PRJ_N_SYN = 5
PRJ_W_START = 6
PRJ_IDX_START = 7
PRJ_PTR_START = 8
PRJ_COL_PTR_START = 9  # -1 without CSC view
PRJ_COL_START = 10
PRJ_HINT_START = 11
PRJ_HINT_SHIFT = 12
PRJ_DELAY = 13  # extra delay in steps
PRJ_DEFERRED = 14  # 1 if weight changes are buffered (several rules)
PRJ_DW_START = 15
PRJ_TOUCHED_START = 16
PRJ_N_TOUCHED = 17
PRJ_SYNOPS_STEP = 18  # synaptic events of the last step
PRJ_SYNOPS_TOTAL = 19
PRJ_COL_OFFSET_BITS = 20  # >= 0: col_syn packs (pre row << bits) | offset in row; -1: synapse ids
PRJ_MACS_STEP = 21  # multiply-adds of the last step's propagation (rate presynaptic neurons)
PRJ_LEARNING_SYNOPS_STEP = 22  # weight adds of the last step's learning rules
PRJ_LEARNING_MACS_STEP = 23  # multiply-adds of the last step's learning rules
PRJ_INT_COLUMNS = (
    "pre",
    "post",
    "dense",
    "n_pre",
    "n_post",
    "n_syn",
    "w_start",
    "idx_start",
    "ptr_start",
    "col_ptr_start",
    "col_start",
    "hint_start",
    "hint_shift",
    "delay",
    "deferred",
    "dw_start",
    "touched_start",
    "n_touched",
    "synops_step",
    "synops_total",
    "col_offset_bits",
    "macs_step",
    "learning_synops_step",
    "learning_macs_step",
)

# Columns of Synapses.floats (float64, one row per projection).
PRJ_W_LOW = 0  # lower weight bound under plasticity
PRJ_W_HIGH = 1  # upper weight bound under plasticity
PRJ_FLOAT_COLUMNS = ("w_low", "w_high")

# Entries of NetworkState.clock.
CLK_STEP = 0
CLK_RING_LEN = 1
CLK_N_NEURONS = 2
CLK_N_INPUTS = 3

# Entries of NetworkState.operations: the last step's counts, then the totals since build.
OPS_SYNOPS = 0  # synaptic events: one weight accumulated into one target
OPS_NEURON_UPDATES = 1  # neuron state variables integrated
OPS_MACS = 2  # multiply-adds computed densely
OPS_TOTAL = 3  # offset of the totals


class Populations(NamedTuple):
    """Per-population tables: ``ints[p, POP_*]`` and ``floats[p, POP_*]``."""

    ints: np.ndarray  # i8 [n_populations, len(POP_INT_COLUMNS)]
    floats: np.ndarray  # f8 [n_populations, len(POP_FLOAT_COLUMNS)]


class Neurons(NamedTuple):
    """Per-neuron state (all populations concatenated, inputs first)."""

    v: np.ndarray  # f8, membrane potential
    i_syn: np.ndarray  # f8, synaptic current (exponential synapses)
    recovery: np.ndarray  # f8, Izhikevich u
    adaptation: np.ndarray  # f8, threshold adaptation a (adaptive LIF)
    i_ext: np.ndarray  # f8, external current set from Python
    refractory: np.ndarray  # i4, refractory steps left
    spiked: np.ndarray  # u1, 1 if the neuron spiked in the last step
    spike_ids: np.ndarray  # i4, spikes of population p at [start, start + spike_count)
    rate: np.ndarray  # f8, output of rate-model neurons (Hz); 0 for spiking neurons


class Synapses(NamedTuple):
    """All projections: ``ints[q, PRJ_*]``, ``floats[q, PRJ_*]`` and shared flat arrays.

    Projection ``q`` owns ``weights[w_start : w_start + n_syn]``. Dense
    (all-to-all) weights are row-major ``[n_pre, n_post]``. Sparse ones are
    CSR: row ``i`` holds local synapses ``indptr[ptr_start + i] ..
    indptr[ptr_start + i + 1]`` with postsynaptic (local) indices
    ``indices[idx_start + k]``. Plastic sparse projections also get a CSC
    view: ``col_ptr`` (per post neuron) and ``col_syn`` (local synapse
    numbers, ascending within a column), plus ``row_hint[k >> hint_shift]``,
    the row of synapse ``(k >> hint_shift) << hint_shift``.

    Post-major projections (``PRJ_DENSE == 2``: sparse, additive pair STDP
    only) group their weights by postsynaptic neuron, so a postsynaptic
    spike potentiates a contiguous run: there ``indptr`` holds the column
    pointers ``[n_post + 1]`` and ``narrow_indices`` the presynaptic indices, while
    ``col_ptr``/``col_syn`` hold the row pointers ``[n_pre + 1]`` and packed
    ``(post << col_offset_bits) | offset in column`` entries for the
    presynaptic walk.

    Static CSR projections onto at most 65,536 neurons (``PRJ_DENSE == 3``)
    keep their postsynaptic indices in ``narrow_indices`` (uint16, same
    ``idx_start`` addressing): half the index traffic of propagation; so do
    post-major projections their presynaptic indices (the form requires at
    most 65,536 presynaptic neurons).
    """

    ints: np.ndarray  # i8 [n_projections, len(PRJ_INT_COLUMNS)]
    floats: np.ndarray  # f8 [n_projections, len(PRJ_FLOAT_COLUMNS)]
    weights: np.ndarray  # f4
    indices: np.ndarray  # i4
    indptr: np.ndarray  # i4
    col_ptr: np.ndarray  # i4
    col_syn: np.ndarray  # i4
    row_hint: np.ndarray  # i4
    dw: np.ndarray  # f4, buffered weight changes (deferred projections)
    touched: np.ndarray  # i4, synapses with a buffered change
    narrow_indices: np.ndarray  # u2, indices of PRJ_DENSE == 3 (post) and 2 (pre) projections


class NetworkState(NamedTuple):
    """Everything one network step reads and writes."""

    neurons: Neurons
    populations: Populations
    synapses: Synapses
    ring: np.ndarray  # f8, [ring_len * n_neurons] input per step slot and neuron
    clock: np.ndarray  # i8, [step, ring_len, n_neurons, n_inputs]
    rng: np.ndarray  # u8, [splitmix64 state]
    dt: np.ndarray  # f8, [dt in seconds]
    operations: np.ndarray  # i8, [synops, neuron updates, MACs] of the last step, then totals
