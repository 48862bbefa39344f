r"""Spiking controllers: the adaptive arm controller of DeWolf et al. (2016) on the simulator.

:class:`AdaptiveSpikingController` runs a population of LIF neurons in a
:class:`~neurocontrol.simulator.Simulator`, one step per control step. The
joint state drives it as NEF input currents; the spikes, filtered by an
exponential synapse, times decoders learned with PES give the extra torque
(see :mod:`neurocontrol.agents.adaptive` for the law and the units).
"""

from __future__ import annotations

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
from neurocontrol.decoding import FilteredSpikeDecoder
from neurocontrol.errors import CheckpointError
from neurocontrol.kernels import control as kernels
from neurocontrol.model import LIF, Network, Population
from neurocontrol.simulator import Simulator
from neurocontrol.validation import require_positive

__all__ = ["AdaptiveSpikingController"]

#: Filtered activities below this (Hz) are set to zero: a spike's trace after ~0.2 s.
ACTIVITY_FLOOR = 1e-3
#: Neuron variables cleared at an episode start.
_EPISODE_VARIABLES = ("v", "i_syn", "adaptation", "refractory", "spiked")


class AdaptiveSpikingController(AdaptiveController):
    r"""Base controller plus a PES-trained spiking population on :math:`(q, \dot q)`.

    Each step: the base controller's torque :math:`\tau_b`; NEF currents
    :math:`J = \alpha\, e \cdot \hat x + \beta` of the joint state into the
    population's external input; one simulator step; the spikes filtered by
    :math:`h(t) = e^{-t/\tau_s}/\tau_s` give activities :math:`a` (Hz) and the
    adaptive torque :math:`D^\top a`. The action is
    :math:`\mathrm{clip}((\tau_b + D^\top a) / \tau_{max}, -1, 1)`;
    :meth:`observe` applies :math:`\Delta D = \kappa\,dt\,a\,\tau_{fb}^\top` (the feedback
    part of :math:`\tau_b`, see :mod:`neurocontrol.agents.adaptive`).

    Compute per step (:attr:`ops`, for the energy estimate): one update per
    neuron; a SynOp per spike per output (the decoders as synapses onto
    ``n_joints`` output units) and per PES weight update of an active
    neuron; the input currents as ``n_neurons x 2 n_joints`` MACs (the dense
    front end; on a chip they are computed off-core).

    Parameters
    ----------
    base : BaseController
    tau_synapse : float
        Time constant (s) of the decoding synapse.
    **kwargs
        See :class:`~neurocontrol.agents.adaptive.AdaptiveController`
        (``n_neurons``, ``learning_rate``, ``q_radius``, ``dq_radius``,
        ``max_rates``, ``intercepts``, ``tau_rc``, ``tau_ref``, ``seed``).
    """

    agent_type: ClassVar[str] = "adaptive_spiking"

    def __init__(self, base: BaseController, *, tau_synapse: float = 0.02, **kwargs: Any) -> None:
        super().__init__(base, **kwargs)
        self.tau_synapse = require_positive("tau_synapse", tau_synapse)
        encoder = self.encoder
        # NEF currents are normalised to threshold 1 (v_rest = v_reset = 0, r_m = 1).
        neuron = LIF(tau_m=encoder.tau_rc, tau_ref=encoder.tau_ref)
        self.network = Network([Population(self.n_neurons, neuron, name="hidden")])
        self.simulator = Simulator(self.network, dt=base.dt, seed=self.seed)
        self._currents = self.simulator.state["hidden.i_ext"]
        self._spikes = self.simulator.spikes[self.simulator.slice_of("hidden")]
        self.decoder = FilteredSpikeDecoder(
            self.n_neurons,
            self.n_joints,
            tau=self.tau_synapse,
            dt=base.dt,
            output_scale=base.inverse_torque_limit,
        )
        self.n_spikes = 0
        self._layout_copy = self.simulator.built.arenas.layout.copy()
        self._has_projections = bool(self.network.projections)
        self._encoder_macs = float(self.n_neurons * 2 * self.n_joints)

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
        self.encoder.encode(self.joint_state, out=self._currents)
        self.simulator.step()
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
        return {**self._adaptive_spec(), "tau_synapse": self.tau_synapse}

    def state_targets(self) -> dict[str, np.ndarray]:
        arenas = self.simulator.built.arenas
        return {
            **super().state_targets(),
            "filtered": self.decoder.activities,
            **{f"snn.arena.{kind}": array for kind, array in arenas.arrays.items()},
            # where each state variable sits in the arenas: compared on load, never changed
            "snn.arena.layout": self._layout_copy,
        }

    def load_state_dict(self, arrays: Mapping[str, np.ndarray]) -> None:
        layout = arrays.get("snn.arena.layout")
        if layout is not None and not np.array_equal(layout, self.simulator.built.arenas.layout):
            raise CheckpointError(
                "checkpoint's network state layout does not match this network "
                "(saved by another version of the simulator?)"
            )
        super().load_state_dict(arrays)
