"""Learning-rule descriptions.

A rule is attached to a :class:`~neurocontrol.core.model.network.Projection`;
several rules on one projection compose (their weight changes are computed
from the same start-of-step weights, then summed and applied). Each rule
type has a builder registered in :mod:`neurocontrol.core.builder.rules` and a
kernel in :mod:`neurocontrol.core.kernels`; see :mod:`neurocontrol.core.builder.rules`
for how to add one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from neurocontrol.core.model._checks import (
    check_finite,
    check_name,
    check_nonnegative,
    check_order,
    check_positive,
)
from neurocontrol.utils.validation import require_in

__all__ = ["LearningRule", "PairSTDP", "TripletSTDP"]


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


@dataclass(frozen=True)
class TripletSTDP(LearningRule):
    r"""Triplet STDP, minimal all-to-all model (Pfister & Gerstner 2006, J. Neurosci. 26:9673).

    Each presynaptic neuron keeps two traces :math:`r_1, r_2` and each
    postsynaptic one two traces :math:`o_1, o_2`, all incremented by 1 at each
    of their spikes (all-to-all interaction) and decaying with
    :math:`\tau_+, \tau_x, \tau_-, \tau_y`. At a postsynaptic spike

    .. math::

        \Delta w_{ij} = r_{1,i} \left(A_2^+ + A_3^+ \, o_{2,j}(t-\epsilon)\right)

    and at a presynaptic spike

    .. math::

        \Delta w_{ij} = -o_{1,j} \left(A_2^- + A_3^- \, r_{2,i}(t-\epsilon)\right)

    where :math:`t-\epsilon` means the trace before the spike's own increment.
    The defaults are the paper's minimal all-to-all fit to visual-cortex data
    (Table 4: :math:`A_2^+ = 5\times10^{-10}`, :math:`A_3^+ = 6.2\times10^{-3}`,
    :math:`A_2^- = 7\times10^{-3}`, :math:`A_3^- = 0`, :math:`\tau_+ = 16.8` ms,
    :math:`\tau_- = 33.7` ms, :math:`\tau_y = 125` ms); ``a3_minus > 0`` gives
    the full model (then :math:`\tau_x` matters). Weights are clipped to
    ``[w_min, w_max]`` (additive). Traces are read before this step's spikes
    are added, so a pre and a post spike in the same step do not interact.

    Parameters
    ----------
    a2_plus, a3_plus, a2_minus, a3_minus : float
        Pair and triplet amplitudes (>= 0).
    tau_plus, tau_x : float
        Presynaptic trace time constants of :math:`r_1, r_2`, seconds (> 0).
    tau_minus, tau_y : float
        Postsynaptic trace time constants of :math:`o_1, o_2`, seconds (> 0).
    w_min, w_max : float
        Weight bounds, ``w_min < w_max``.
    name : str or None
        Name of the rule in state keys (default ``"triplet"``).
    """

    kind: ClassVar[str] = "TripletSTDP"
    default_name: ClassVar[str] = "triplet"

    a2_plus: float = 5e-10
    a3_plus: float = 6.2e-3
    a2_minus: float = 7e-3
    a3_minus: float = 0.0
    tau_plus: float = 0.0168
    tau_x: float = 0.101
    tau_minus: float = 0.0337
    tau_y: float = 0.125
    w_min: float = 0.0
    w_max: float = 1.0
    name: str | None = None

    def __post_init__(self) -> None:
        for amplitude in ("a2_plus", "a3_plus", "a2_minus", "a3_minus"):
            check_nonnegative(self, amplitude)
        for tau in ("tau_plus", "tau_x", "tau_minus", "tau_y"):
            check_positive(self, tau)
        check_finite(self, "w_min")
        check_finite(self, "w_max")
        check_order(self, "w_min", "w_max")
        check_name(self, "name")

    @property
    def weight_bounds(self) -> tuple[float, float]:
        return (self.w_min, self.w_max)
