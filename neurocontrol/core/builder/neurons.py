"""Builders of the neuron models: one row of the population table each.

A builder takes the model and ``dt`` (seconds) and returns the population's
parameters (the fields of :class:`~neurocontrol.core.kernels.step.state.Populations`
it sets; the rest stay 0), the initial ``v`` / ``recovery`` of its
neurons, the update kernel the generated step calls for it, and what one
step of one neuron costs (state variables integrated, multiply-adds), which
the step adds to its operation counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from neurocontrol.core.builder.registry import NEURON_BUILDERS
from neurocontrol.core.kernels.step.neurons import (
    update_izhikevich,
    update_lif,
    update_lif_noisy,
    update_lif_rate,
)
from neurocontrol.core.kernels.step.state import (
    MODEL_ALIF,
    MODEL_IZHIKEVICH,
    MODEL_LIF,
    MODEL_LIF_RATE,
)
from neurocontrol.core.model.neurons import LIF, AdaptiveLIF, Izhikevich, LIFRate
from neurocontrol.errors import BuildError

__all__ = [
    "PopulationBuild",
    "build_adaptive_lif",
    "build_izhikevich",
    "build_lif",
    "build_lif_rate",
    "lif_propagators",
]


@dataclass(frozen=True)
class PopulationBuild:
    """Table entries and initial state of one population."""

    params: dict[str, float]
    v_initial: float
    recovery_initial: float = 0.0
    #: the population's update kernel (see :mod:`neurocontrol.core.kernels.step.neurons`)
    kernel: Callable[..., None] = update_lif
    #: state variables integrated per neuron and step (membrane, synaptic current, ...)
    updates_per_neuron: int = 1
    #: multiply-adds per neuron and step computed densely (a rate nonlinearity)
    macs_per_neuron: int = 0


def lif_propagators(model: LIF, dt: float) -> dict[str, float]:
    """Exact one-step propagators of the LIF membrane and synaptic current."""
    decay_m = math.exp(-dt / model.tau_m)
    if model.tau_syn is None:
        syn_decay, syn_to_v = 0.0, 0.0
    else:
        syn_decay = math.exp(-dt / model.tau_syn)
        if math.isclose(model.tau_syn, model.tau_m, rel_tol=1e-9):
            syn_to_v = model.r_m * dt / model.tau_m * decay_m
        else:
            syn_to_v = (
                model.r_m * model.tau_syn / (model.tau_syn - model.tau_m) * (syn_decay - decay_m)
            )
    return {"decay_m": decay_m, "syn_decay": syn_decay, "syn_to_v": syn_to_v}


def _refractory_steps(tau_ref: float, dt: float) -> int:
    steps = tau_ref / dt
    rounded = round(steps)
    if abs(steps - rounded) > 1e-6:
        raise BuildError(f"tau_ref={tau_ref!r} s is not an integer number of steps of dt={dt!r} s")
    return int(rounded)


@NEURON_BUILDERS.register(LIF)
def build_lif(model: LIF, dt: float) -> PopulationBuild:
    """Population entries of a :class:`LIF` model."""
    params = {
        "model": MODEL_LIF,
        "delta_synapses": int(model.tau_syn is None),
        "ref_steps": _refractory_steps(model.tau_ref, dt),
        "substeps": 1,
        "v_rest": model.v_rest,
        "r_m": model.r_m,
        "i_bias": model.i_bias,
        "v_th": model.v_th,
        "v_reset": model.v_reset,
        "noise_scale": model.noise_sigma * math.sqrt(1.0 - math.exp(-2.0 * dt / model.tau_m)),
        "adapt_decay": 1.0,
        **lif_propagators(model, dt),
    }
    kernel = update_lif_noisy if params["noise_scale"] > 0.0 else update_lif
    updates = 1 + (model.tau_syn is not None)
    return PopulationBuild(
        params, v_initial=model.v_rest, kernel=kernel, updates_per_neuron=updates
    )


@NEURON_BUILDERS.register(AdaptiveLIF)
def build_adaptive_lif(model: AdaptiveLIF, dt: float) -> PopulationBuild:
    """Population entries of an :class:`AdaptiveLIF` model."""
    built = build_lif(model, dt)
    params = dict(built.params)
    params.update(
        model=MODEL_ALIF,
        adapt_decay=math.exp(-dt / model.tau_adapt),
        adapt_increment=model.delta_th,
    )
    return PopulationBuild(
        params,
        v_initial=built.v_initial,
        kernel=built.kernel,
        updates_per_neuron=built.updates_per_neuron + 1,  # the threshold adaptation
    )


@NEURON_BUILDERS.register(LIFRate)
def build_lif_rate(model: LIFRate, dt: float) -> PopulationBuild:
    """Population entries of a :class:`LIFRate` model: the rate is one multiply-add a neuron.

    The logarithm and division of the rate count as a single multiply-add, as
    a lookup table would cost (a lower bound of a dense evaluation); the
    synaptic current, when there is one, as a neuron update.
    """
    params = {
        "model": MODEL_LIF_RATE,
        "delta_synapses": int(model.tau_syn is None),
        "v_rest": model.v_rest,
        "r_m": model.r_m,
        "i_bias": model.i_bias,
        "v_th": model.v_th,
        "v_reset": model.v_reset,
        "tau_m": model.tau_m,
        "tau_ref": model.tau_ref,
        "delta_current": model.tau_m / (model.r_m * dt),
        "syn_decay": 0.0 if model.tau_syn is None else math.exp(-dt / model.tau_syn),
    }
    return PopulationBuild(
        params,
        v_initial=0.0,
        kernel=update_lif_rate,
        updates_per_neuron=int(model.tau_syn is not None),
        macs_per_neuron=1,
    )


@NEURON_BUILDERS.register(Izhikevich)
def build_izhikevich(model: Izhikevich, dt: float) -> PopulationBuild:
    """Population entries of an :class:`Izhikevich` model (ms inside the kernel)."""
    dt_ms = dt * 1000.0
    substeps = max(1, math.ceil(dt_ms / model.max_substep - 1e-9))
    params = {
        "model": MODEL_IZHIKEVICH,
        "delta_synapses": int(model.tau_syn is None),
        "substeps": substeps,
        "substep_ms": dt_ms / substeps,
        "izh_a": model.a,
        "izh_b": model.b,
        "izh_c": model.c,
        "izh_d": model.d,
        "v_peak": model.v_peak,
        "i_bias": model.i_bias,
        "syn_decay": 0.0 if model.tau_syn is None else math.exp(-dt / model.tau_syn),
    }
    # v starts at -65 mV and u at b v, as in the paper's network script
    return PopulationBuild(
        params,
        v_initial=-65.0,
        recovery_initial=model.b * -65.0,
        kernel=update_izhikevich,
        updates_per_neuron=2 + (model.tau_syn is not None),
    )
