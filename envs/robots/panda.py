"""Franka Emika Panda (``pybullet_data/franka_panda/panda.urdf``) under torque control.

Seven actuated revolute joints; the two finger joints are held at a fixed
opening by position motors set once at build time and are not part of the
action. The hand point is the ``panda_grasptarget`` frame between the
fingertips. Link inertias are PyBullet's default for this URDF (computed
from the collision meshes); the nominal model loads the URDF the same way.

:class:`PandaModel` is the nominal model a model-based controller uses: the
robot as built, never as perturbed. It is a separate body on a private
client, not the simulated one, because perturbations change the simulated
body (a payload is ``changeDynamics`` of the hand's mass) and a controller
must not be told about them by its model. Reading the simulated body would
not even give the perturbed dynamics consistently: ``getDynamicsInfo``
reports a change at once, but PyBullet's ``calculateMassMatrix`` and
``calculateInverseDynamics`` build their own tree of the body at their
first call, cache it, and ignore every later ``changeDynamics``.

The model reads the private body's parameters once, at construction, and
evaluates M(q), J(q) and g(q) with compiled rigid-body algorithms
(:mod:`neurocontrol.core.kernels.control.rigid_body`) at a fraction of the cost of
PyBullet's three functions, which stay the reference: the tests hold the
two equal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pybullet
import pybullet_data
from pybullet_utils.bullet_client import BulletClient

from neurocontrol.envs.robots.base import TorqueArm
from neurocontrol.envs.robots.rigid_body import read_serial_chain
from neurocontrol.envs.sim import BulletSim, DirectBulletClient
from neurocontrol.errors import ConfigError, ShapeError

__all__ = [
    "PANDA_ARM_JOINTS",
    "PANDA_FINGER_JOINTS",
    "PANDA_FINGER_LINKS",
    "PANDA_HAND_LINK",
    "PANDA_Q_HOME",
    "PANDA_TORQUE_LIMIT",
    "Panda",
    "PandaModel",
]

PANDA_URDF = "franka_panda/panda.urdf"
GRAVITY = 9.81  # m/s^2, as in every env's world
PANDA_ARM_JOINTS = (0, 1, 2, 3, 4, 5, 6)
PANDA_FINGER_JOINTS = (9, 10)
#: The fingertip links; in ArmPress they carry the tactile pads.
PANDA_FINGER_LINKS = (9, 10)
#: ``panda_grasptarget``: between the fingertips, 0.105 m beyond the hand flange.
PANDA_HAND_LINK = 11
#: Rated peak torques of the Panda (N·m), as in the URDF.
PANDA_TORQUE_LIMIT = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
#: Franka's "ready" pose: hand pointing down, in front of the base.
PANDA_Q_HOME = (0.0, -np.pi / 4, 0.0, -3 * np.pi / 4, 0.0, np.pi / 2, np.pi / 4)
#: Opening of each finger joint (m): a 2 cm gap between the pads.
PANDA_FINGER_OPENING = 0.01
_FLOAT64 = np.dtype(np.float64)  # a singleton: identity tells a float64 array cheaply


def _load_panda(client: BulletClient) -> int:
    client.setAdditionalSearchPath(pybullet_data.getDataPath())
    return int(client.loadURDF(PANDA_URDF, basePosition=[0.0, 0.0, 0.0], useFixedBase=True))


def _outputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mass matrix (7, 7), hand Jacobian (3, 7) and gravity torques (7,), zeroed."""
    return np.zeros((7, 7)), np.zeros((3, 7)), np.zeros(7)


def _joint_limits(client: BulletClient, body: int) -> tuple[np.ndarray, np.ndarray]:
    infos = [client.getJointInfo(body, j) for j in PANDA_ARM_JOINTS]
    return np.array([i[8] for i in infos]), np.array([i[9] for i in infos])


