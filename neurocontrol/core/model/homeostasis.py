"""Homeostatic rules: synaptic scaling, weight normalisation, adaptive thresholds.

They hold the activity of the postsynaptic population of their projection
near a set point; attach them to a projection like any learning rule (they
compose with STDP on the same projection).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from neurocontrol.core.model._checks import check_finite, check_name, check_order, check_positive
from neurocontrol.core.model.rules import LearningRule

__all__ = ["AdaptiveThreshold", "SynapticScaling", "WeightNormalization"]


@dataclass(frozen=True)
class SynapticScaling(LearningRule):
    r"""Multiplicative synaptic scaling toward a target rate (van Rossum, Bi & Turrigiano 2000).

    Each postsynaptic neuron :math:`j` low-passes its spike train into a rate
    estimate :math:`\bar r_j` (Hz, time constant :math:`\tau_r`) and scales
    all its incoming weights:

    .. math::

        \frac{dw_{ij}}{dt} = \beta \, w_{ij} \left(r^* - \bar r_j\right), \qquad
        \tau_r \frac{d\bar r_j}{dt} = -\bar r_j + \sum_k \delta(t - t_j^k).

    The scaling is applied every ``period`` seconds (Euler step of length
    ``period``), so its cost is one pass over the synapses per period, not
    per step.

    Parameters
    ----------
    target_rate : float
        :math:`r^*`, Hz (> 0).
    gain : float
        :math:`\beta`, relative weight change per second per Hz of rate error (> 0).
    rate_tau : float
        :math:`\tau_r`, seconds (> 0).
    period : float
        Interval between two scalings, seconds (> 0; rounded to whole steps).
    w_min, w_max : float
        Weight bounds, ``w_min < w_max``.
    name : str or None
        Name of the rule in state keys (default ``"scaling"``).
    """

    kind: ClassVar[str] = "SynapticScaling"
    default_name: ClassVar[str] = "scaling"

    target_rate: float = 10.0
    gain: float = 0.01
    rate_tau: float = 1.0
    period: float = 0.1
    w_min: float = 0.0
    w_max: float = float("inf")
    name: str | None = None

    def __post_init__(self) -> None:
        for field in ("target_rate", "gain", "rate_tau", "period"):
            check_positive(self, field)
        check_finite(self, "w_min")
        check_order(self, "w_min", "w_max")
        check_name(self, "name")

    @property
    def weight_bounds(self) -> tuple[float, float]:
        return (self.w_min, self.w_max)


@dataclass(frozen=True)
class WeightNormalization(LearningRule):
    r"""Hard normalisation of the summed input weight of each postsynaptic neuron.

    Every ``period`` seconds the incoming weights of each postsynaptic neuron
    are rescaled so that they sum to ``total`` (von der Malsburg 1973;
    Miller & MacKay 1994, "The role of constraints in Hebbian learning"):

    .. math::

        w_{ij} \leftarrow w_{ij} \, \frac{W}{\sum_k w_{kj}}

    Neurons whose weights sum to zero are left alone.

    Parameters
    ----------
    total : float
        :math:`W`, the target sum of the incoming weights (> 0).
    period : float
        Interval between two normalisations, seconds (> 0; rounded to whole steps).
    name : str or None
        Name of the rule in state keys (default ``"normalization"``).
    """

    kind: ClassVar[str] = "WeightNormalization"
    default_name: ClassVar[str] = "normalization"

    total: float = 1.0
    period: float = 0.1
    name: str | None = None

    def __post_init__(self) -> None:
        check_positive(self, "total")
        check_positive(self, "period")
        check_name(self, "name")


@dataclass(frozen=True)
class AdaptiveThreshold(LearningRule):
    r"""Per-neuron firing threshold adapted toward a target rate (intrinsic plasticity).

    An integral controller on the threshold offset :math:`\theta_j` of each
    postsynaptic neuron (as in the homeostatic thresholds of Diehl & Cook
    2015, without their leak, so the rate converges to the target itself):

    .. math::

        \frac{d\theta_j}{dt} = \Delta_\theta \left(\sum_k \delta(t - t_j^k) - r^*\right),
        \qquad \vartheta_j = v_{th} + a_j + \theta_j

    (:math:`\theta` rises by :math:`\Delta_\theta` at each spike and falls by
    :math:`\Delta_\theta r^*` per second). The postsynaptic population must be
    an :class:`~neurocontrol.core.model.neurons.AdaptiveLIF` (the model whose
    threshold has a per-neuron offset); :math:`\theta_j` is added to its
    spike-triggered adaptation :math:`a_j`, compensated for the adaptation's
    decay, so both act independently. The weights are not changed.

    Parameters
    ----------
    target_rate : float
        :math:`r^*`, Hz (> 0).
    threshold_step : float
        :math:`\Delta_\theta`, threshold change per spike (voltage units, > 0).
    name : str or None
        Name of the rule in state keys (default ``"threshold"``).
    """

    kind: ClassVar[str] = "AdaptiveThreshold"
    default_name: ClassVar[str] = "threshold"

    target_rate: float = 10.0
    threshold_step: float = 0.01
    name: str | None = None

    def __post_init__(self) -> None:
        check_positive(self, "target_rate")
        check_positive(self, "threshold_step")
        check_name(self, "name")
