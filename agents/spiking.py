r"""Spiking controllers: the adaptive arm controller of DeWolf et al. (2016) on the simulator.

:class:`AdaptiveSpikingController` runs a population of LIF neurons in a
:class:`~neurocontrol.simulator.Simulator`, one step per control step. The
joint state drives it as NEF input currents or as population-coded events;
the spikes, filtered by an exponential synapse, times decoders learned with
PES give the extra torque (see :mod:`neurocontrol.agents.adaptive` for the
law and the units). The reward-learning controller is in
:mod:`neurocontrol.agents.rstdp`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from neurocontrol.agents.adaptive import (
    OPS_MACS,
    OPS_NEURON_UPDATES,
    OPS_SYNOPS,
    AdaptiveController,
)
from neurocontrol.agents.dense import BaseController
from neurocontrol.agents.persistence import rng_from_words, rng_to_words
from neurocontrol.decoding import FilteredSpikeDecoder
from neurocontrol.encoding import GaussianPopulationEncoder
from neurocontrol.errors import CheckpointError
from neurocontrol.kernels import control as kernels
from neurocontrol.model import LIF, Input, Network, Population, Projection
from neurocontrol.simulator import Simulator
from neurocontrol.validation import require_in, require_int, require_positive

__all__ = ["AdaptiveSpikingController"]

#: Filtered activities below this (Hz) are set to zero: a spike's trace after ~0.2 s.
ACTIVITY_FLOOR = 1e-3
#: How the joint state reaches the population.
INPUT_CODINGS = ("nef_currents", "population_events")
#: Neuron variables cleared at an episode start.
_EPISODE_VARIABLES = ("v", "i_syn", "adaptation", "refractory", "spiked")


class AdaptiveSpikingController(AdaptiveController):
    r"""Base controller plus a PES-trained spiking population on :math:`(q, \dot q)`.

    Each step: the base controller's torque :math:`\tau_b`; the joint state
    into the population (``input_coding``); one simulator step; the spikes
    filtered by :math:`h(t) = e^{-t/\tau_s}/\tau_s` give activities :math:`a`
    (Hz) and the adaptive torque :math:`D^\top a`. The action is
    :math:`\mathrm{clip}((\tau_b + D^\top a) / \tau_{max}, -1, 1)`;
    :meth:`observe` applies :math:`\Delta D = \kappa\,dt\,a\,\tau_{fb}^\top` (the
    feedback part of :math:`\tau_b`, see :mod:`neurocontrol.agents.adaptive`).

    ``input_coding``:

    - ``"nef_currents"``: NEF currents :math:`J = \alpha\, e \cdot \hat x + \beta`
      into the neurons' external input (dense: ``n_neurons x 2 n_joints`` MACs;
      on a chip computed off-core);
    - ``"population_events"``: each of the ``2 n_joints`` signals drives
      ``afferents_per_signal`` Bernoulli afferents with Gaussian receptive
      fields (peak ``afferent_rate``) in an Input population, projecting to
      every neuron through current synapses (``tau_input``) whose weights give
      the same tuning on average (see :meth:`_event_network`): the input costs
      SynOps (events x fan-out) instead of MACs.

    Compute per step (:attr:`ops`, for the energy estimate): one update per
    neuron; SynOps for the input events, a spike reaching each of the
    ``n_joints`` output units (the decoders as synapses) and each PES weight
    update of an active neuron; MACs for the input currents or receptive fields.

    Parameters
    ----------
    base : BaseController
    tau_synapse : float
        Time constant (s) of the decoding synapse.
    input_coding : {"nef_currents", "population_events"}
    afferents_per_signal, afferent_rate, tau_input : int, float, float
        The event input's afferents per signal, their peak rate (Hz) and
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
        input_coding: str = "nef_currents",
        afferents_per_signal: int = 20,
        afferent_rate: float = 500.0,
        tau_input: float = 0.01,
        **kwargs: Any,
    ) -> None:
        super().__init__(base, **kwargs)
        self.tau_synapse = require_positive("tau_synapse", tau_synapse)
        self.input_coding = require_in("input_coding", input_coding, INPUT_CODINGS)
        self.afferents_per_signal = require_int("afferents_per_signal", afferents_per_signal, 2)
        self.afferent_rate = require_positive("afferent_rate", afferent_rate)
        self.tau_input = require_positive("tau_input", tau_input)
        encoder = self.encoder
        self.afferents: GaussianPopulationEncoder | None = None
        if self.input_coding == "nef_currents":
            # NEF currents are normalised to threshold 1 (v_rest = v_reset = 0, r_m = 1).
            neuron = LIF(tau_m=encoder.tau_rc, tau_ref=encoder.tau_ref)
            self.network = Network([Population(self.n_neurons, neuron, name="hidden")])
            self._encoder_macs = float(self.n_neurons * 2 * self.n_joints)
        else:
            self.network = self._event_network()
            # one receptive field (a Gaussian) evaluated per afferent and step
            self._encoder_macs = float(2 * self.n_joints * self.afferents_per_signal)
        self.simulator = Simulator(self.network, dt=base.dt, seed=self.seed)
        self._currents = self.simulator.state["hidden.i_ext"]
        if self.afferents is not None:
            self._currents[...] = encoder.biases  # the tuning curves' offsets, held constant
        self._spikes = self.simulator.spikes[self.simulator.slice_of("hidden")]
        self.decoder = FilteredSpikeDecoder(
            self.n_neurons,
            self.n_joints,
            tau=self.tau_synapse,
            dt=base.dt,
            output_scale=base.inverse_torque_limit,
        )
        self.n_spikes = 0
        self._afferent_rng = np.zeros(6, dtype=np.uint64)
        self._layout_copy = self.simulator.built.arenas.layout.copy()
        self._has_projections = bool(self.network.projections)

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

    @classmethod
    def from_env(
        cls, env: gym.Env, base: BaseController | None = None, **kwargs: Any
    ) -> AdaptiveSpikingController:
        """Build for ``env`` on ``base`` (default: operational-space control of the env)."""
        from neurocontrol.agents.dense import OperationalSpaceController

        return cls(OperationalSpaceController.from_env(env) if base is None else base, **kwargs)

    @property
    def decoders(self) -> np.ndarray:
        return self.decoder.decoders

    @property
    def activities(self) -> np.ndarray:
        return self.decoder.activities

    def reset(self, seed: int | None = None) -> None:
        """New episode: clear neuron states and synaptic filters; decoders are kept."""
        super().reset(seed)
        state = self.simulator.state
        for variable in _EPISODE_VARIABLES:
            state[f"hidden.{variable}"][...] = 0
        self.decoder.reset()

    def _adapt(self) -> np.ndarray:
        if self.afferents is None:
            self.encoder.encode(self.joint_state, out=self._currents)
            self.simulator.step()
        else:
            self.simulator.step(self.afferents.encode(self.joint_state))
        self.decoder.decode(self._spikes)
        self.n_active = kernels.flush_small(self.decoder.activities, ACTIVITY_FLOOR)
        self.n_spikes = n_spikes = int(np.count_nonzero(self._spikes))
        ops = self.ops
        synops = self.simulator.synops if self._has_projections else 0
        ops[OPS_SYNOPS] = synops + n_spikes * self.n_joints
        ops[OPS_NEURON_UPDATES] = self.n_neurons
        ops[OPS_MACS] = self._encoder_macs
        return self.decoder.value

    def _count_learning(self, updates: int) -> None:
        self.ops[OPS_SYNOPS] += updates

    # -- checkpoint -----------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        return {
            **self._adaptive_spec(),
            "tau_synapse": self.tau_synapse,
            "input_coding": self.input_coding,
            "afferents_per_signal": self.afferents_per_signal,
            "afferent_rate": self.afferent_rate,
            "tau_input": self.tau_input,
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        arenas = self.simulator.built.arenas
        extra = {} if self.afferents is None else {"afferents.rng": self._afferent_rng}
        return {
            **super().state_targets(),
            **extra,
            "filtered": self.decoder.activities,
            **{f"snn.arena.{kind}": array for kind, array in arenas.arrays.items()},
            # where each state variable sits in the arenas: compared on load, never changed
            "snn.arena.layout": self._layout_copy,
        }

    def _snapshot(self) -> None:
        super()._snapshot()
        if self.afferents is not None:
            self._afferent_rng[:] = rng_to_words(self.afferents._rng)

    def _restored(self) -> None:
        super()._restored()
        if self.afferents is not None:
            rng_from_words(self.afferents._rng, self._afferent_rng)

    def load_state_dict(self, arrays: Mapping[str, np.ndarray]) -> None:
        layout = arrays.get("snn.arena.layout")
        if layout is not None and not np.array_equal(layout, self.simulator.built.arenas.layout):
            raise CheckpointError(
                "checkpoint's network state layout does not match this network "
                "(saved by another version of the simulator?)"
            )
        super().load_state_dict(arrays)
