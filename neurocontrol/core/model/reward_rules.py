"""Reward-modulated STDP with eligibility traces (a three-factor rule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from neurocontrol.core.model._checks import (
    check_finite,
    check_int,
    check_name,
    check_nonnegative,
    check_order,
    check_positive,
)
from neurocontrol.core.model.rules import LearningRule
from neurocontrol.errors import ConfigError

__all__ = ["RewardSTDP"]


@dataclass(frozen=True)
class RewardSTDP(LearningRule):
    r"""Dopamine-modulated STDP with a per-synapse eligibility trace.

    Izhikevich (2007), "Solving the distal reward problem through linkage of
    STDP and dopamine signaling", Cereb. Cortex 17:2443; Florian (2007),
    Neural Comput. 19:1468 (MSTDPET); reward baseline after Legenstein,
    Pecevski & Maass (2008), PLoS Comput. Biol. 4:e1000180.

    Pair-STDP pairings (traces :math:`x_i, y_j` as in
    :class:`~neurocontrol.core.model.rules.PairSTDP`, all-to-all) do not change the
    weight but the eligibility :math:`c_{ij}`; a global dopamine-like signal
    :math:`d` turns eligibility into weight change:

    .. math::

        \frac{dc_{ij}}{dt} = -\frac{c_{ij}}{\tau_e}
            + A_+ x_i \,\delta(t - t_j^{post}) - A_- y_j \,\delta(t - t_i^{pre}),
        \qquad
        \frac{dd}{dt} = -\frac{d}{\tau_d} + \sum_k (r_k - b_{s_k})\,\delta(t - t_k),

    .. math::

        \frac{dw_{ij}}{dt} = \eta \, c_{ij}\,(d + d_0),

    where :math:`r_k` is the reward delivered at :math:`t_k` in context
    :math:`s_k`, :math:`d_0` a tonic dopamine level and :math:`b_s` the
    running-mean reward of context :math:`s` (:math:`b_s \leftarrow b_s +
    \beta (r - b_s)` after each reward; :math:`b \equiv 0` when
    ``baseline_rate`` is None). One baseline per context (state) avoids the
    stall of a single global baseline, whose prediction error goes to zero
    under repeated failure.

    Cost: the eligibility and the weight change are integrated in closed
    form, lazily: a synapse is brought up to date only when its pre or post
    neuron spikes, plus one sweep over all synapses every
    ``10 tau_e / dt`` steps (at most 65536) that re-bases the global
    dopamine integral. A step without spikes costs O(neurons), not
    O(synapses), whether or not dopamine is present. Consequence: between
    two touches the array of weights holds the value of the last touch (a
    presynaptic spike is transmitted with the weight as of that neuron's
    previous touch); reading weights through ``sim.weights(projection)``
    (or ``sim.sync_weights()``) brings every synapse up to date first.

    Rewards are delivered with ``sim.set_third_factor("<projection>.<rule>",
    r)`` (one event per call, added to :math:`d` in the next step; the
    ``reward`` field reads NaN when no reward is pending), in the context
    ``sim.state["<projection>.<rule>.context"]`` (an integer in
    ``[0, n_contexts)``; values outside are clipped).

    Keep the eligibility of the chosen action potentiation-dominated
    (``a_plus > a_minus``, moderate post rates): with ``a_minus >= a_plus`` at
    high rates the eligibility is net negative and a punishment potentiates
    the punished action.

    Parameters
    ----------
    a_plus, a_minus : float
        Eligibility change per pairing (>= 0), potentiation and depression.
    tau_plus, tau_minus : float
        STDP trace time constants, seconds (> 0).
    tau_eligibility : float
        Eligibility time constant :math:`\tau_e`, seconds (> 0; 1 s).
    tau_dopamine : float
        Dopamine time constant :math:`\tau_d`, seconds (> 0; 0.2 s).
    learning_rate : float
        :math:`\eta`, weight change per second per unit eligibility per unit
        dopamine (>= 0).
    tonic_dopamine : float
        :math:`d_0`, constant dopamine level (may be negative).
    baseline_rate : float or None
        :math:`\beta \in (0, 1]`: subtract a running-mean reward per context;
        None delivers rewards as they are.
    n_contexts : int
        Number of reward baselines (>= 1).
    w_min, w_max : float
        Weight bounds, ``w_min < w_max``.
    name : str or None
        Name of the rule in state keys (default ``"rstdp"``).
    """

    kind: ClassVar[str] = "RewardSTDP"
    default_name: ClassVar[str] = "rstdp"

    a_plus: float = 1.0
    a_minus: float = 0.5
    tau_plus: float = 0.02
    tau_minus: float = 0.02
    tau_eligibility: float = 1.0
    tau_dopamine: float = 0.2
    learning_rate: float = 0.01
    tonic_dopamine: float = 0.0
    baseline_rate: float | None = None
    n_contexts: int = 1
    w_min: float = 0.0
    w_max: float = 1.0
    name: str | None = None

    def __post_init__(self) -> None:
        check_nonnegative(self, "a_plus")
        check_nonnegative(self, "a_minus")
        for tau in ("tau_plus", "tau_minus", "tau_eligibility", "tau_dopamine"):
            check_positive(self, tau)
        check_nonnegative(self, "learning_rate")
        check_finite(self, "tonic_dopamine")
        if self.baseline_rate is not None:
            check_positive(self, "baseline_rate")
            if self.baseline_rate > 1.0:
                raise ConfigError(
                    f"RewardSTDP.baseline_rate must be in (0, 1] or None, "
                    f"got {self.baseline_rate!r}"
                )
        check_int(self, "n_contexts", minimum=1)
        check_finite(self, "w_min")
        check_finite(self, "w_max")
        check_order(self, "w_min", "w_max")
        check_name(self, "name")

    @property
    def weight_bounds(self) -> tuple[float, float]:
        return (self.w_min, self.w_max)
