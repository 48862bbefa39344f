"""The learning-rule interface of the builder, and the pair-STDP builder.

Adding a rule takes three pieces and no change to the simulator or anywhere
else:

1. a frozen dataclass deriving from
   :class:`~neurocontrol.core.model.rules.LearningRule` (validated parameters,
   ``weight_bounds``, a ``name`` field);
2. a kernel ``rule_step(net, p, state)`` (``@njit(**KERNEL_JIT)``) in a
   module of :mod:`neurocontrol.core.kernels`, with its state a module-level
   NamedTuple of 1-D arrays; it changes weights only through
   :func:`~neurocontrol.core.kernels.step.synapses.add_weight_change`;
3. a builder registered with ``@RULE_BUILDERS.register(MyRule)`` returning a
   :class:`RuleBuild`: the NamedTuple type, the initial value of every
   field (its dtype picks the arena), the kernel, the name of the field
   holding the broadcast third factor, if any, and what the simulator must
   do for the rule: which fields an episode start sets back
   (``episode_state``), how pending weight changes are written before
   weights are read (``sync_weights``) and what a clock restart needs
   (``restart_clock``). The simulator iterates over these; it never names
   a rule.

A rule that needs spikes on either side calls :func:`require_spiking` in its
builder: rate populations and outputs emit none. A readout onto an
:class:`~neurocontrol.core.model.network.Output` takes one rule, PES, whose output
follows its weight changes.

The generated step entry point calls every rule kernel once per step, in
the order of the projections and their rules, after spike propagation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neurocontrol.core.builder.registry import RULE_BUILDERS
from neurocontrol.core.kernels.step.pair_stdp import (
    STDP_A_MINUS,
    STDP_A_PLUS,
    STDP_ENABLED,
    STDP_MULTIPLICATIVE,
    STDP_NEAREST,
    STDP_POST_DECAY,
    STDP_PRE_DECAY,
    STDP_W_MAX,
    STDP_W_MIN,
    PairSTDPState,
    pair_stdp_additive_dense,
    pair_stdp_additive_post_major,
    pair_stdp_step,
)
from neurocontrol.core.model.rules import PairSTDP
from neurocontrol.errors import ConfigError

__all__ = [
    "RuleAccess",
    "RuleBuild",
    "RuleContext",
    "build_pair_stdp",
    "require_spiking",
    "scalar",
]


@dataclass(frozen=True)
class RuleContext:
    """What a rule builder may know about its projection."""

    projection_name: str
    projection_index: int
    n_pre: int
    n_post: int
    n_syn: int
    dense: bool
    dt: float
    max_in_degree: int
    #: neuron model of the postsynaptic population (None if the caller does not know it)
    post_model: object = None
    #: learning rules on this projection (>= 2: weight changes are buffered, not written through)
    n_rules: int = 1
    #: the presynaptic population is a rate model (it delivers rate x dt, not spikes)
    pre_rates: bool = False
    #: the postsynaptic node is an Output (linear units, no spikes)
    post_output: bool = False
    #: the postsynaptic population is a rate model (no spikes)
    post_rates: bool = False


def require_spiking(
    rule: object, context: RuleContext, pre: bool = True, post: bool = True
) -> None:
    """ConfigError unless the projection has spiking neurons on the sides ``rule`` needs."""
    sides = []
    if pre and context.pre_rates:
        sides.append("presynaptic neurons (a rate model delivers no spikes)")
    if post and (context.post_output or context.post_rates):
        sides.append("postsynaptic neurons (an Output or rate model emits no spikes)")
    if sides:
        raise ConfigError(
            f"{type(rule).__name__} on projection {context.projection_name!r} needs spiking "
            f"{' and '.join(sides)}; rules for rate models and outputs: PES"
        )


@dataclass(frozen=True)
class RuleAccess:
    """What a rule's Python hooks may touch: its state and its projection's weights (live views)."""

    state: dict[str, np.ndarray]
    #: the projection's weights, flat, in storage order
    weights: np.ndarray
    #: presynaptic rows of a dense projection (0 when sparse)
    dense_rows: int
    w_low: float
    w_high: float
    #: the network clock; ``clock[0]`` is the number of steps taken
    clock: np.ndarray


@dataclass(frozen=True)
class RuleBuild:
    """The built form of one rule instance.

    Attributes
    ----------
    state_type : type
        Module-level NamedTuple of 1-D arrays passed to ``kernel``.
    arrays : dict
        Initial value of every field of ``state_type`` (dtype float64,
        float32, int64, int32, uint8 or uint64).
    kernel : numba dispatcher
        ``kernel(net, projection_index, state)``, called once per step.
    third_factor : str or None
        Field set from Python between steps with ``Simulator.set_third_factor``.
    enabled : tuple of (str, int) or None
        ``(field, index)`` of the int64 switch that ``Simulator.set_plasticity``
        sets to 0 or 1.
    needs_columns : bool
        Whether the kernel walks columns (postsynaptic side) of a sparse
        projection, which then gets a CSC view (4 bytes per synapse).
    post_major_kernel : numba dispatcher or None
        A kernel for the post-major storage of a sparse projection whose only
        rule this is (see :mod:`neurocontrol.core.kernels.step.synapses`): it must also
        propagate the projection's spikes. The builder stores the projection
        post-major and calls this kernel instead of ``kernel`` when given.
    propagates : bool
        Whether ``kernel`` also propagates the projection's spikes (the rule
        is the projection's only one). The step then calls it in the
        projection's propagation slot instead of a propagation kernel.
    episode_state : tuple of str
        Fields set back to their build values when an episode starts
        (``Simulator.reset_state``): what the rule accumulates from recent
        activity (traces, filtered activity, eligibility, pending third
        factors), not what it has learned.
    sync_weights : callable or None
        ``sync_weights(access)`` writes weight changes the kernel keeps
        pending (a lazily integrated rule), so the weights read are current;
        the simulator calls it before weights are read, saved into a
        :class:`~neurocontrol.core.simulator.Simulator.weights` copy, or an
        episode starts, once per step count (again after a state is loaded
        or the clock restarts): changes become pending only in steps.
    restart_clock : callable or None
        ``restart_clock(access)``: what the rule must change when the
        simulator's clock is set back to step 0 (state kept relative to it).
    """

    state_type: type
    arrays: dict[str, np.ndarray]
    kernel: Callable[..., None]
    third_factor: str | None = None
    needs_columns: bool = False
    enabled: tuple[str, int] | None = None
    post_major_kernel: Callable[..., None] | None = None
    propagates: bool = False
    episode_state: tuple[str, ...] = ()
    sync_weights: Callable[[RuleAccess], None] | None = None
    restart_clock: Callable[[RuleAccess], None] | None = None


def scalar(value: float, dtype: type = np.float64) -> np.ndarray:
    """A length-1 array holding ``value`` (the form of a scalar in rule state)."""
    return np.array([value], dtype=dtype)


@RULE_BUILDERS.register(PairSTDP)
def build_pair_stdp(rule: PairSTDP, context: RuleContext) -> RuleBuild:
    """Built form of :class:`PairSTDP`: traces per neuron, no per-synapse state."""
    scratch = max(context.n_pre, context.max_in_degree, 1)
    params = np.zeros(6)
    params[STDP_A_PLUS], params[STDP_A_MINUS] = rule.a_plus, rule.a_minus
    params[STDP_PRE_DECAY] = math.exp(-context.dt / rule.tau_plus)
    params[STDP_POST_DECAY] = math.exp(-context.dt / rule.tau_minus)
    params[STDP_W_MIN], params[STDP_W_MAX] = rule.w_min, rule.w_max
    switches = np.zeros(3, dtype=np.int64)
    switches[STDP_MULTIPLICATIVE] = rule.weight_dependence == "multiplicative"
    switches[STDP_NEAREST] = rule.pairing == "nearest"
    switches[STDP_ENABLED] = 1
    require_spiking(rule, context)
    arrays = {
        "pre_trace": np.zeros(context.n_pre),
        "post_trace": np.zeros(context.n_post),
        "params": params,
        "switches": switches,
        "scratch_rows": np.zeros(scratch, dtype=np.int32),
        "scratch_synapses": np.zeros(scratch, dtype=np.int32),
        "scratch_traces": np.zeros(max(context.max_in_degree, 1)),
    }
    kernel, post_major = pair_stdp_step, None
    additive_alone = rule.weight_dependence == "additive" and context.n_rules == 1
    if additive_alone:  # write-through paths that also propagate
        # sparse: post-major storage, unless its packed entries would not fit in int32
        kernel = pair_stdp_additive_dense if context.dense else pair_stdp_step
        post_major = None if context.dense else pair_stdp_additive_post_major
    return RuleBuild(
        PairSTDPState,
        arrays,
        kernel,
        needs_columns=True,
        enabled=("switches", STDP_ENABLED),
        post_major_kernel=post_major,
        propagates=additive_alone and context.dense,
        episode_state=("pre_trace", "post_trace"),
    )
