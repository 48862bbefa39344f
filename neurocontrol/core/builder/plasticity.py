"""Builders of the learning rules beyond pair STDP (triplet, reward, PES, homeostasis).

Each turns a rule description and its projection's
:class:`~neurocontrol.core.builder.rules.RuleContext` into the initial state of its
kernel (see :mod:`neurocontrol.core.builder.rules` for the interface). Imported by
:mod:`neurocontrol.core.builder` so the registrations exist before any build; each
builder imports its kernel module when it runs, so a network without these
rules does not import (and create the dispatchers of) their kernels on
every start (~10 ms of a warm start).
"""

from __future__ import annotations

import math

import numpy as np

from neurocontrol.core.builder.registry import RULE_BUILDERS
from neurocontrol.core.builder.rules import RuleAccess, RuleBuild, RuleContext, require_spiking
from neurocontrol.core.model.error_rules import PES
from neurocontrol.core.model.homeostasis import (
    AdaptiveThreshold,
    SynapticScaling,
    WeightNormalization,
)
from neurocontrol.core.model.neurons import AdaptiveLIF
from neurocontrol.core.model.reward_rules import RewardSTDP
from neurocontrol.core.model.rules import TripletSTDP
from neurocontrol.errors import BuildError, ConfigError

__all__ = [
    "MAX_EPOCH_STEPS",
    "build_adaptive_threshold",
    "build_pes",
    "build_reward_stdp",
    "build_synaptic_scaling",
    "build_triplet_stdp",
    "build_weight_normalization",
    "epoch_length",
]

#: Longest epoch of the lazily integrated reward-modulated STDP, in steps.
MAX_EPOCH_STEPS = 65536
#: What R-STDP accumulates from recent activity (reward baselines are learned: kept).
_REWARD_STDP_EPISODE_STATE = (
    "pre_trace",
    "post_trace",
    "eligibility",
    "dopamine",
    "reward",
    "reward_pending",
)


def _scratch(context: RuleContext) -> dict[str, np.ndarray]:
    size = max(context.n_pre, context.max_in_degree, 1)
    return {
        "scratch_rows": np.zeros(size, dtype=np.int32),
        "scratch_synapses": np.zeros(size, dtype=np.int32),
    }


def _period_steps(period: float, dt: float) -> int:
    return max(1, round(period / dt))


@RULE_BUILDERS.register(TripletSTDP)
def build_triplet_stdp(rule: TripletSTDP, context: RuleContext) -> RuleBuild:
    """Built form of :class:`TripletSTDP`: two traces per neuron, no per-synapse state."""
    from neurocontrol.core.kernels.step import triplet_stdp as k

    require_spiking(rule, context)
    params = np.zeros(8)
    params[k.TRIPLET_A2_PLUS], params[k.TRIPLET_A3_PLUS] = rule.a2_plus, rule.a3_plus
    params[k.TRIPLET_A2_MINUS], params[k.TRIPLET_A3_MINUS] = rule.a2_minus, rule.a3_minus
    params[k.TRIPLET_R1_DECAY] = math.exp(-context.dt / rule.tau_plus)
    params[k.TRIPLET_R2_DECAY] = math.exp(-context.dt / rule.tau_x)
    params[k.TRIPLET_O1_DECAY] = math.exp(-context.dt / rule.tau_minus)
    params[k.TRIPLET_O2_DECAY] = math.exp(-context.dt / rule.tau_y)
    arrays = {
        "pre_traces": np.zeros((context.n_pre, 2)),
        "post_traces": np.zeros((context.n_post, 2)),
        "params": params,
        "switches": np.ones(1, dtype=np.int64),
        **_scratch(context),
    }
    return RuleBuild(
        k.TripletSTDPState,
        arrays,
        k.triplet_stdp_step,
        needs_columns=True,
        enabled=("switches", k.TRIPLET_ENABLED),
        episode_state=("pre_traces", "post_traces"),
    )


