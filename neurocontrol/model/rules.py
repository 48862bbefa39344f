"""Learning-rule descriptions.

A rule is attached to a :class:`~neurocontrol.model.network.Projection`;
several rules on one projection compose (their weight changes are computed
from the same start-of-step weights, then summed and applied). Each rule
type has a builder registered in :mod:`neurocontrol.build.rules` and a
kernel in :mod:`neurocontrol.kernels`; see ``/work/coord/RULE_INTERFACE.md``
or :mod:`neurocontrol.build.rules` for how to add one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from neurocontrol.model._checks import (
    check_finite,
    check_name,
    check_nonnegative,
    check_order,
    check_positive,
)
from neurocontrol.validation import require_in

__all__ = ["LearningRule", "PairSTDP"]


@dataclass(frozen=True)
class LearningRule:
    """Base class of learning rules. ``w_min``/``w_max`` bound the weights it changes."""

    kind: ClassVar[str] = "rule"
    #: name of the rule in state keys when its ``name`` is None.
    default_name: ClassVar[str] = "rule"

    @property
    def weight_bounds(self) -> tuple[float, float]:
        """``(w_min, w_max)`` this rule keeps the weights in."""
        return (-float("inf"), float("inf"))


@dataclass(frozen=True)
class PairSTDP(LearningRule):
    r"""Pair-based STDP with exponential traces (Song, Miller & Abbott 2000).

    Each presynaptic neuron keeps a trace :math:`x` and each postsynaptic one
    a trace :math:`y`:

    .. math::

        \frac{dx}{dt} = -\frac{x}{\tau_+}, \qquad \frac{dy}{dt} = -\frac{y}{\tau_-}

    incremented by 1 at each of their spikes (``pairing="all_to_all"``) or
    set to 1 (``pairing="nearest"``, nearest-spike interaction, Morrison et
    al. 2008). A postsynaptic spike potentiates, a presynaptic spike depresses:

    .. math::

        \Delta w_{ij} = A_+ \, F_+(w_{ij})\, x_i \;\text{at a post spike of } j, \qquad
        \Delta w_{ij} = -A_- \, F_-(w_{ij})\, y_j \;\text{at a pre spike of } i

    which for an isolated pair at :math:`\Delta t = t_{post} - t_{pre}` gives
    the window :math:`A_+ e^{-\Delta t/\tau_+}` for :math:`\Delta t > 0` and
    :math:`-A_- e^{\Delta t/\tau_-}` for :math:`\Delta t < 0`. With
    ``weight_dependence="additive"`` :math:`F_\pm = 1` and the weight is
    clipped to ``[w_min, w_max]``; with ``"multiplicative"`` (van Rossum,
    Bi & Turrigiano 2000) :math:`F_+ = w_{max} - w`, :math:`F_- = w - w_{min}`.
    Traces are read before this step's spikes are added, so a pre and a post
    spike in the same step do not interact.

    Parameters
    ----------
    a_plus, a_minus : float
        Amplitudes of potentiation and depression (>= 0).
    tau_plus, tau_minus : float
        Trace time constants, seconds (> 0).
    w_min, w_max : float
        Weight bounds, ``w_min < w_max``.
    weight_dependence : {"additive", "multiplicative"}
    pairing : {"all_to_all", "nearest"}
    name : str or None
        Name of the rule in state keys (default ``"stdp"``).
    """

    kind: ClassVar[str] = "PairSTDP"
    default_name: ClassVar[str] = "stdp"

    a_plus: float = 0.01
    a_minus: float = 0.0105
    tau_plus: float = 0.02
    tau_minus: float = 0.02
    w_min: float = 0.0
    w_max: float = 1.0
    weight_dependence: str = "additive"
    pairing: str = "all_to_all"
    name: str | None = None

    def __post_init__(self) -> None:
        check_nonnegative(self, "a_plus")
        check_nonnegative(self, "a_minus")
        check_positive(self, "tau_plus")
        check_positive(self, "tau_minus")
        check_finite(self, "w_min")
        check_finite(self, "w_max")
        check_order(self, "w_min", "w_max")
        require_in(
            "PairSTDP.weight_dependence", self.weight_dependence, ("additive", "multiplicative")
        )
        require_in("PairSTDP.pairing", self.pairing, ("all_to_all", "nearest"))
        check_name(self, "name")

    @property
    def weight_bounds(self) -> tuple[float, float]:
        return (self.w_min, self.w_max)
