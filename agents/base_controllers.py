"""The base controllers: model-based torque control of an arm env.

They use the env's *nominal* robot model
(``env.unwrapped.robot_model``): its gravity, mass matrix and Jacobian stay
at the nominal values when a perturbation changes the real arm, which is
exactly the model error an adaptive controller has to learn.

- :class:`JointPDController`: joint-space PD toward a joint reference that
  follows the env's Cartesian reference by closed-loop inverse kinematics,
  plus nominal gravity compensation.
- :class:`OperationalSpaceController`: Khatib's operational-space control,
  with a joint-space posture task in the null space for redundant arms.

The control laws run in compiled kernels (:mod:`neurocontrol.core.kernels.control.laws`)
on preallocated arrays: through NumPy each small 7x7 product or solve costs
microseconds of call overhead.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, cast

import gymnasium as gym
import numpy as np

from neurocontrol.agents.agent import Agent, control_period
from neurocontrol.agents.observation import ARM_KEYS, ArmLayout, ObservationGuard
from neurocontrol.agents.persistence import Persistent
from neurocontrol.core.kernels.control import laws as kernels
from neurocontrol.errors import ConfigError, SimulationError
from neurocontrol.utils.validation import require_nonnegative, require_positive

__all__ = ["BaseController", "JointPDController", "OperationalSpaceController"]


class BaseController(Persistent, Agent):
    """A model-based torque controller for an arm env.

    Subclasses implement :meth:`torque` (N·m); :meth:`act` scales it to the
    env's normalised action and clips to [-1, 1]. The last unclipped torque is
    kept in :attr:`last_torque`, and the same without the nominal gravity
    term in :attr:`feedback_torque`: what the controller adds because the arm
    is off its reference, the training signal of the adaptive controllers
    (DeWolf et al. 2016). Gravity compensation is a model-based feedforward
    that is there even when tracking is perfect; learning it too would make
    the learned torque add a second g(q), balanced only by a tracking error.

    Parameters
    ----------
    observation_space, action_space
        The env's spaces.
    robot_model
        The env's nominal model (``env.unwrapped.robot_model``).
    dt
        Control period (s).
    gravity_compensation
        Add the nominal g(q). Turn off when the env compensates gravity itself
        (``gravity_compensation=True`` on the env).
    """

    def __init__(
        self,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Box,
        robot_model: Any,
        dt: float = 1e-3,
        gravity_compensation: bool = True,
    ) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.layout = ArmLayout.from_space(observation_space)
        self.guard = ObservationGuard(observation_space, type(self).__name__, kernel_keys=ARM_KEYS)
        # the accepted range of proprio, ee and goal, which read()'s kernel scans as it copies
        self._obs_bounds = np.stack(self.guard.bounds(ARM_KEYS))
        self.robot_model = robot_model
        if robot_model.n_joints != self.layout.n_joints or robot_model.dim != self.layout.dim:
            raise ConfigError(
                f"robot model has {robot_model.n_joints} joints in {robot_model.dim}-D but the "
                f"observation has {self.layout.n_joints} joints in {self.layout.dim}-D"
            )
        if action_space.shape != (self.layout.n_joints,):
            raise ConfigError(
                f"action space shape {action_space.shape} does not match "
                f"{self.layout.n_joints} joints"
            )
        self.dt = require_positive("dt", dt)
        self.gravity_compensation = bool(gravity_compensation)
        self.torque_limit = np.asarray(robot_model.torque_limit, dtype=np.float64)
        self.inverse_torque_limit = 1.0 / self.torque_limit
        n, d = self.layout.n_joints, self.layout.dim
        self.last_torque = np.zeros(n)
        self.feedback_torque = np.zeros(n)
        # float64 copies of q, dq, x, dx, x_ref, dx_ref (kernels.unpack_arm_observation)
        self.state = np.zeros(2 * n + 4 * d)
        self.q = self.state[:n]
        self.dq = self.state[n : 2 * n]
        self._action = np.zeros(n, dtype=np.float32)

    def mass_and_jacobian(self) -> tuple[np.ndarray, np.ndarray]:
        """Nominal :math:`M(q)` and hand Jacobian :math:`J(q)` at the last read ``q``.

        Read-only; valid until the next :meth:`torque` (the operational-space
        controller returns the arrays its last torque used, no new model call).
        """
        return self.robot_model.mass_matrix(self.q), self.robot_model.jacobian(self.q)

    @classmethod
    def from_env(cls, env: gym.Env, **kwargs: Any) -> BaseController:
        """Build for ``env``, taking spaces, nominal model and control period from it."""
        unwrapped = env.unwrapped
        kwargs.setdefault("dt", control_period(env))
        if getattr(unwrapped, "gravity_compensation", False):
            kwargs.setdefault("gravity_compensation", False)
        action_space = cast(gym.spaces.Box, env.action_space)
        return cls(env.observation_space, action_space, cast(Any, unwrapped).robot_model, **kwargs)

    def read(self, obs: Any) -> None:
        """Check ``obs`` and copy its arm signals into :attr:`state` (float64).

        The whole observation is checked (every key, see
        :class:`~neurocontrol.agents.observation.ObservationGuard`) before
        anything is written: a refused observation leaves the controller as
        it was, and an agent that reads through it may change its own state
        after this call without checking again.
        """
        self.guard.check(obs)
        if not kernels.unpack_arm_observation(
            obs["proprio"], obs["ee"], obs["goal"], self._obs_bounds, self.state
        ):
            raise self.guard.refusal(obs)

    @abc.abstractmethod
    def torque(self, obs: Any) -> np.ndarray:
        """The controller's torque command (N·m) for ``obs``; written into :attr:`last_torque`."""

    def act(self, obs: Any) -> np.ndarray:
        tau = self.torque(obs)
        kernels.clip_action(tau, self.inverse_torque_limit, self._action)
        return self._action.copy()

    def _singular(self, what: str) -> SimulationError:
        return SimulationError(
            f"{type(self).__name__}: {what} is not positive definite at q = {self.q.tolist()} "
            "(a singular posture with damping 0?)"
        )

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.agent_type,
            **self._gain_spec(),
            "dt": self.dt,
            "gravity_compensation": self.gravity_compensation,
        }

    @abc.abstractmethod
    def _gain_spec(self) -> dict[str, Any]:
        """The controller's own constructor parameters as plain data."""

    def state_targets(self) -> dict[str, np.ndarray]:
        return {"last_torque": self.last_torque, "feedback_torque": self.feedback_torque}