def epoch_length(tau_eligibility: float, dt: float) -> int:
    """Steps per epoch of the lazy eligibility integral: ``2 tau_e / dt``, in [1, 65536].

    The per-synapse state is float32; its rounding error on the pending
    weight change grows like ``exp(epoch / tau_e)``, about 4e-4 of one
    step's change at two time constants.
    """
    return int(min(max(round(2.0 * tau_eligibility / dt), 1), MAX_EPOCH_STEPS))


@RULE_BUILDERS.register(RewardSTDP)
def build_reward_stdp(rule: RewardSTDP, context: RuleContext) -> RuleBuild:
    """Built form of :class:`RewardSTDP`: traces per neuron, eligibility per synapse.

    The kernel is picked by storage (dense: column-major eligibility slots).
    """
    from neurocontrol.core.kernels.step import reward_stdp as k

    require_spiking(rule, context)
    length = epoch_length(rule.tau_eligibility, context.dt)
    params = np.zeros(8)
    params[k.RSTDP_A_PLUS], params[k.RSTDP_A_MINUS] = rule.a_plus, rule.a_minus
    params[k.RSTDP_PRE_DECAY] = math.exp(-context.dt / rule.tau_plus)
    params[k.RSTDP_POST_DECAY] = math.exp(-context.dt / rule.tau_minus)
    params[k.RSTDP_DOPAMINE_DECAY] = math.exp(-context.dt / rule.tau_dopamine)
    params[k.RSTDP_RATE_DT] = rule.learning_rate * context.dt
    params[k.RSTDP_TONIC] = rule.tonic_dopamine
    params[k.RSTDP_BASELINE_RATE] = rule.baseline_rate or 0.0
    switches = np.zeros(3, dtype=np.int64)
    switches[k.RSTDP_ENABLED] = 1
    switches[k.RSTDP_BASELINE] = rule.baseline_rate is not None
    switches[k.RSTDP_EPOCH_START] = -1  # step 0 is offset 1 of the first epoch
    arrays = {
        "pre_trace": np.zeros(context.n_pre),
        "post_trace": np.zeros(context.n_post),
        "eligibility": np.zeros((context.n_syn, 2), dtype=np.float32),
        "dopamine": np.zeros(1),
        "reward": np.zeros(1),
        "reward_pending": np.zeros(1, dtype=np.int64),
        "context": np.zeros(1, dtype=np.int64),
        "baseline": np.zeros(rule.n_contexts),
        "decay_powers": np.exp(-np.arange(length + 1) * context.dt / rule.tau_eligibility),
        "inverse_powers": np.exp(np.arange(length + 1) * context.dt / rule.tau_eligibility),
        "dopamine_sum": np.zeros(length + 1),
        "params": params,
        "switches": switches,
        "increments": np.zeros(2 * context.n_pre if context.dense else 2),
    }
    return RuleBuild(
        k.RewardSTDPState,
        arrays,
        k.reward_stdp_dense if context.dense else k.reward_stdp_sparse,
        third_factor="reward",
        needs_columns=True,
        enabled=("switches", k.RSTDP_ENABLED),
        episode_state=_REWARD_STDP_EPISODE_STATE,
        sync_weights=_sync_reward_stdp,
        restart_clock=_restart_reward_stdp_epochs,
    )


def _sync_reward_stdp(access: RuleAccess) -> None:
    """Write R-STDP's pending weight changes (it writes a weight only when its presynaptic
    neuron spikes and once per epoch) up to the last completed step."""
    from neurocontrol.core.kernels.step import reward_stdp as k

    steps = int(access.clock[0])
    if steps == 0:
        return
    state = access.state
    k.sync_reward_stdp_weights(
        access.weights, access.w_low, access.w_high, state["eligibility"],
        state["dopamine_sum"], float(state["params"][k.RSTDP_RATE_DT]),
        steps - 1 - int(state["switches"][k.RSTDP_EPOCH_START]), access.dense_rows,
    )  # fmt: skip


