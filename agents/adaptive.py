r"""The adaptive arm controller of DeWolf et al. (2016): a base controller plus a learning network.

A base controller (joint PD or operational-space control on the nominal
model) computes :math:`\tau_b = \tau_{fb} + g(q)`, a feedback torque plus
nominal gravity compensation; a population encodes the joint state
:math:`(q, \dot q)` with NEF tuning curves; its activities :math:`a` times
decoders :math:`D` give an extra torque, and

.. math::

    \tau = \tau_b + D^\top a, \qquad
    \frac{dD}{dt} = \kappa\, a\, \tau_{fb}^\top

— the Prescribed Error Sensitivity rule (MacNeil & Eliasmith 2011) with the
base controller's own output as the error (feedback-error learning, Kawato
1987). As in DeWolf et al.'s operational-space controller, the training
signal is the feedback part: the gravity feedforward is there even when the
arm tracks perfectly, and learning it would double it. Whatever torque the
feedback keeps having to add in a state (a force field, a payload, a weak
motor) is moved into the decoders, which start at zero (DeWolf, Stewart,
Slotine & Eliasmith 2016, Proc. R. Soc. B 283:20162134). The learning rate
:math:`\kappa` is in 1/(Hz·s) per unit of error for the whole population:
with activities in Hz and torques in N·m, :math:`D` is in N·m/Hz and one
step changes it by :math:`(\kappa / N)\,dt\,a\,\tau_{fb}` with :math:`N`
the number of neurons, as Nengo's PES divides by the population size. The
decoded change :math:`\sum_i a_i \Delta D_i` is then about the same for any
:math:`N`, so a rate means the same at 1000 and 4000 neurons.

The learning part is a network of the spiking core
(:func:`~neurocontrol.agents.adaptive_network.adaptive_network`): encoders,
population, readout and PES run in the simulator's one step. The spiking
controller and its rate-coded twin are the same description with LIF
neurons simulated in steps or the LIF rate model. The agent is what
remains: the base controller, the simulator, the error it sets as PES's
third factor, and the torque assembly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from neurocontrol.agents.adaptive_network import (
    FAST_RULE,
    INPUT_CODINGS,
    NEURON_MODELS,
    RULE,
    AdaptiveNetworkSpec,
    adaptive_network,
)
from neurocontrol.agents.agent import Agent
from neurocontrol.agents.base_controllers import BaseController, OperationalSpaceController
from neurocontrol.agents.force import TactileForceRegulator
from neurocontrol.agents.persistence import Persistent
from neurocontrol.core.encoding import NEFEncoder, intercept_for_active_fraction
from neurocontrol.core.kernels.control import laws as kernels
from neurocontrol.core.kernels.step.state import OPS_SYNOPS
from neurocontrol.core.simulator import Simulator
from neurocontrol.core.statedict import Stateful
from neurocontrol.errors import ConfigError, SimulationError
from neurocontrol.utils.validation import (
    require_in,
    require_int,
    require_nonnegative,
    require_optional_positive,
    require_positive,
)

__all__ = ["ACTIVE_FRACTION", "ADAPTIVE_TYPES", "AdaptiveController"]

#: Default share of the input ball on which each neuron fires (sparse: see ``active_fraction``).
ACTIVE_FRACTION = (0.15, 0.55)
#: Spec type of each neuron model, for checkpoints and :func:`~neurocontrol.agents.make_agent`.
ADAPTIVE_TYPES = {"spiking": "adaptive_spiking", "rate": "adaptive_rate"}


class AdaptiveController(Persistent, Agent):
    r"""A base controller plus a PES-trained network on :math:`(q, \dot q)`.

    Each step: the base controller's torque :math:`\tau_b`; the error
    :math:`-\tau_{fb}` set as PES's third factor; one simulator step with the
    joint state as its signal (encoders, population, readout, PES); the action
    :math:`\mathrm{clip}((\tau_b + y) / \tau_{max}, -1, 1)` with :math:`y` the
    readout's output (N·m).

    Parameters
    ----------
    base : BaseController
        Computes :math:`\tau_b`; its feedback part is the training signal.
    neurons : {"spiking", "rate"}
        LIF neurons simulated in steps (gains solved for the step, so the
        population carries the rate model's mean activity), or the LIF rate
        model (the continuous tuning curves).
    n_neurons : int
        Size of the population.
    learning_rate : float
        :math:`\kappa` in 1/(Hz·s) for the population, divided by ``n_neurons``
        per neuron (see the module docstring); 0 freezes the decoders.
    q_radius, dq_radius : float
        Joint angles are encoded relative to the home posture, normalised by
        ``q_radius`` (rad); joint velocities by ``dq_radius`` (rad/s).
    max_rates, intercepts : (low, high)
        Ranges of the LIF tuning curves (Hz; normalised input), see
        :class:`~neurocontrol.core.encoding.NEFEncoder`; ``intercepts`` None: from
        ``active_fraction``.
    active_fraction : (low, high) or None
        Replaces ``intercepts``: the range of the share of the normalised
        input ball (4-D for a 2-joint arm, 14-D for 7 joints) on which each
        neuron fires, each in (0, 1); the intercepts are drawn between the
        ones of these shares
        (:func:`~neurocontrol.core.encoding.intercept_for_active_fraction`).
        Sparser codes (smaller shares) let PES change the decoders of one part
        of the state space without undoing the others. Neither this nor
        ``intercepts`` given: :data:`ACTIVE_FRACTION`.
    fast_learning_rate : float
        A second, fast readout of the same population onto the same torque
        (population rate as ``learning_rate``), whose decoders decay with
        ``fast_decay_tau``: the fast process of a two-rate model (Smith,
        Ghazizadeh & Shadmehr 2006), which takes the error quickly and hands
        it over to the slow ``learning_rate`` readout as it forgets. The decay
        goes on with learning switched off (:meth:`set_learning`), as the
        fast process forgets in error-clamp trials: frozen, what lasts is
        the slow readout. 0: no fast readout.
    fast_decay_tau : float
        Time constant (s) of the fast readout's decay. The defaults (slow
        5e-3, fast 1e-1 forgetting in 50 ms, ``active_fraction`` 0.15-0.55, an
        OSC base with feedforward) were chosen by measurement on the curl
        field and the Panda payload (``launch/tradeoff.py``,
        ``launch/curl_planar.yaml``): the fast readout takes what varies
        faster than the state code can hold, so the slow one integrates a
        cleaner error and keeps ~84-86% once frozen; with a 50 ms memory
        the fast readout is close to a learned extra feedback, and what is
        measured as retention is the slow readout alone.
    fast_decay_period : float
        The fast readout's decay is applied once per this period (s, rounded
        to whole steps) by :math:`e^{-T/\tau}` rather than every step: a pass
        over all its decoders per step would cost the spiking side more than
        the rest of its network (10 ms: a fifth of ``fast_decay_tau``; on
        the curl field the same figures as every 5 ms at half the cost).
    tau_rc, tau_ref : float
        LIF membrane and refractory time constants (s).
    tau_synapse : float or None
        Time constant (s) of the decoding synapse (the output's low-pass);
        None: none.
    input_coding : {"delta_events", "nef_currents", "population_events"} or None
        ``"delta_events"``: send-on-delta events (Miskowicz 2006) of each
        signal with a level step of ``delta`` times its radius; each event
        moves every held input current by one level's worth (``n_neurons``
        SynOps), so the currents are the NEF currents of the crossed levels.
        ``"nef_currents"``: the NEF currents recomputed every step (dense).
        ``"population_events"``: ``afferents_per_signal`` Bernoulli afferents
        with Gaussian receptive fields (peak ``afferent_rate``) per signal,
        through current synapses (``tau_input``) whose weights give the same
        tuning on average. None: ``"delta_events"`` for spiking neurons,
        ``"nef_currents"`` for the rate model (the dense baseline).
    pes_pre_tau : float or None
        None: PES on the spikes themselves (each spike moves its neuron's
        decoders by :math:`-\kappa\,e`; silent neurons cost nothing) or on
        the instantaneous rates; a time constant (s): on the activities
        filtered with it.
    delta, afferents_per_signal, afferent_rate, tau_input
        Parameters of the input codings (see ``input_coding``).
    seed : int
        Seed of the tuning curves and of the network.
    force : mapping, optional
        Parameters of a :class:`~neurocontrol.agents.force.TactileForceRegulator`
        (ArmPress): its torque is added to the command; its tactile events
        count as SynOps. PES pauses while the pads touch the surface, and the
        adaptive torque acts only through the hand (:meth:`_task_part`).
    """

    #: The spec type of the default neurons (the instance's is :attr:`agent_type`).
    agent_type: ClassVar[str] = "adaptive_spiking"

    def __init__(
        self,
        base: BaseController,
        *,
        neurons: str = "spiking",
        n_neurons: int = 1000,
        learning_rate: float = 5e-3,
        q_radius: float = 0.5,
        dq_radius: float = 2.0,
        max_rates: tuple[float, float] = (200.0, 400.0),
        intercepts: tuple[float, float] | None = None,
        active_fraction: tuple[float, float] | None = None,
        fast_learning_rate: float = 1e-1,
        fast_decay_tau: float = 0.05,
        fast_decay_period: float = 0.01,
        tau_rc: float = 0.02,
        tau_ref: float = 0.002,
        tau_synapse: float | None = 0.02,
        input_coding: str | None = None,
        pes_pre_tau: float | None = None,
        delta: float = 0.01,
        afferents_per_signal: int = 20,
        afferent_rate: float = 500.0,
        tau_input: float = 0.01,
        seed: int = 0,
        force: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(base, BaseController):
            raise ConfigError(
                f"base must be a BaseController (OperationalSpaceController or "
                f"JointPDController), got {type(base).__name__}"
            )
        self.base = base
        self.observation_space = base.observation_space
        self.action_space = base.action_space
        self.neurons = require_in("neurons", neurons, NEURON_MODELS)
        self.agent_type = ADAPTIVE_TYPES[self.neurons]  # type: ignore[misc]
        self.n_neurons = require_int("n_neurons", n_neurons, minimum=1)
        self.learning_rate = require_nonnegative("learning_rate", learning_rate)
        self.q_radius = require_positive("q_radius", q_radius)
        self.dq_radius = require_positive("dq_radius", dq_radius)
        self.seed = require_int("seed", seed, minimum=0)
        self.fast_learning_rate = require_nonnegative("fast_learning_rate", fast_learning_rate)
        self.fast_decay_tau = require_positive("fast_decay_tau", fast_decay_tau)
        self.fast_decay_period = require_positive("fast_decay_period", fast_decay_period)
        if intercepts is not None and active_fraction is not None:
            raise ConfigError(
                f"give intercepts or active_fraction, not both (got intercepts={intercepts!r}, "
                f"active_fraction={active_fraction!r}); accepted: one of them, or neither for "
                f"active_fraction={ACTIVE_FRACTION}"
            )
        if intercepts is None and active_fraction is None:
            active_fraction = ACTIVE_FRACTION
        self.active_fraction = self._active_fraction(active_fraction)
        if self.active_fraction is not None:
            dims = 2 * base.layout.n_joints  # (q, dq)
            low, high = intercept_for_active_fraction(self.active_fraction[::-1], dims)
            intercepts = (float(low), float(high))
        if input_coding is None:
            input_coding = "delta_events" if self.neurons == "spiking" else "nef_currents"
        self.network_spec = AdaptiveNetworkSpec(
            neurons=self.neurons,
            input_coding=require_in("input_coding", input_coding, INPUT_CODINGS),
            learning_rate=self.learning_rate / self.n_neurons,
            tau_synapse=require_optional_positive("tau_synapse", tau_synapse),
            pes_pre_tau=require_optional_positive("pes_pre_tau", pes_pre_tau),
            delta=require_positive("delta", delta),
            afferents_per_signal=require_int("afferents_per_signal", afferents_per_signal, 2),
            afferent_rate=require_positive("afferent_rate", afferent_rate),
            tau_input=require_positive("tau_input", tau_input),
            fast_learning_rate=self.fast_learning_rate / self.n_neurons,
            fast_decay_tau=self.fast_decay_tau,
            fast_decay_period=self.fast_decay_period,
        )
        n = base.layout.n_joints
        self.n_joints = n
        #: The population's tuning curves (encoders, gains, biases, centre, radius).
        self.tuning = NEFEncoder(
            self.n_neurons,
            2 * n,
            center=np.concatenate([base.robot_model.q_home, np.zeros(n)]),
            radius=[self.q_radius] * n + [self.dq_radius] * n,
            max_rates=max_rates,
            intercepts=intercepts,
            tau_rc=tau_rc,
            tau_ref=tau_ref,
            seed=self.seed,
            dt=base.dt if self.neurons == "spiking" else None,
        )
        self.network = adaptive_network(self.tuning, n, self.network_spec, base.dt)
        self.simulator = Simulator(self.network, dt=base.dt, seed=self.seed)
        if self.network_spec.input_coding == "population_events":
            # the tuning curves' offsets, held (no encoder sets this population's current)
            self.simulator.set_current("hidden", self.tuning.biases)
        self.joint_state = base.state[: 2 * n]  # (q, dq) as the base controller read them
        self.torque = np.zeros(n)  # the commanded total, N·m (before clipping)
        #: The PES error of the last step, :math:`-\tau_{fb}`: PES's third factor, in place.
        self.error = self.simulator.third_factor(RULE)
        # the fast readout learns from the same error (written with it); None without one
        self._fast_error = (
            self.simulator.third_factor(FAST_RULE) if self.fast_learning_rate > 0.0 else None
        )
        self._output = self.simulator.state["torque.value"]  # the learned torque, N·m
        self._step = self.simulator.step
        self._action = np.zeros(n, dtype=np.float32)
        self.force = self._force_regulator(force)
        #: Operations of the last step (SynOps, neuron updates, MACs): the simulator's
        #: counts, plus the tactile events of the force regulator when there is one.
        self.ops: np.ndarray = self.simulator.operations
        if self.force is not None:
            self.ops = np.zeros(3)
        self._commanded = np.zeros(n)  # tau_b + force torque
        self._tau_a_task = np.zeros(n)
        d = base.layout.dim
        # workspace of kernels.task_space_part: low_m, mj, task, low_t, force
        self._task_work = (
            np.zeros((n, n)),
            np.zeros((n, d)),
            np.zeros((d, d)),
            np.zeros((d, d)),
            np.zeros(d),
        )
        self._task_damping = float(getattr(base, "damping", 1e-4))

    @staticmethod
    def _active_fraction(value: Any) -> tuple[float, float] | None:
        if value is None:
            return None
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            low = high = math.nan
        if not (0.0 < low <= high < 1.0):
            raise ConfigError(
                f"active_fraction must be a pair (low, high) with 0 < low <= high < 1 (shares "
                f"of the input ball on which a neuron fires), got {value!r}"
            )
        return low, high

    def _force_regulator(self, force: Mapping[str, Any] | None) -> TactileForceRegulator | None:
        if force is None:
            return None
        if not isinstance(force, Mapping):
            raise ConfigError(f"force must be a mapping of regulator parameters, got {force!r}")
        spaces = getattr(self.observation_space, "spaces", {})
        if "tactile" not in spaces:
            raise ConfigError(
                "force regulation needs the 'tactile' observation of ArmPress; this env's "
                f"observation keys are {sorted(spaces)}"
            )
        params = {"dt": self.base.dt, "seed": self.seed, **force}
        try:
            regulator = TactileForceRegulator(**params)
        except TypeError as exc:
            raise ConfigError(f"force: {exc}") from exc
        regulator.bind(self.n_joints, self.base.layout.dim)
        return regulator

    @classmethod
    def from_env(cls, env: Any, base: BaseController | None = None, **kwargs: Any) -> Any:
        """Build for ``env`` on ``base`` (default: operational-space control of the env with
        its reference-acceleration feedforward)."""
        if base is None:
            base = OperationalSpaceController.from_env(env, feedforward=True)
        return cls(base, **kwargs)

    @property
    def learning(self) -> bool:
        """False while PES is switched off (:meth:`set_learning`); the decoders are kept."""
        return self.simulator.plastic

    @property
    def decoders(self) -> np.ndarray:
        """The learned decoders, ``(n_neurons, n_joints)``, N·m/Hz (a live view of the readout)."""
        return self.simulator.state["readout.weights"]

    # -- the agent ------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """New episode: the base's reference, neurons, synapses and input levels; decoders kept."""
        self.base.reset(seed)
        self.simulator.reset_state()  # (PES's error too)
        if self.force is not None:
            self.force.reset()

    def act(self, obs: Any) -> np.ndarray:
        return self._act_on(obs, self.base.torque(obs))

    def act_on_base(self, obs: Any) -> np.ndarray:
        """Act on the observation and torque already in the base controller.

        For a hybrid whose twins have equal base controllers: the other twin's
        base reading, torque and state are copied into this one's (see
        :class:`~neurocontrol.agents.hybrid.HybridAgent`) instead of being
        computed again.
        """
        return self._act_on(obs, self.base.last_torque)

    def _act_on(self, obs: Any, tau_b: np.ndarray) -> np.ndarray:
        # The base read and checked the whole observation (tactile too) before anything here
        # changed; what can still fail is checked before the first write below, so a refused
        # step leaves the regulator, the network and PES's error as they were.
        contact = False
        if self.force is not None:
            mass, jac = self.base.mass_and_jacobian()
            self._factor_task_space(mass, jac)
        # the error goes straight into PES's third factor (the step checks it is finite), and
        # into the fast readout's, which learns from the same error
        if self._fast_error is None:
            np.negative(self.base.feedback_torque, out=self.error)
        else:
            kernels.negate_into(self.base.feedback_torque, self.error, self._fast_error)
        if self.force is not None:
            tau_f = self.force.update(obs["tactile"], jac)
            tau_b = np.add(tau_b, tau_f, out=self._commanded)
            contact = self.force.in_contact
            if contact:
                # The surface, not a model error, holds the hand off its reference: learning
                # from that feedback would integrate it into an ever harder push (PES pauses).
                self.error[:] = 0.0
                if self._fast_error is not None:
                    self._fast_error[:] = 0.0
        self._step(None, self.joint_state)
        tau_a = self._output
        if self.force is not None:
            self.ops[:] = self.simulator.operations
            self.ops[OPS_SYNOPS] += self.force.n_events
            if contact:
                # The decoders are evaluated at states they never learned (the arm at rest on
                # the surface): in the null space of the hand task no loop but the weak
                # posture task would oppose that torque, and the arm drifts.
                tau_a = self._task_part(tau_a, jac)
        kernels.add_and_clip_action(
            tau_a, tau_b, self.base.inverse_torque_limit, self.torque, self._action
        )
        return self._action.copy()

    def _factor_task_space(self, mass: np.ndarray, jac: np.ndarray) -> None:
        """Factor M and the task matrix for :meth:`_task_part`; SimulationError if singular."""
        if not kernels.task_space_factors(mass, jac, self._task_damping, *self._task_work[:4]):
            raise SimulationError(
                f"{type(self).__name__}: M or J M^-1 J^T + damping I is not positive "
                f"definite at q = {self.base.q.tolist()}"
            )

    def _task_part(self, tau_a: np.ndarray, jac: np.ndarray) -> np.ndarray:
        r"""The part of ``tau_a`` that acts on the hand: :math:`J^\top \Lambda J M^{-1} \tau_a`.

        Dynamically consistent (Khatib 1987): what is left, :math:`N^\top \tau_a`,
        moves the redundant arm in the null space of the hand task and puts
        no force on the hand. Uses the factors of :meth:`_factor_task_space`.
        """
        _, mj, _, low_t, force = self._task_work
        kernels.task_space_project(jac, mj, low_t, tau_a, force, self._tau_a_task)
        return self._tau_a_task

    def set_learning(self, enabled: bool) -> None:
        """Switch PES off (False) or back on at ``learning_rate``.

        Off, the error no longer changes the decoders: the slow readout's stay
        as they are, a fast readout's keep decaying (``fast_decay_tau``).
        """
        self.simulator.set_plasticity(bool(enabled))

    # -- checkpoint -----------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        tuning, network = self.tuning, self.network_spec
        return {
            "type": self.agent_type,
            "base": self.base.spec(),
            "n_neurons": self.n_neurons,
            "learning_rate": self.learning_rate,
            "q_radius": self.q_radius,
            "dq_radius": self.dq_radius,
            "max_rates": list(tuning.max_rates),
            # the intercepts follow from active_fraction when it is given
            "intercepts": None if self.active_fraction is not None else list(tuning.intercepts),
            "active_fraction": None if self.active_fraction is None else list(self.active_fraction),
            "fast_learning_rate": self.fast_learning_rate,
            "fast_decay_tau": self.fast_decay_tau,
            "fast_decay_period": self.fast_decay_period,
            "tau_rc": tuning.tau_rc,
            "tau_ref": tuning.tau_ref,
            "tau_synapse": network.tau_synapse,
            "input_coding": network.input_coding,
            "pes_pre_tau": network.pes_pre_tau,
            "delta": network.delta,
            "afferents_per_signal": network.afferents_per_signal,
            "afferent_rate": network.afferent_rate,
            "tau_input": network.tau_input,
            "seed": self.seed,
            "force": None if self.force is None else self.force.config(),
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        return {}  # the base, the network and the force regulator hold it all

    def state_parts(self) -> dict[str, Stateful]:
        parts: dict[str, Stateful] = {"base": self.base, "snn": self.simulator}
        if self.force is not None:
            parts["force"] = self.force
        return parts
