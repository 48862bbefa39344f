r"""What the spiking adaptive controller and its rate twin share (DeWolf et al. 2016).

A base controller (joint PD or operational-space control on the nominal
model) computes :math:`\tau_b = \tau_{fb} + g(q)`, a feedback torque plus
nominal gravity compensation; a population of LIF neurons encodes the joint
state :math:`(q, \dot q)` with NEF tuning curves; its activities :math:`a`
times decoders :math:`D` give an extra torque, and

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
:math:`\kappa` is in 1/(Hz·s) per unit of error: with activities in Hz and
torques in N·m, :math:`D` is in N·m/Hz and one step changes it by
:math:`\kappa\,dt\,a\,\tau_{fb}` (no division by the
number of neurons, unlike Nengo's PES).

Subclasses supply the activities: filtered spikes of a simulated LIF
population (:class:`~neurocontrol.agents.spiking.AdaptiveSpikingController`)
or LIF rates (:class:`~neurocontrol.agents.dense.AdaptiveRateController`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from neurocontrol.agents.base import Agent
from neurocontrol.agents.force import TactileForceRegulator
from neurocontrol.agents.persistence import Persistent
from neurocontrol.encoding import NEFEncoder
from neurocontrol.errors import ConfigError, SimulationError
from neurocontrol.kernels import control as kernels
from neurocontrol.kernels.pes import pes_decoder_update
from neurocontrol.statedict import Stateful
from neurocontrol.validation import require_int, require_nonnegative, require_positive

if TYPE_CHECKING:
    from neurocontrol.agents.dense import BaseController

__all__ = ["OPS_MACS", "OPS_NEURON_UPDATES", "OPS_SYNOPS", "AdaptiveController"]

#: Indices of :attr:`AdaptiveController.ops` (operations of the last step).
OPS_SYNOPS, OPS_NEURON_UPDATES, OPS_MACS = 0, 1, 2


class AdaptiveController(Persistent, Agent):
    r"""A base controller plus a PES-trained torque on NEF-encoded :math:`(q, \dot q)`.

    Parameters
    ----------
    base : BaseController
        Computes :math:`\tau_b`; its feedback part is the training signal.
    n_neurons : int
        Size of the population.
    learning_rate : float
        :math:`\kappa` in 1/(Hz·s) (see the module docstring); 0 freezes the decoders.
    q_radius, dq_radius : float
        Joint angles are encoded relative to the home posture, normalised by
        ``q_radius`` (rad); joint velocities by ``dq_radius`` (rad/s).
    max_rates, intercepts : (low, high)
        Ranges of the LIF tuning curves (Hz; normalised input), see
        :class:`~neurocontrol.encoding.NEFEncoder`.
    tau_rc, tau_ref : float
        LIF membrane and refractory time constants (s).
    seed : int
        Seed of the encoders (and of the network, for the spiking controller).
    force : mapping, optional
        Parameters of a :class:`~neurocontrol.agents.force.TactileForceRegulator`
        (ArmPress): its torque is added to the command; its tactile events
        count as SynOps. PES pauses while the pads touch the surface, and the
        adaptive torque acts only through the hand (:meth:`_task_part`).
    """

    def __init__(
        self,
        base: BaseController,
        *,
        n_neurons: int = 1000,
        learning_rate: float = 1e-5,
        q_radius: float = 1.0,
        dq_radius: float = 2.0,
        max_rates: tuple[float, float] = (200.0, 400.0),
        intercepts: tuple[float, float] = (-1.0, 0.9),
        tau_rc: float = 0.02,
        tau_ref: float = 0.002,
        seed: int = 0,
        force: Mapping[str, Any] | None = None,
    ) -> None:
        from neurocontrol.agents.dense import BaseController

        if not isinstance(base, BaseController):
            raise ConfigError(
                f"base must be a BaseController (OperationalSpaceController or "
                f"JointPDController), got {type(base).__name__}"
            )
        self.base = base
        self.observation_space = base.observation_space
        self.action_space = base.action_space
        self.n_neurons = require_int("n_neurons", n_neurons, minimum=1)
        self.learning_rate = require_nonnegative("learning_rate", learning_rate)
        self.q_radius = require_positive("q_radius", q_radius)
        self.dq_radius = require_positive("dq_radius", dq_radius)
        self.seed = require_int("seed", seed, minimum=0)
        n = base.layout.n_joints
        self.n_joints = n
        self.encoder = NEFEncoder(
            self.n_neurons,
            2 * n,
            center=np.concatenate([base.robot_model.q_home, np.zeros(n)]),
            radius=[self.q_radius] * n + [self.dq_radius] * n,
            max_rates=max_rates,
            intercepts=intercepts,
            tau_rc=tau_rc,
            tau_ref=tau_ref,
            seed=self.seed,
            dt=self._tuning_dt(base),
        )
        #: False while PES is switched off (:meth:`set_learning`); the decoders are kept.
        self.learning = True
        self.rate_dt = self.learning_rate * base.dt
        self.joint_state = base.state[: 2 * n]  # (q, dq) as the base controller read them
        self.torque = np.zeros(n)  # the commanded total, N·m (before clipping)
        self.error = np.zeros(n)  # the PES error, -tau_fb
        #: Operations of the last act + observe: SynOps, neuron updates, MACs.
        self.ops = np.zeros(3)
        self.n_active = 0  # neurons with nonzero activity in the last step
        self._action = np.zeros(n, dtype=np.float32)
        self.force = self._force_regulator(force)
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

    # -- the part subclasses supply -----------------------------------------------
    def _tuning_dt(self, base: BaseController) -> float | None:
        """Step of the simulated neurons the tuning is solved for; None: continuous rates."""
        return None

    @classmethod
    def from_env(cls, env: Any, base: BaseController | None = None, **kwargs: Any) -> Any:
        """Build for ``env`` on ``base`` (default: operational-space control of the env)."""
        from neurocontrol.agents.dense import OperationalSpaceController

        return cls(OperationalSpaceController.from_env(env) if base is None else base, **kwargs)

    @property
    def decoders(self) -> np.ndarray:
        """The learned decoder matrix, ``(n_neurons, n_joints)``, N·m/Hz (updated in place)."""
        return self.decoder.decoders

    @property
    @abc.abstractmethod
    def activities(self) -> np.ndarray:
        """The activities (Hz) of the last step, what PES multiplies with the error."""

    @abc.abstractmethod
    def _adapt(self) -> np.ndarray:
        """Activities for :attr:`joint_state`, then the decoded torque (N·m); counts ops."""

    # -- the agent ------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Start an episode: the base controller's reference and the neuron state are cleared."""
        self.base.reset(seed)
        self.error[:] = 0.0
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
        tau_a = self._adapt()
        np.negative(self.base.feedback_torque, out=self.error)
        if self.force is not None:
            mass, jac = self.base.mass_and_jacobian()
            tau_f = self.force.update(obs["tactile"], jac)
            self.ops[OPS_SYNOPS] += self.force.n_events
            tau_b = np.add(tau_b, tau_f, out=self._commanded)
            if self.force.in_contact:
                # The surface, not a model error, holds the hand off its reference: learning
                # from that feedback would integrate it into an ever harder push (PES pauses).
                self.error[:] = 0.0
                # The paused decoders are evaluated at states they never learned (the arm
                # at rest on the surface): in the null space of the hand task no loop but
                # the weak posture task would oppose that torque, and the arm drifts.
                tau_a = self._task_part(tau_a, mass, jac)
        kernels.add_and_clip_action(
            tau_a, tau_b, self.base.inverse_torque_limit, self.torque, self._action
        )
        return self._action.copy()

    def _task_part(self, tau_a: np.ndarray, mass: np.ndarray, jac: np.ndarray) -> np.ndarray:
        r"""The part of ``tau_a`` that acts on the hand: :math:`J^\top \Lambda J M^{-1} \tau_a`.

        Dynamically consistent (Khatib 1987): what is left, :math:`N^\top \tau_a`,
        moves the redundant arm in the null space of the hand task and puts
        no force on the hand.
        """
        if not kernels.task_space_part(
            mass, jac, self._task_damping, tau_a, *self._task_work, self._tau_a_task
        ):
            raise SimulationError(
                f"{type(self).__name__}: M or J M^-1 J^T + damping I is not positive "
                f"definite at q = {self.base.q.tolist()}"
            )
        return self._tau_a_task

    def observe(
        self, reward: float, terminated: bool, truncated: bool, info: Mapping[str, Any]
    ) -> None:
        """Apply PES with the activities and the base torque of the last :meth:`act`."""
        if self.rate_dt > 0.0:
            pes_decoder_update(self.decoders, self.activities, self.error, self.rate_dt)
            # kappa dt e_j once per output, then a_k (kappa dt e_j) into D_kj per active neuron
            self._count_learning(self.n_joints + self.n_active * self.n_joints)
        self.error[:] = 0.0  # one update per act

    def set_learning(self, enabled: bool) -> None:
        """Switch PES off (False: the decoders stay as they are) or back on at ``learning_rate``."""
        self.learning = bool(enabled)
        self.rate_dt = self.learning_rate * self.base.dt if self.learning else 0.0

    def _count_learning(self, updates: int) -> None:
        """Add the weight updates of PES to :attr:`ops` (spiking: SynOps, rate: MACs)."""
        self.ops[OPS_MACS] += updates

    # -- checkpoint -----------------------------------------------------------------
    def _adaptive_spec(self) -> dict[str, Any]:
        encoder = self.encoder
        force = None if self.force is None else self.force.config()
        return {
            "force": force,
            "type": self.agent_type,
            "base": self.base.spec(),
            "n_neurons": self.n_neurons,
            "learning_rate": self.learning_rate,
            "q_radius": self.q_radius,
            "dq_radius": self.dq_radius,
            "max_rates": list(encoder.max_rates),
            "intercepts": list(encoder.intercepts),
            "tau_rc": encoder.tau_rc,
            "tau_ref": encoder.tau_ref,
            "seed": self.seed,
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        return {"decoders": self.decoders, "error": self.error}

    def state_parts(self) -> dict[str, Stateful]:
        parts: dict[str, Stateful] = {"base": self.base}
        if self.force is not None:
            parts["force"] = self.force
        return parts