def _restart_reward_stdp_epochs(access: RuleAccess) -> None:
    """Epoch offsets count from the clock: back at step 0 every epoch slot is empty."""
    from neurocontrol.core.kernels.step import reward_stdp as k

    access.state["switches"][k.RSTDP_EPOCH_START] = -1
    access.state["dopamine_sum"][...] = 0.0


@RULE_BUILDERS.register(PES)
def build_pes(rule: PES, context: RuleContext) -> RuleBuild:
    """Built form of :class:`PES`: presynaptic activity (filtered or not), error vector, and
    on a readout the traces through the output's synapse that the output follows with."""
    from neurocontrol.core.kernels.step import pes

    dims = rule.check_projection(context.projection_name, context.n_post)
    filtered = rule.pre_tau is not None
    decay = math.exp(-context.dt / rule.pre_tau) if filtered else 0.0
    # a decaying rule has one more parameter; the others keep the 5 they always had
    params = np.zeros(5 if rule.decay_tau is None else 7)
    if rule.decay_tau is not None:
        period = 1 if rule.decay_period is None else max(1, round(rule.decay_period / context.dt))
        params[pes.PES_WEIGHT_DECAY] = math.exp(-period * context.dt / rule.decay_tau)
        params[pes.PES_DECAY_STEPS] = period
    params[pes.PES_ACTIVITY_DECAY] = decay
    # what a spike (or r dt of a rate neuron) adds to the filtered activity, in Hz
    params[pes.PES_ACTIVITY_SCALE] = (1.0 - decay) / context.dt
    params[pes.PES_RATE_DT] = rule.learning_rate * context.dt
    switches = np.zeros(5, dtype=np.int64)
    switches[pes.PES_ENABLED] = 1
    switches[pes.PES_IDENTITY] = rule.encoders is None
    switches[pes.PES_FILTERED] = filtered
    switches[pes.PES_PRE_RATES] = context.pre_rates
    switches[pes.PES_READOUT] = context.post_output
    n_traces, powers = 1, np.ones(1)
    if context.post_output:
        tau = getattr(context.post_model, "tau", None)  # the Output's synapse
        output_decay = 0.0 if tau is None else math.exp(-context.dt / tau)
        params[pes.PES_OUTPUT_DECAY] = output_decay
        params[pes.PES_OUTPUT_GAIN] = (1.0 - output_decay) / context.dt
        n_traces = context.n_pre
        # decay**k for the spiking neurons' traces, down to 1e-17 (0 beyond the table)
        n_powers = 1 if tau is None else math.ceil(40.0 * tau / context.dt) + 1
        powers = output_decay ** np.arange(n_powers)
    encoders = (
        np.zeros((context.n_post, dims)) if rule.encoders is None else np.array(rule.encoders)
    )
    arrays = {
        "activity": np.zeros(context.n_pre if filtered else 1),
        "error": np.zeros(dims),
        "encoders": encoders,
        "projected": np.zeros(context.n_post),
        "params": params,
        "switches": switches,
        "trace": np.zeros(n_traces),
        "last": np.zeros(n_traces, dtype=np.int64),
        "powers": powers,
    }
    # a rate population's readout: the rule's kernel also propagates, one pass over the weights
    fused = context.pre_rates and context.post_output and context.n_rules == 1
    return RuleBuild(
        pes.PESState,
        arrays,
        pes.pes_readout_rates if fused else pes.pes_step,
        third_factor="error",
        enabled=("switches", pes.PES_ENABLED),
        propagates=fused,
        episode_state=("activity", "error", "trace", "last"),
    )


