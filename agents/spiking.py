r"""Spiking controllers: the adaptive arm controller of DeWolf et al. (2016) on the simulator.

:class:`AdaptiveSpikingController` runs a population of LIF neurons in a
:class:`~neurocontrol.simulator.Simulator`, one step per control step. The
joint state drives it as level-crossing events, NEF input currents or
population-coded events; the spikes, filtered by an exponential synapse,
times decoders learned with PES give the extra torque (see
:mod:`neurocontrol.agents.adaptive` for the law and the units). The
population's gains are solved for neurons simulated in whole steps
(:class:`~neurocontrol.encoding.NEFEncoder` with ``dt``), so it carries the
rate twin's mean activity. The reward-learning controller is in
:mod:`neurocontrol.agents.rstdp`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from neurocontrol.agents.adaptive import (
    OPS_MACS,
    OPS_NEURON_UPDATES,
    OPS_SYNOPS,
    AdaptiveController,
)
from neurocontrol.agents.dense import BaseController
from neurocontrol.decoding import FilteredSpikeDecoder
from neurocontrol.encoding import GaussianPopulationEncoder, SendOnDeltaEncoder
from neurocontrol.kernels import control as kernels
from neurocontrol.model import LIF, Input, Network, Population, Projection
from neurocontrol.simulator import Simulator
from neurocontrol.statedict import Stateful
from neurocontrol.validation import require_in, require_int, require_positive

__all__ = ["AdaptiveSpikingController"]

#: Filtered activities below this (Hz) are set to zero: a spike's trace after ~0.2 s.
ACTIVITY_FLOOR = 1e-3
#: How the joint state reaches the population.
INPUT_CODINGS = ("nef_currents", "population_events", "delta_events")
#: How spikes become the adaptive torque and drive PES.
DECODINGS = ("spike_events", "filtered_activities")


class AdaptiveSpikingController(AdaptiveController):
    r"""Base controller plus a PES-trained spiking population on :math:`(q, \dot q)`.

    Each step: the base controller's torque :math:`\tau_b`; the joint state
    into the population (``input_coding``); one simulator step; the spikes
    filtered by :math:`h(t) = e^{-t/\tau_s}/\tau_s` give activities :math:`a`
    (Hz) and the adaptive torque :math:`D^\top a`. The action is
    :math:`\mathrm{clip}((\tau_b + D^\top a) / \tau_{max}, -1, 1)`;
    :meth:`observe` applies PES with the feedback part of :math:`\tau_b` (see
    :mod:`neurocontrol.agents.adaptive`).

    ``input_coding``:

    - ``"delta_events"`` (default): send-on-delta events (Miskowicz 2006), one
      ON/OFF pair per signal with a step of ``delta`` times its radius; an
      event of signal :math:`d` adds :math:`\pm\delta_d\,\alpha_k e_{kd}/r_d` to
      every neuron's held, non-leaking input current (a synapse with no decay,
      e.g. Loihi's current decay 0), so the currents are the NEF currents
      :math:`J = \alpha\, e \cdot \hat x_r + \beta` of the crossed levels
      :math:`x_r` (within ``delta`` of the state). Cost: ``n_neurons`` SynOps per
      event and a comparison per signal and step; the arm moves smoothly, so
      there are about 0.3 events per step.
    - ``"nef_currents"``: NEF currents :math:`J = \alpha\, e \cdot \hat x + \beta`
      recomputed each step (dense: ``n_neurons x 2 n_joints`` MACs);
    - ``"population_events"``: each of the ``2 n_joints`` signals drives
      ``afferents_per_signal`` Bernoulli afferents with Gaussian receptive
      fields (peak ``afferent_rate``) in an Input population, projecting to
      every neuron through current synapses (``tau_input``) whose weights give
      the same tuning on average (see :meth:`_event_network`).

    ``decoding``:

    - ``"spike_events"`` (default): :math:`y = D^\top a` is kept up to date per
      spike (:func:`~neurocontrol.kernels.control.spike_decode_step`: the
      spiking neurons' decoders are added to the outputs, whose state decays
      with the synapse; exact, also while :math:`D` changes), and PES is
      event-driven: each spike moves its neuron's decoders by
      :math:`\kappa\,\tau_{fb}` (:func:`~neurocontrol.kernels.control.spike_pes_update`),
      whose mean over a spike train is the rate rule's
      :math:`\kappa\,dt\,r\,\tau_{fb}`. Silent neurons cost nothing.
    - ``"filtered_activities"``: every neuron's filtered trace is kept
      (:class:`~neurocontrol.decoding.FilteredSpikeDecoder`), decoded densely
      and multiplied into PES each step, as in the rate rule.

    Compute per step (:attr:`ops`, priced by :class:`~neurocontrol.metrics.EnergyModel`),
    everything the step computes besides the base controller (identical on
    both sides of a hybrid):

    - neuron updates: one per neuron (the membrane), two with the current
      synapses of ``"population_events"`` (membrane and synaptic current);
    - SynOps (an accumulate of a weight): input events x ``n_neurons``;
      ``"spike_events"``: spikes x ``n_joints`` for the decoding and spikes x
      ``n_joints`` decoder adds for PES;
    - MACs: the input (``"nef_currents"``: ``n_neurons x 2 n_joints``; receptive
      fields: one per afferent; level crossings: one per signal);
      ``"spike_events"``: ``2 n_joints`` for the output synapses, one per spike
      for its trace, ``n_joints`` for :math:`\kappa\tau_{fb}` and spikes x
      ``n_joints`` for the output following the decoder changes;
      ``"filtered_activities"``: ``n_neurons`` trace decays, active x
      ``n_joints`` for the decoding, ``n_joints`` + active x ``n_joints`` for PES.

    Parameters
    ----------
    base : BaseController
    tau_synapse : float
        Time constant (s) of the decoding synapse.
    input_coding : {"delta_events", "nef_currents", "population_events"}
    delta : float
        ``"delta_events"``: the level step as a fraction of each signal's
        radius (``q_radius``, ``dq_radius``).
    decoding : {"spike_events", "filtered_activities"}
    afferents_per_signal, afferent_rate, tau_input : int, float, float
        The population events' afferents per signal, their peak rate (Hz) and
        synaptic time constant (s).
    **kwargs
        See :class:`~neurocontrol.agents.adaptive.AdaptiveController`
        (``n_neurons``, ``learning_rate``, ``q_radius``, ``dq_radius``,
        ``max_rates``, ``intercepts``, ``tau_rc``, ``tau_ref``, ``seed``, ``force``).
    """

    agent_type: ClassVar[str] = "adaptive_spiking"

    def __init__(
        self,
        base: BaseController,
        *,
        tau_synapse: float = 0.02,
        input_coding: str = "delta_events",
        afferents_per_signal: int = 20,
        afferent_rate: float = 500.0,
        tau_input: float = 0.01,
        delta: float = 0.01,
        decoding: str = "spike_events",
        **kwargs: Any,
    ) -> None:
        super().__init__(base, **kwargs)
        self.tau_synapse = require_positive("tau_synapse", tau_synapse)
        self.input_coding = require_in("input_coding", input_coding, INPUT_CODINGS)
        self.decoding = require_in("decoding", decoding, DECODINGS)
        self.delta = require_positive("delta", delta)
        self.afferents_per_signal = require_int("afferents_per_signal", afferents_per_signal, 2)
        self.afferent_rate = require_positive("afferent_rate", afferent_rate)
        self.tau_input = require_positive("tau_input", tau_input)
        encoder = self.encoder
        n_signals = 2 * self.n_joints
        self.afferents: GaussianPopulationEncoder | None = None
        self.level_crossings: SendOnDeltaEncoder | None = None
        # state variables integrated per neuron and step: v, and I_syn for current synapses
        self._updates_per_neuron = 1.0
        if self.input_coding == "population_events":
            self.network = self._event_network()
            self._updates_per_neuron = 2.0
            # one receptive field (a Gaussian) evaluated per afferent and step
            self._encoder_macs = float(n_signals * self.afferents_per_signal)
        else:
            # NEF currents are normalised to threshold 1 (v_rest = v_reset = 0, r_m = 1).
            neuron = LIF(tau_m=encoder.tau_rc, tau_ref=encoder.tau_ref)
            self.network = Network([Population(self.n_neurons, neuron, name="hidden")])
            # nef_currents: J = W x + b per neuron; delta_events: one comparison per signal
            dense = self.input_coding == "nef_currents"
            self._encoder_macs = float(self.n_neurons * n_signals if dense else n_signals)
        if self.input_coding == "delta_events":
            self.level_crossings = SendOnDeltaEncoder(
                n_signals, self.delta * encoder.radius, max_events_per_step=255,
                initial=encoder.center,
            )  # fmt: skip
            # one level crossing of signal d moves every current by delta_d * W[:, d]
            self._step_weights = encoder._weights_t * self.level_crossings.delta[:, None]
        self.simulator = Simulator(self.network, dt=base.dt, seed=self.seed)
        self._currents = self.simulator.state["hidden.i_ext"]
        self._reset_currents()
        self._spikes = self.simulator.spikes[self.simulator.slice_of("hidden")]
        self.decoder = FilteredSpikeDecoder(
            self.n_neurons,
            self.n_joints,
            tau=self.tau_synapse,
            dt=base.dt,
            output_scale=base.inverse_torque_limit,
        )
        self.n_spikes = 0
        self.n_input_events = 0
        # spike_events: y = D^T a kept up to date per spike (kernels.control.spike_decode_step)
        self.output_filtered = np.zeros(self.n_joints)
        self.trace = np.zeros(self.n_neurons)  # a_k at neuron k's last spike (Hz)
        self.last_spike = np.zeros(self.n_neurons, dtype=np.int64)  # step of that spike
        self.clock = np.zeros(1, dtype=np.int64)  # steps since the episode started
        n_powers = math.ceil(40.0 * self.tau_synapse / base.dt) + 1  # decay**n < 1e-17
        self._decay_powers = self.decoder.decay ** np.arange(n_powers)
        self._scaled_error = np.zeros(self.n_joints)
        self._has_projections = bool(self.network.projections)

    def _tuning_dt(self, base: BaseController) -> float | None:
        # The population is simulated at the control step: solve gains and biases for it.
        return base.dt

    def _event_network(self) -> Network:
        r"""Afferents with Gaussian receptive fields on each of :math:`(q, \dot q)` -> hidden.

        The weights reproduce the NEF tuning on average: afferent :math:`i`
        (signal :math:`d`, normalised centre :math:`\hat c_i`) reaches neuron
        :math:`k` with :math:`w_{ki} \propto \alpha_k e_{kd} \hat c_i`, scaled
        so that the expected synaptic current is :math:`\alpha_k e_k \cdot \hat x`
        (a dense Gaussian population's centre-weighted sum is proportional to
        its input, Pouget et al. 2000); the bias :math:`\beta_k` is a
        constant input current.
        """
        encoder, dt, k = self.encoder, self.base.dt, self.afferents_per_signal
        n_signals = 2 * self.n_joints
        low, high = encoder.center - encoder.radius, encoder.center + encoder.radius
        self.afferents = GaussianPopulationEncoder(
            n_signals, low, high, k, mode="bernoulli", max_rate=self.afferent_rate,
            dt=dt, seed=self.seed,
        )  # fmt: skip
        signal = np.repeat(np.arange(n_signals), k)
        centres = (self.afferents.centers - encoder.center[signal]) / encoder.radius[signal]
        spacing = (high - low) / (k - 1)
        # sum_j c_j * P(spike_j) ~ x * max_rate dt * width sqrt(2 pi) / spacing
        per_step = self.afferent_rate * dt * self.afferents.width * math.sqrt(2 * math.pi) / spacing
        filter_gain = 1.0 - math.exp(-dt / self.tau_input)  # I_syn -> sum per step / gain
        scale = (centres * filter_gain / per_step[signal])[:, None]
        weights = scale * (encoder.gains[None, :] * encoder.encoders[:, signal].T)
        afferents = Input(n_signals * k, name="afferents")
        neuron = LIF(tau_m=encoder.tau_rc, tau_ref=encoder.tau_ref, tau_syn=self.tau_input)
        hidden = Population(self.n_neurons, neuron, name="hidden")
        return Network([afferents, hidden], [Projection(afferents, hidden, weights=weights)])

    @property
    def activities(self) -> np.ndarray:
        return self.decoder.activities

    def reset(self, seed: int | None = None) -> None:
        """New episode: clear neuron states and synaptic filters; decoders are kept."""
        super().reset(seed)
        self.simulator.reset_state()  # neurons, synaptic currents, delay buffer; clock kept
        self.decoder.reset()
        self.output_filtered[:] = 0.0
        self.trace[:] = 0.0
        self.last_spike[:] = 0
        self.clock[0] = 0
        self._reset_currents()

    def _reset_currents(self) -> None:
        """Input currents at the encoder's centre (held by the event codings)."""
        if self.input_coding == "population_events":
            self._currents[...] = self.encoder.biases  # the tuning curves' offsets, held constant
        elif self.level_crossings is not None:
            self.level_crossings.reset()  # the reference restarts at the centre
            self.encoder.encode(self.encoder.center, out=self._currents)

    def _adapt(self) -> np.ndarray:
        n, n_joints, spikes = self.n_neurons, self.n_joints, self._spikes
        synops = 0
        if self.input_coding == "nef_currents":
            self.encoder.encode(self.joint_state, out=self._currents)
            self.simulator.step()
        elif self.input_coding == "delta_events":
            assert self.level_crossings is not None
            events = self.level_crossings.encode(self.joint_state)
            self.n_input_events = kernels.delta_event_currents(
                events, self._step_weights, self._currents
            )
            synops = self.n_input_events * n  # each crossing reaches every neuron
            self.simulator.step()
        else:
            assert self.afferents is not None
            events = self.afferents.encode(self.joint_state)
            self.simulator.step(events)
            synops = self.simulator.synops
            self.n_input_events = int(np.count_nonzero(events))
        ops = self.ops
        macs = self._encoder_macs
        decoder = self.decoder
        if self.decoding == "spike_events":
            self.clock[0] += 1
            self.n_spikes = n_spikes = kernels.spike_decode_step(
                spikes, decoder.decoders, decoder.decay, decoder._spike_gain, self._decay_powers,
                self.clock[0], self.trace, self.last_spike, self.output_filtered,
                decoder.output_scale, decoder._value, decoder._command,
            )  # fmt: skip
            self.n_active = n_spikes
            synops += n_spikes * n_joints  # a spike reaches each output unit
            # per output: decay and gain of the synapse; per spike: its trace brought up to date
            macs += 2 * n_joints + n_spikes
        else:
            decoder.decode(spikes)
            self.n_active = kernels.flush_small(decoder.activities, ACTIVITY_FLOOR)
            self.n_spikes = int(np.count_nonzero(spikes))
            # every neuron's trace decays; the nonzero ones times the decoders
            macs += n + self.n_active * n_joints
        ops[OPS_SYNOPS] = synops
        ops[OPS_NEURON_UPDATES] = n * self._updates_per_neuron
        ops[OPS_MACS] = macs
        return decoder.value

    def observe(
        self, reward: float, terminated: bool, truncated: bool, info: Mapping[str, Any]
    ) -> None:
        r"""PES: per spike (``spike_events``) or per step on the filtered activities.

        ``spike_events``: each neuron that spiked this step moves its decoders
        by :math:`-\kappa\, e` (:func:`~neurocontrol.kernels.control.spike_pes_update`),
        a weight update per spike instead of per active neuron and step with the
        same mean as :math:`-\kappa\,dt\,a\,e` (see :mod:`neurocontrol.agents.adaptive`).
        """
        if self.decoding == "filtered_activities":
            super().observe(reward, terminated, truncated, info)
            return
        if self.rate_dt > 0.0 and self.n_spikes:
            np.multiply(self.error, self.learning_rate, out=self._scaled_error)
            kernels.spike_pes_update(
                self._spikes, self.decoders, self._scaled_error, self.trace, self.output_filtered
            )
            updates = self.n_spikes * self.n_joints
            self.ops[OPS_SYNOPS] += updates  # one add per decoder weight of a spiking neuron
            # kappa e once per output; the decoded output follows: a_k kappa e_j per weight
            self.ops[OPS_MACS] += self.n_joints + updates
        self.error[:] = 0.0

    def _count_learning(self, updates: int) -> None:
        # filtered_activities: a_k * kappa dt e_j added to D_kj, a multiply-add each
        self.ops[OPS_MACS] += updates

    # -- checkpoint -----------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        return {
            **self._adaptive_spec(),
            "tau_synapse": self.tau_synapse,
            "input_coding": self.input_coding,
            "afferents_per_signal": self.afferents_per_signal,
            "afferent_rate": self.afferent_rate,
            "tau_input": self.tau_input,
            "delta": self.delta,
            "decoding": self.decoding,
        }

    def state_parts(self) -> dict[str, Stateful]:
        parts = {**super().state_parts(), "snn": self.simulator}
        if self.afferents is not None:
            parts["afferents"] = self.afferents
        if self.level_crossings is not None:
            parts["crossings"] = self.level_crossings
        return parts

    def state_targets(self) -> dict[str, np.ndarray]:
        return {
            **super().state_targets(),
            "filtered": self.decoder.activities,
            "output_filtered": self.output_filtered,
            "trace": self.trace,
            "last_spike": self.last_spike,
            "clock": self.clock,
        }
