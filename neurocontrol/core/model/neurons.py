"""Neuron models: current-based LIF, adaptive LIF, Izhikevich, and the LIF rate model.

Pure descriptions (frozen dataclasses, validated on construction). The
builder in :mod:`neurocontrol.core.builder.neurons` turns them into per-neuron
parameter arrays; the arithmetic is in :mod:`neurocontrol.core.kernels.step.neurons`.
LIF and adaptive LIF parameters are in physical units (seconds, volts or any
consistent voltage unit, ohms x amperes = volts) so that a trained network
maps onto NIR ``LIF`` / ``CubaLIF`` nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from neurocontrol.core.model._checks import (
    check_finite,
    check_nonnegative,
    check_optional_positive,
    check_order,
    check_positive,
)
from neurocontrol.errors import ConfigError

__all__ = [
    "IZHIKEVICH_PRESETS",
    "LIF",
    "AdaptiveLIF",
    "Izhikevich",
    "LIFMembrane",
    "LIFRate",
    "NeuronModel",
]


@dataclass(frozen=True)
class NeuronModel:
    """Base class of the neuron model descriptions."""

    #: "type" tag of the JSON form of this description.
    kind: ClassVar[str] = "neuron"


@dataclass(frozen=True)
class LIFMembrane(NeuronModel):
    """The parameters of a leaky integrate-and-fire membrane (:class:`LIF`, :class:`LIFRate`)."""

    tau_m: float = 0.02
    v_rest: float = 0.0
    v_reset: float = 0.0
    v_th: float = 1.0
    tau_ref: float = 0.002
    r_m: float = 1.0
    i_bias: float = 0.0
    tau_syn: float | None = None

    def __post_init__(self) -> None:
        check_positive(self, "tau_m")
        for name in ("v_rest", "v_reset", "v_th", "i_bias"):
            check_finite(self, name)
        check_order(self, "v_reset", "v_th")
        check_nonnegative(self, "tau_ref")
        check_positive(self, "r_m")
        check_optional_positive(self, "tau_syn")


@dataclass(frozen=True)
class LIF(LIFMembrane):
    r"""Current-based leaky integrate-and-fire neuron, integrated exactly.

    .. math::

        \tau_m \frac{dv}{dt} = v_{rest} - v + R_m \left(I_{syn} + I_{bias} + I_{ext}\right),
        \qquad
        \tau_{syn} \frac{dI_{syn}}{dt} = -I_{syn}

    Over one step of length :math:`\Delta t` with :math:`I_{syn}(t) = I_0 e^{-t/\tau_{syn}}`
    the exact solution is

    .. math::

        v(t+\Delta t) = v_\infty + (v - v_\infty) e^{-\Delta t/\tau_m}
          + R_m I_0 \frac{\tau_{syn}}{\tau_{syn}-\tau_m}
            \left(e^{-\Delta t/\tau_{syn}} - e^{-\Delta t/\tau_m}\right),
        \quad v_\infty = v_{rest} + R_m (I_{bias} + I_{ext})

    (Rotter & Diesmann 1999, exact integration). When ``v >= v_th`` the neuron
    spikes, ``v`` is set to ``v_reset`` and held there for ``tau_ref``.
    With ``tau_syn=None`` synapses are delta pulses: a spike of weight ``w``
    moves ``v`` by ``w`` (same voltage unit) in the step it arrives; with a
    ``tau_syn`` it adds ``w`` to :math:`I_{syn}`.

    ``noise_sigma`` adds an Ornstein-Uhlenbeck membrane fluctuation of that
    stationary standard deviation (exact discretisation,
    :math:`\sigma\sqrt{1-e^{-2\Delta t/\tau_m}}\,\xi` per step).

    Parameters
    ----------
    tau_m : float
        Membrane time constant, seconds (> 0).
    v_rest, v_reset, v_th : float
        Resting, reset and threshold potentials; ``v_reset < v_th``.
    tau_ref : float
        Absolute refractory period, seconds (>= 0).
    r_m : float
        Membrane resistance converting currents into voltage (> 0).
    i_bias : float
        Constant bias current.
    tau_syn : float or None
        Synaptic current time constant, seconds; None for delta synapses.
    noise_sigma : float
        Stationary standard deviation of the membrane noise (>= 0).
    """

    kind: ClassVar[str] = "LIF"

    noise_sigma: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_nonnegative(self, "noise_sigma")


@dataclass(frozen=True)
class AdaptiveLIF(LIF):
    r"""LIF neuron with a spike-triggered adaptive threshold.

    .. math::

        \vartheta(t) = v_{th} + a(t), \qquad
        \tau_{a} \frac{da}{dt} = -a, \qquad a \leftarrow a + \Delta_{th} \text{ at each spike}

    (Bellec et al. 2018, "Long short-term memory and learning-to-learn in
    networks of spiking neurons"; the membrane is the :class:`LIF` one).

    Parameters
    ----------
    tau_adapt : float
        Decay time constant of the threshold adaptation, seconds (> 0).
    delta_th : float
        Threshold increment per spike (>= 0).
    """

    kind: ClassVar[str] = "AdaptiveLIF"

    tau_adapt: float = 0.2
    delta_th: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self, "tau_adapt")
        check_nonnegative(self, "delta_th")


@dataclass(frozen=True)
class LIFRate(LIFMembrane):
    r"""The steady-state firing rate of a :class:`LIF` neuron: a rate model, no spikes.

    The rate model of the same membrane (Nengo's ``LIFRate`` to its ``LIF``):
    with the input current :math:`J = I_{bias} + I_{ext} + I_{syn}` and
    :math:`v_\infty = v_{rest} + R_m J`,

    .. math::

        r = \left[\tau_{ref} + \tau_m \ln \frac{v_\infty - v_{reset}}{v_\infty - v_{th}}
            \right]^{-1} \quad (v_\infty > v_{th}), \qquad r = 0 \text{ otherwise}

    (Eliasmith & Anderson 2003, *Neural Engineering*, eq. 4.9; with the
    defaults, :math:`r = [\tau_{ref} + \tau_m \ln(1 + 1/(J - 1))]^{-1}`), the
    continuous curve, not the staircase of a LIF simulated in whole steps.
    The rate is the population's output (``"<population>.rate"``, Hz): a
    projection from it delivers :math:`r\,\Delta t` times its weights per
    step, what :math:`r\,\Delta t` spikes would. Synaptic input enters
    :math:`I_{syn}` (``tau_syn``, as for :class:`LIF`) or, with delta synapses,
    as the mean current of the voltage jumps it stands for,
    :math:`\tau_m\,w / (R_m \Delta t)` per weight :math:`w` received.

    Parameters
    ----------
    tau_m, v_rest, v_reset, v_th, tau_ref, r_m, i_bias, tau_syn
        As for :class:`LIF` (``tau_ref`` need not be a whole number of steps).
    """

    kind: ClassVar[str] = "LIFRate"


#: Izhikevich (2003) parameter sets ``(a, b, c, d)`` by name.
IZHIKEVICH_PRESETS: dict[str, tuple[float, float, float, float]] = {
    "regular_spiking": (0.02, 0.2, -65.0, 8.0),
    "intrinsically_bursting": (0.02, 0.2, -55.0, 4.0),
    "chattering": (0.02, 0.2, -50.0, 2.0),
    "fast_spiking": (0.1, 0.2, -65.0, 2.0),
    "low_threshold_spiking": (0.02, 0.25, -65.0, 2.0),
    "thalamo_cortical": (0.02, 0.25, -65.0, 0.05),
    "resonator": (0.1, 0.26, -65.0, 2.0),
}


@dataclass(frozen=True)
class Izhikevich(NeuronModel):
    r"""Izhikevich (2003) simple model, IEEE Trans. Neural Netw. 14:1569.

    .. math::

        \frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I, \qquad
        \frac{du}{dt} = a (b v - u), \qquad
        v \ge v_{peak} \Rightarrow v \leftarrow c,\; u \leftarrow u + d

    with ``v`` in mV and time in ms, as in the paper (the simulator converts
    its step from seconds). Integrated by forward Euler in sub-steps of at
    most ``max_substep`` ms (the paper uses two 0.5 ms steps for ``v``).
    With ``tau_syn=None`` a spike of weight ``w`` adds ``w`` to ``I`` for the
    step it arrives in (the paper's convention); otherwise ``I_syn`` decays
    with ``tau_syn`` (seconds). Use :meth:`preset` for the classic classes.

    Parameters
    ----------
    a, b, c, d : float
        Recovery rate (1/ms, > 0), recovery sensitivity, reset potential (mV)
        and reset increment of ``u``.
    v_peak : float
        Spike cut-off, mV (> c).
    i_bias : float
        Constant input current.
    tau_syn : float or None
        Synaptic current time constant, seconds; None for one-step pulses.
    max_substep : float
        Largest Euler sub-step, ms (> 0).
    """

    kind: ClassVar[str] = "Izhikevich"

    a: float = 0.02
    b: float = 0.2
    c: float = -65.0
    d: float = 8.0
    v_peak: float = 30.0
    i_bias: float = 0.0
    tau_syn: float | None = None
    max_substep: float = 0.5

    def __post_init__(self) -> None:
        check_positive(self, "a")
        for name in ("b", "c", "d", "v_peak", "i_bias"):
            check_finite(self, name)
        check_order(self, "c", "v_peak")
        check_optional_positive(self, "tau_syn")
        check_positive(self, "max_substep")

    @classmethod
    def preset(cls, name: str, **overrides: float | None) -> Izhikevich:
        """The named parameter set of Izhikevich (2003), e.g. ``"regular_spiking"``."""
        if name not in IZHIKEVICH_PRESETS:
            known = ", ".join(sorted(IZHIKEVICH_PRESETS))
            raise ConfigError(f"unknown Izhikevich preset {name!r}; known presets: {known}")
        a, b, c, d = IZHIKEVICH_PRESETS[name]
        values: dict[str, float | None] = {"a": a, "b": b, "c": c, "d": d}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