class PandaModel:
    """The Panda's nominal dynamics: compiled on the control path, PyBullet as reference.

    The rigid-body parameters are read once, at construction, from a
    private DIRECT client that loads the URDF as the env does and is never
    touched by perturbations, so the model stays nominal whatever happens to
    the simulated robot (see the module). The finger joints are held at
    :data:`PANDA_FINGER_OPENING`: the fingers move with the hand and their
    mass counts in the last joint's composite inertia.

    On the control path, :meth:`dynamics`, :meth:`mass_matrix`,
    :meth:`jacobian` and :meth:`gravity` evaluate the compiled rigid-body
    algorithms of :mod:`neurocontrol.core.kernels.control.rigid_body` (numba, imported
    at the first call: by a controller, or by an env with
    ``gravity_compensation=True`` at its first step); they equal PyBullet's ``calculateMassMatrix``,
    ``calculateJacobian`` and ``calculateInverseDynamics`` on the private
    client to rounding. :meth:`coriolis` and :meth:`hand_position` stay
    PyBullet's own functions on that client (the operational-space
    controller calls neither; the joint-space PD calls
    :meth:`hand_position` every step).
    """

    dim = 3

    def __init__(self) -> None:
        self._client: BulletClient | None = DirectBulletClient()
        # calculateInverseDynamics takes gravity from the client's world.
        self._client.setGravity(0.0, 0.0, -GRAVITY)
        self._body = _load_panda(self._client)
        self._cid = self._client._client
        self.n_joints = 7
        self.torque_limit = np.array(PANDA_TORQUE_LIMIT, dtype=np.float64)
        self.q_home = np.array(PANDA_Q_HOME, dtype=np.float64)
        self.q_lower, self.q_upper = _joint_limits(self._client, self._body)
        self._zeros = [0.0] * 9
        self._origin = [0.0, 0.0, 0.0]
        self._fingers = [PANDA_FINGER_OPENING, PANDA_FINGER_OPENING]
        self._all_joints = list(PANDA_ARM_JOINTS + PANDA_FINGER_JOINTS)
        self._rest_velocities = [[0.0]] * 9
        self._chain = read_serial_chain(
            self._client,
            self._body,
            PANDA_ARM_JOINTS,
            dict.fromkeys(PANDA_FINGER_JOINTS, PANDA_FINGER_OPENING),
            PANDA_HAND_LINK,
        )
        self._gravity_vector = np.array([0.0, 0.0, -GRAVITY])
        self._kernel: Any = None  # loaded at the first evaluation
        # dynamics() writes into these for the model's lifetime; the single-quantity
        # methods use their own, so they never overwrite what dynamics() returned
        self._owned = _outputs()
        self._scratch = _outputs()
        # the kernel's arguments after q, for each set of outputs (made by _compile)
        self._owned_arguments: tuple[np.ndarray, ...] = ()
        self._scratch_arguments: tuple[np.ndarray, ...] = ()

    def _full(self, q: Sequence[float]) -> list[float]:
        """The 9 joint positions PyBullet expects: ``q`` then the fixed finger opening."""
        if type(q) is np.ndarray:  # the usual caller: one C-level conversion
            full: list[float] = q.tolist()
        else:
            full = list(map(float, q))
        if len(full) != 7:
            raise ShapeError(f"q must hold the 7 Panda joint angles (rad), got {len(full)} values")
        return full + self._fingers

    def _compile(self) -> Any:
        # numba is imported by what evaluates the model (controllers), not by building an env
        from neurocontrol.core.kernels.control.rigid_body import (
            FRAME_COLUMNS,
            pack_bodies,
            serial_chain_dynamics,
        )

        model = (pack_bodies(self._chain), self._chain.point, self._gravity_vector)
        frames = np.zeros((self.n_joints, FRAME_COLUMNS))
        self._owned_arguments = (*model, frames, *self._owned)
        self._scratch_arguments = (*model, frames, *self._scratch)
        self._kernel = serial_chain_dynamics
        return serial_chain_dynamics

    def _evaluate(self, q: Sequence[float], owned: bool) -> None:
        """Write the compiled M, J and g at ``q`` into the owned or the scratch outputs."""
        kernel = self._kernel if self._kernel is not None else self._compile()
        angles = q if type(q) is np.ndarray and q.dtype is _FLOAT64 else np.asarray(q, np.float64)
        if angles.shape != (7,):
            shape = angles.shape
            got = f"{angles.size} values" if len(shape) == 1 else f"an array of shape {shape}"
            raise ShapeError(f"q must hold the 7 Panda joint angles (rad), got {got}")
        bad = kernel(angles, *(self._owned_arguments if owned else self._scratch_arguments))
        if bad >= 0:
            raise ConfigError(f"q must be finite (no NaN or inf), got q[{bad}] = {angles[bad]}")

    def dynamics(self, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mass matrix, hand Jacobian and gravity torques at ``q``, in one call (compiled).

        Equal to ``(mass_matrix(q), jacobian(q), gravity(q))``, written into
        arrays the model owns instead of new ones: the per-step call of the
        operational-space controller.

        Parameters
        ----------
        q : array-like, shape (7,)
            Joint angles (rad).

        Returns
        -------
        mass : ndarray, shape (7, 7)
            Joint-space inertia matrix.
        jacobian : ndarray, shape (3, 7)
            Translational Jacobian of the hand point.
        gravity : ndarray, shape (7,)
            Joint torques that hold the arm still against gravity.

        Raises
        ------
        ShapeError
            If ``q`` does not hold 7 angles.
        ConfigError
            If an angle is NaN or infinite.

        Notes
        -----
        The three arrays are the same objects on every call and are
        overwritten by the next call: copy them to keep values across steps.
        """
        self._evaluate(q, owned=True)
        return self._owned

    def gravity(self, q: Sequence[float]) -> np.ndarray:
        """Joint torques (7,) that hold the arm still against gravity at ``q`` (compiled)."""
        self._evaluate(q, owned=False)
        return self._scratch[2].copy()

    def mass_matrix(self, q: Sequence[float]) -> np.ndarray:
        """Joint-space inertia matrix (7, 7) at ``q`` (compiled)."""
        self._evaluate(q, owned=False)
        return self._scratch[0].copy()

    def jacobian(self, q: Sequence[float]) -> np.ndarray:
        """Translational Jacobian (3, 7) of the hand point at ``q`` (compiled)."""
        self._evaluate(q, owned=False)
        return self._scratch[1].copy()

    def _bullet_gravity(self, full: list[float]) -> np.ndarray:
        tau = pybullet.calculateInverseDynamics(
            self._body, full, self._zeros, self._zeros, physicsClientId=self._cid
        )
        return np.array(tau[:7])

    def coriolis(self, q: Sequence[float], dq: Sequence[float]) -> np.ndarray:
        """Coriolis and centrifugal torques (7,) at ``(q, dq)`` (PyBullet's inverse dynamics)."""
        full_q = self._full(q)
        tau = pybullet.calculateInverseDynamics(
            self._body,
            full_q,
            [float(v) for v in dq] + [0.0, 0.0],
            self._zeros,
            physicsClientId=self._cid,
        )
        return np.array(tau[:7]) - self._bullet_gravity(full_q)

    def hand_position(self, q: Sequence[float]) -> np.ndarray:
        """Hand point (3,) in the world frame at ``q`` (a new array; PyBullet's kinematics)."""
        # forward kinematics of the private body: one batched reset, one link query
        pybullet.resetJointStatesMultiDof(
            self._body,
            self._all_joints,
            [[value] for value in self._full(q)],
            self._rest_velocities,
            physicsClientId=self._cid,
        )
        state = pybullet.getLinkState(
            self._body, PANDA_HAND_LINK, computeForwardKinematics=1, physicsClientId=self._cid
        )
        return np.array(state[4])

    def close(self) -> None:
        """Disconnect the private client; safe to call more than once."""
        client, self._client = self._client, None
        if client is not None and client._client >= 0:
            with contextlib.suppress(pybullet.error):
                pybullet.disconnect(physicsClientId=client._client)
            client._client = -1


class Panda(TorqueArm):
    """The Panda loaded into ``sim``, fingers held at :data:`PANDA_FINGER_OPENING`."""

    workspace_radius = 1.5
    # the Panda reaches about 0.855 m from its shoulder joint (0.333 m above the base)
    reach_shell = ((0.0, 0.0, 0.333), 0.15, 0.8)
    max_joint_velocity = 10.0
    success_radius = 0.02
    camera = ((0.3, 0.0, 0.4), 1.3, 50.0, -25.0)

    def __init__(self, sim: BulletSim) -> None:
        body = _load_panda(sim.client)
        super().__init__(sim, body, joints=PANDA_ARM_JOINTS, hand_link=PANDA_HAND_LINK)
        client = sim.client
        for joint in PANDA_FINGER_JOINTS:
            client.resetJointState(body, joint, PANDA_FINGER_OPENING)
        # Stiff position motors persist across steps and restoreState: the fingers
        # stay put without being re-commanded every step.
        client.setJointMotorControlArray(
            body,
            list(PANDA_FINGER_JOINTS),
            pybullet.POSITION_CONTROL,
            targetPositions=[PANDA_FINGER_OPENING] * 2,
            forces=[200.0, 200.0],
        )
        self.q_lower, self.q_upper = _joint_limits(client, body)

    def nominal_model(self) -> PandaModel:
        """The nominal dynamics, on a private client of its own (see :class:`PandaModel`)."""
        return PandaModel()
