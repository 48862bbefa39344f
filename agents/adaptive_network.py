r"""The network of the adaptive controller: joint state in, learned torque out.

:func:`adaptive_network` describes it with the spiking core's parts, as
abr_control builds DeWolf's controller as a Nengo network:

- a :class:`~neurocontrol.core.model.network.SignalInput` ``"state"`` holds
  :math:`(q, \dot q)`;
- it reaches the population ``"hidden"`` as NEF input currents
  (:class:`~neurocontrol.core.model.encoders.CurrentEncoder`: every step, or on
  send-on-delta events) or as spikes of Gaussian receptive fields
  (:class:`~neurocontrol.core.model.encoders.ReceptiveFieldEncoder` into an
  :class:`~neurocontrol.core.model.network.Input` ``"afferents"``, projected onto
  current synapses);
- ``"hidden"`` is LIF neurons simulated in steps, or their rate model
  (:class:`~neurocontrol.core.model.neurons.LIFRate`: the rate twin is the same
  description with the rate neuron, as Nengo's ``LIFRate`` is to ``LIF``);
- the readout ``"readout"`` onto the :class:`~neurocontrol.core.model.network.Output`
  ``"torque"`` (one unit per joint, the decoding synapse) holds the
  decoders, zero at the start, learned by the core's
  :class:`~neurocontrol.core.model.error_rules.PES` from the error the agent sets
  as the rule's third factor (``"readout.pes"``);
- with a fast learning rate, a second readout ``"fast"`` onto the same
  output, whose PES (``"fast.pes"``, the same error) has a weight decay: the
  two-rate process of Smith, Ghazizadeh & Shadmehr (2006), a fast
  component that learns quickly and forgets plus the slow one that keeps.

The tuning curves (encoders, gains, biases) come from a
:class:`~neurocontrol.core.encoding.NEFEncoder`: gains solved for neurons
simulated at ``dt`` for the spiking population (so it carries the rate
model's mean activity), the continuous curves for the rate model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neurocontrol.core.encoding import NEFEncoder
from neurocontrol.core.model import LIF, PES, AllToAll, Input, Network, Population, Projection
from neurocontrol.core.model.encoders import CurrentEncoder, ReceptiveFieldEncoder
from neurocontrol.core.model.network import Output, SignalInput
from neurocontrol.core.model.neurons import LIFRate

__all__ = [
    "FAST_RULE",
    "INPUT_CODINGS",
    "NEURON_MODELS",
    "RULE",
    "AdaptiveNetworkSpec",
    "adaptive_network",
]

#: How the joint state reaches the population.
INPUT_CODINGS = ("delta_events", "nef_currents", "population_events")
#: The population's neurons: LIF simulated in steps, or the LIF rate model.
NEURON_MODELS = ("spiking", "rate")
#: The learning rule of the readout, as ``Simulator.set_third_factor`` names it.
RULE = "readout.pes"
#: The learning rule of the fast, decaying readout (when there is one).
FAST_RULE = "fast.pes"


@dataclass(frozen=True)
class AdaptiveNetworkSpec:
    """The parameters of :func:`adaptive_network` (validated by the agent that holds them)."""

    neurons: str
    input_coding: str
    learning_rate: float
    tau_synapse: float | None
    pes_pre_tau: float | None
    delta: float
    afferents_per_signal: int
    afferent_rate: float
    tau_input: float
    fast_learning_rate: float = 0.0  # per neuron; 0: no fast readout
    fast_decay_tau: float | None = None
    fast_decay_period: float | None = None


def adaptive_network(
    tuning: NEFEncoder, n_joints: int, spec: AdaptiveNetworkSpec, dt: float
) -> Network:
    """The network of an adaptive controller on ``2 n_joints`` signals (see the module docstring).

    Parameters
    ----------
    tuning : NEFEncoder
        Encoders, gains, biases, centre and radius of the population.
    n_joints : int
        Outputs of the readout (one torque per joint, N·m).
    spec : AdaptiveNetworkSpec
        Neuron model, input coding and learning parameters.
    dt : float
        The step (s), which the receptive fields' weights are scaled for.
    """
    n = tuning.n_outputs
    # current synapses carry the afferents' spikes; the NEF currents are held input currents
    tau_syn = spec.tau_input if spec.input_coding == "population_events" else None
    neuron = LIF if spec.neurons == "spiking" else LIFRate
    model = neuron(tau_m=tuning.tau_rc, tau_ref=tuning.tau_ref, tau_syn=tau_syn)
    state = SignalInput(tuning.n_inputs, name="state")
    hidden = Population(n, model, name="hidden")
    torque = Output(n_joints, tau=spec.tau_synapse, name="torque")
    readout = Projection(
        hidden,
        torque,
        AllToAll(),
        weights=0.0,
        rule=PES(learning_rate=spec.learning_rate, pre_tau=spec.pes_pre_tau),
        name="readout",
    )
    readouts = [readout]
    if spec.fast_learning_rate > 0.0:
        rule = PES(
            spec.fast_learning_rate,
            pre_tau=spec.pes_pre_tau,
            decay_tau=spec.fast_decay_tau,
            decay_period=spec.fast_decay_period,
        )
        readouts.append(Projection(hidden, torque, AllToAll(), 0.0, rule=rule, name="fast"))
    if spec.input_coding == "population_events":
        afferents, encoder, projection = _receptive_fields(tuning, state, hidden, spec, dt)
        return Network([state, afferents, hidden, torque], [projection, *readouts], [encoder])
    delta = spec.delta if spec.input_coding == "delta_events" else None
    currents = CurrentEncoder(
        state, hidden, tuning.encoders, tuning.gains, tuning.biases, tuning.center,
        tuning.radius, delta, name="currents",
    )  # fmt: skip
    return Network([state, hidden, torque], readouts, [currents])


def _receptive_fields(
    tuning: NEFEncoder,
    state: SignalInput,
    hidden: Population,
    spec: AdaptiveNetworkSpec,
    dt: float,
) -> tuple[Input, ReceptiveFieldEncoder, Projection]:
    r"""Afferents with Gaussian receptive fields on each signal, projected onto ``hidden``.

    The weights reproduce the NEF tuning on average: afferent :math:`i`
    (signal :math:`d`, normalised centre :math:`\hat c_i`) reaches neuron
    :math:`k` with :math:`w_{ki} \propto \alpha_k e_{kd} \hat c_i`, scaled so
    that the expected synaptic current is :math:`\alpha_k e_k \cdot \hat x`
    (a dense Gaussian population's centre-weighted sum is proportional to
    its input, Pouget et al. 2000); the biases :math:`\beta_k` are the
    population's held input current, set by the agent.
    """
    k = spec.afferents_per_signal
    n_signals = tuning.n_inputs
    low, high = tuning.center - tuning.radius, tuning.center + tuning.radius
    afferents = Input(n_signals * k, name="afferents")
    encoder = ReceptiveFieldEncoder(
        state, afferents, per_signal=k, low=low, high=high, max_rate=spec.afferent_rate,
        name="fields",
    )  # fmt: skip
    signal = np.repeat(np.arange(n_signals), k)
    centres = (encoder.centers - tuning.center[signal]) / tuning.radius[signal]
    spacing = (high - low) / (k - 1)
    width = encoder.widths
    # sum_j c_j * P(spike_j) ~ x * max_rate dt * width sqrt(2 pi) / spacing
    per_step = spec.afferent_rate * dt * width * math.sqrt(2 * math.pi) / spacing
    filter_gain = 1.0 - math.exp(-dt / spec.tau_input)  # I_syn -> sum per step / gain
    scale = (centres * filter_gain / per_step[signal])[:, None]
    weights = scale * (tuning.gains[None, :] * tuning.encoders[:, signal].T)
    projection = Projection(afferents, hidden, weights=weights, name="fields_to_hidden")
    return afferents, encoder, projection
