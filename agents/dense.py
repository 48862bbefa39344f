"""Dense (non-spiking) controllers: the base controllers the adaptive ones build on.

Both use the env's *nominal* robot model (``env.unwrapped.robot_model``):
its gravity, mass matrix and Jacobian stay at the nominal values when a
perturbation changes the real arm, which is exactly the model error an
adaptive controller has to learn.

- :class:`JointPDController`: joint-space PD toward a joint reference that
  follows the env's Cartesian reference by closed-loop inverse kinematics,
  plus nominal gravity compensation.
- :class:`OperationalSpaceController`: Khatib's operational-space control,
  with a joint-space posture task in the null space for redundant arms.
"""

from __future__ import annotations

import abc
from typing import Any

import gymnasium as gym
import numpy as np

from neurocontrol.agents.base import Agent, check_observation, control_period
from neurocontrol.agents.observation import ArmLayout
from neurocontrol.errors import ConfigError
from neurocontrol.validation import require_nonnegative, require_positive

__all__ = ["BaseController", "JointPDController", "OperationalSpaceController"]


class BaseController(Agent):
    """A model-based torque controller for an arm env.

    Subclasses implement :meth:`torque` (N·m); :meth:`act` scales it to the
    env's normalised action and clips to [-1, 1]. The last unclipped torque is
    kept in :attr:`last_torque`: it is the training signal of the adaptive
    controllers (DeWolf et al. 2016).

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
        self.last_torque = np.zeros(self.layout.n_joints)
        self._normalised = np.zeros(self.layout.n_joints)

    @classmethod
    def from_env(cls, env: gym.Env, **kwargs: Any) -> BaseController:
        """Build for ``env``, taking spaces, nominal model and control period from it."""
        unwrapped = env.unwrapped
        kwargs.setdefault("dt", control_period(env))
        if getattr(unwrapped, "gravity_compensation", False):
            kwargs.setdefault("gravity_compensation", False)
        return cls(env.observation_space, env.action_space, unwrapped.robot_model, **kwargs)

    @abc.abstractmethod
    def torque(self, obs: Any) -> np.ndarray:
        """The controller's torque command (N·m) for ``obs``; written into :attr:`last_torque`."""

    def act(self, obs: Any) -> np.ndarray:
        check_observation(obs, self.observation_space, type(self).__name__)
        tau = self.torque(obs)
        np.divide(tau, self.torque_limit, out=self._normalised)
        np.clip(self._normalised, -1.0, 1.0, out=self._normalised)
        return self._normalised.astype(np.float32)


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
    """

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
        self._eye_task = np.eye(self.layout.dim)
        self._eye_joint = np.eye(self.layout.n_joints)

    def torque(self, obs: Any) -> np.ndarray:
        q, dq, x, dx, x_ref, dx_ref = self.layout.split(obs)
        q = q.astype(np.float64)
        dq = dq.astype(np.float64)
        model = self.robot_model
        mass = model.mass_matrix(q)
        jac = model.jacobian(q)
        mass_inv_jt = np.linalg.solve(mass, jac.T)  # M^-1 J^T
        task_inertia = np.linalg.inv(jac @ mass_inv_jt + self.damping * self._eye_task)
        accel = self.kp * (x_ref - x) + self.kd * (dx_ref - dx)
        tau = jac.T @ (task_inertia @ accel)
        if self.layout.n_joints > self.layout.dim:
            posture = mass @ (self.kp_null * (self.q_home - q) - self.kd_null * dq)
            null_t = self._eye_joint - jac.T @ (task_inertia @ mass_inv_jt.T)
            tau += null_t @ posture
        if self.gravity_compensation:
            tau += model.gravity(q)
        self.last_torque[:] = tau
        return self.last_torque


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
        self._started = False
        self._eye_task = np.eye(self.layout.dim)

    @staticmethod
    def _per_joint(name: str, value: float | np.ndarray, n: int) -> np.ndarray:
        gains = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
        for k, gain in enumerate(gains):
            require_nonnegative(f"{name}[{k}]", float(gain))
        return gains

    def reset(self, seed: int | None = None) -> None:
        self._started = False

    def torque(self, obs: Any) -> np.ndarray:
        q, dq, _x, _dx, x_ref, dx_ref = self.layout.split(obs)
        q = q.astype(np.float64)
        if not self._started:
            self.q_ref[:] = q
            self._started = True
        model = self.robot_model
        jac = model.jacobian(self.q_ref)
        task_velocity = dx_ref + self.k_ik * (x_ref - model.hand_position(self.q_ref))
        self.dq_ref[:] = jac.T @ np.linalg.solve(
            jac @ jac.T + self.damping * self._eye_task, task_velocity
        )
        self.q_ref += self.dq_ref * self.dt
        tau = self.kp * (self.q_ref - q) + self.kd * (self.dq_ref - dq)
        if self.gravity_compensation:
            tau += model.gravity(q)
        self.last_torque[:] = tau
        return self.last_torque