def _homeostasis_switches(period: float, dt: float) -> np.ndarray:
    from neurocontrol.core.kernels.step import homeostasis

    switches = np.zeros(2, dtype=np.int64)
    switches[homeostasis.HOMEO_ENABLED] = 1
    switches[homeostasis.HOMEO_PERIOD_STEPS] = _period_steps(period, dt)
    return switches


@RULE_BUILDERS.register(SynapticScaling)
def build_synaptic_scaling(rule: SynapticScaling, context: RuleContext) -> RuleBuild:
    """Built form of :class:`SynapticScaling`: a rate estimate per postsynaptic neuron."""
    from neurocontrol.core.kernels.step import homeostasis as h

    require_spiking(rule, context, pre=False)
    decay = math.exp(-context.dt / rule.rate_tau)
    period_steps = _period_steps(rule.period, context.dt)
    params = np.zeros(4)
    params[h.SCALING_RATE_DECAY] = decay
    params[h.SCALING_RATE_SCALE] = (1.0 - decay) / context.dt
    params[h.SCALING_TARGET] = rule.target_rate
    params[h.SCALING_GAIN_PERIOD] = rule.gain * period_steps * context.dt
    arrays = {
        "rate": np.zeros(context.n_post),
        "factor": np.zeros(context.n_post),
        "params": params,
        "switches": _homeostasis_switches(rule.period, context.dt),
    }
    return RuleBuild(
        h.SynapticScalingState,
        arrays,
        h.synaptic_scaling_step,
        enabled=("switches", h.HOMEO_ENABLED),
        episode_state=("rate",),
    )


@RULE_BUILDERS.register(WeightNormalization)
def build_weight_normalization(rule: WeightNormalization, context: RuleContext) -> RuleBuild:
    """Built form of :class:`WeightNormalization`: a scratch sum per postsynaptic neuron."""
    from neurocontrol.core.kernels.step import homeostasis as h

    if context.post_output:  # its kernel walks rows; a readout is stored by output
        raise ConfigError(
            f"WeightNormalization on projection {context.projection_name!r} onto Output "
            f"{getattr(context.post_model, 'name', None)!r}: a readout's weights are decoders, "
            "not input weights to normalise; rules for outputs: PES"
        )
    arrays = {
        "sums": np.zeros(context.n_post),
        "params": np.array([rule.total]),
        "switches": _homeostasis_switches(rule.period, context.dt),
    }
    return RuleBuild(
        h.WeightNormalizationState,
        arrays,
        h.weight_normalization_step,
        enabled=("switches", h.HOMEO_ENABLED),
    )


@RULE_BUILDERS.register(AdaptiveThreshold)
def build_adaptive_threshold(rule: AdaptiveThreshold, context: RuleContext) -> RuleBuild:
    """Built form of :class:`AdaptiveThreshold`: a threshold offset per postsynaptic neuron."""
    from neurocontrol.core.kernels.step import homeostasis as h

    if context.post_model is None:
        raise BuildError(
            f"AdaptiveThreshold on projection {context.projection_name!r}: the builder was not "
            "told the postsynaptic neuron model"
        )
    if not isinstance(context.post_model, AdaptiveLIF):
        raise ConfigError(
            f"AdaptiveThreshold on projection {context.projection_name!r} needs an AdaptiveLIF "
            f"postsynaptic population (the model with a per-neuron threshold offset), got "
            f"{type(context.post_model).__name__}; use AdaptiveLIF(delta_th=0.0, ...) for a "
            "plain LIF membrane"
        )
    params = np.zeros(2)
    params[h.THRESHOLD_STEP] = rule.threshold_step
    params[h.THRESHOLD_DECREMENT] = rule.threshold_step * rule.target_rate * context.dt
    arrays = {
        "theta": np.zeros(context.n_post),
        "params": params,
        "switches": np.ones(1, dtype=np.int64),
    }
    return RuleBuild(
        h.AdaptiveThresholdState,
        arrays,
        h.adaptive_threshold_step,
        enabled=("switches", h.HOMEO_ENABLED),
    )