class OperationalSpaceController(BaseController):
    r"""Operational-space control of the hand position (Khatib 1987).

    .. math::

        \tau = J^T \Lambda \left(k_p (x_{ref} - x) + k_d (\dot x_{ref} - \dot x)\right)
               + g(q) + N^T M \left(k_{p,0} (q_0 - q) - k_{d,0} \dot q\right),

        \Lambda = (J M^{-1} J^T + \lambda I)^{-1}, \quad
        N^T = I - J^T \Lambda J M^{-1}

    with the nominal :math:`M(q)`, :math:`J(q)`, :math:`g(q)`; :math:`\lambda`
    damps the inversion near singularities. For a non-redundant arm
    (n = d) the null-space term vanishes.

    Parameters
    ----------
    kp, kd
        Task-space stiffness (1/s^2) and damping (1/s); ``kd`` defaults to
        critical damping, :math:`2\sqrt{k_p}`.
    kp_null, kd_null
        Posture gains (1/s^2, 1/s) toward the robot's home posture.
    damping
        :math:`\lambda` of the damped inverse.
    feedforward
        Add the nominal model's reference-acceleration torque
        :math:`J^T \Lambda \ddot x_{ref}` (:math:`\ddot x_{ref}` the step's
        difference of the reference velocity, zero on an episode's first
        step). Without it the hand lags a moving reference by what the
        feedback needs to accelerate it, a torque that depends on the
        reference's acceleration, which the arm's state does not tell. Not
        part of :attr:`feedback_torque`: a feedforward of the model.
    """

    agent_type: ClassVar[str] = "osc"

    def __init__(
        self,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Box,
        robot_model: Any,
        kp: float = 200.0,
        kd: float | None = None,
        kp_null: float = 10.0,
        kd_null: float | None = None,
        damping: float = 1e-4,
        feedforward: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(observation_space, action_space, robot_model, **kwargs)
        self.kp = require_positive("kp", kp)
        self.kd = require_nonnegative("kd", 2.0 * np.sqrt(kp) if kd is None else kd)
        self.kp_null = require_nonnegative("kp_null", kp_null)
        self.kd_null = require_nonnegative(
            "kd_null", 2.0 * np.sqrt(kp_null) if kd_null is None else kd_null
        )
        self.damping = require_nonnegative("damping", damping)
        self.q_home = np.asarray(robot_model.q_home, dtype=np.float64)
        n, d = self.layout.n_joints, self.layout.dim
        if not isinstance(feedforward, (bool, np.bool_)):
            raise ConfigError(f"feedforward must be true or false, got {feedforward!r}")
        self.feedforward = bool(feedforward)
        gravity_on = 1.0 if self.gravity_compensation else 0.0
        feedforward_on = 1.0 if self.feedforward else 0.0
        self._gains = np.array(
            [
                *(self.kp, self.kd, self.kp_null, self.kd_null, self.damping),
                *(gravity_on, feedforward_on, self.dt),
            ]
        )
        self._no_gravity = np.zeros(n)
        self._batched = callable(getattr(robot_model, "dynamics", None))
        self._low_m = np.zeros((n, n))
        self._mj = np.zeros((n, d))
        self._task = np.zeros((d, d))
        self._low_t = np.zeros((d, d))
        self._force = np.zeros(d)
        self._posture = np.zeros((2, n))
        self._mass_jacobian: tuple[np.ndarray, np.ndarray] | None = None
        self.dx_ref_before = np.zeros(d)  # the reference velocity of the last step
        self.started = np.zeros(1, dtype=np.uint8)  # dx_ref_before holds this episode's

    def mass_and_jacobian(self) -> tuple[np.ndarray, np.ndarray]:
        if self._mass_jacobian is None:
            return super().mass_and_jacobian()
        return self._mass_jacobian

    def torque(self, obs: Any) -> np.ndarray:
        self.read(obs)
        model = self.robot_model
        q = self.q
        if self._batched:  # one call into the model (one PyBullet round for the Panda)
            mass, jac, gravity = model.dynamics(q)
        else:
            mass, jac = model.mass_matrix(q), model.jacobian(q)
            gravity = model.gravity(q) if self.gravity_compensation else self._no_gravity
        # on failure the kernel has written nothing but its workspace
        if not kernels.operational_space_torque(
            mass, jac, gravity, self.state, self.q_home,
            self._gains, self._low_m, self._mj, self._task, self._low_t, self._force,
            self._posture, self.dx_ref_before, self.started, self.feedback_torque,
            self.last_torque,
        ):  # fmt: skip
            raise self._singular("M or J M^-1 J^T + damping I")
        self._mass_jacobian = (mass, jac)
        return self.last_torque

    def reset(self, seed: int | None = None) -> None:
        self.started[0] = 0

    def _gain_spec(self) -> dict[str, Any]:
        return {
            "kp": self.kp,
            "kd": self.kd,
            "kp_null": self.kp_null,
            "kd_null": self.kd_null,
            "damping": self.damping,
            "feedforward": self.feedforward,
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        if not self.feedforward:  # the state of a controller without it, as before
            return super().state_targets()
        return {
            **super().state_targets(),
            "dx_ref_before": self.dx_ref_before,
            "started": self.started,
        }


class JointPDController(BaseController):
    r"""Joint-space PD with nominal gravity compensation, tracking the hand reference.

    The joint reference :math:`q_r` follows the env's Cartesian reference by
    closed-loop inverse kinematics (damped least squares),

    .. math::

        \dot q_r = J(q_r)^T \left(J J^T + \lambda I\right)^{-1}
                   \left(\dot x_{ref} + k_{ik} (x_{ref} - f(q_r))\right), \qquad
        \tau = K_p (q_r - q) + K_d (\dot q_r - \dot q) + g(q).

    It starts from the measured posture at the first step of an episode.

    Parameters
    ----------
    kp, kd
        Joint stiffness (N·m/rad) and damping (N·m·s/rad), scalars or per joint.
    k_ik
        Gain of the inverse-kinematics error feedback (1/s).
    damping
        :math:`\lambda` of the damped least squares.
    """

    agent_type: ClassVar[str] = "joint_pd"

    def __init__(
        self,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Box,
        robot_model: Any,
        kp: float | np.ndarray = 60.0,
        kd: float | np.ndarray = 6.0,
        k_ik: float = 50.0,
        damping: float = 1e-4,
        **kwargs: Any,
    ) -> None:
        super().__init__(observation_space, action_space, robot_model, **kwargs)
        n = self.layout.n_joints
        self.kp = self._per_joint("kp", kp, n)
        self.kd = self._per_joint("kd", kd, n)
        self.k_ik = require_nonnegative("k_ik", k_ik)
        self.damping = require_nonnegative("damping", damping)
        self.q_ref = np.zeros(n)
        self.dq_ref = np.zeros(n)
        self.started = np.zeros(1, dtype=np.uint8)  # q_ref initialised this episode
        self._q_ref_before = np.zeros(n)
        d = self.layout.dim
        gravity_on = 1.0 if self.gravity_compensation else 0.0
        self._gains = np.array([self.k_ik, self.damping, gravity_on])
        self._no_gravity = np.zeros(n)
        self._task = np.zeros((d, d))
        self._low_t = np.zeros((d, d))
        self._velocity = np.zeros(d)

    @staticmethod
    def _per_joint(name: str, value: float | np.ndarray, n: int) -> np.ndarray:
        gains = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
        for k, gain in enumerate(gains):
            require_nonnegative(f"{name}[{k}]", float(gain))
        return gains

    def reset(self, seed: int | None = None) -> None:
        self.started[0] = 0

    def torque(self, obs: Any) -> np.ndarray:
        self.read(obs)
        first = not self.started[0]
        if first:  # the reference starts at the measured posture (kept if the step fails)
            self._q_ref_before[:] = self.q_ref
            self.q_ref[:] = self.q
        model = self.robot_model
        gravity = model.gravity(self.q) if self.gravity_compensation else self._no_gravity
        # on failure the kernel has written nothing but its workspace
        if not kernels.joint_pd_torque(
            model.jacobian(self.q_ref), model.hand_position(self.q_ref), gravity, self.state,
            self._gains, self.kp, self.kd, self.dt, self.q_ref, self.dq_ref, self._task,
            self._low_t, self._velocity, self.feedback_torque, self.last_torque,
        ):  # fmt: skip
            if first:
                self.q_ref[:] = self._q_ref_before
            raise self._singular("J J^T + damping I")
        self.started[0] = 1
        return self.last_torque

    def _gain_spec(self) -> dict[str, Any]:
        return {
            "kp": self.kp.tolist(),
            "kd": self.kd.tolist(),
            "k_ik": self.k_ik,
            "damping": self.damping,
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        return {
            **super().state_targets(),
            "q_ref": self.q_ref,
            "dq_ref": self.dq_ref,
            "started": self.started,
        }
