"""Franka Emika Panda (``pybullet_data/franka_panda/panda.urdf``) under torque control.

Seven actuated revolute joints; the two finger joints are held at a fixed
opening by position motors set once at build time and are not part of the
action. The hand point is the ``panda_grasptarget`` frame between the
fingertips. Link inertias are PyBullet's default for this URDF (computed
from the collision meshes); the nominal model loads the URDF the same way.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Sequence

import numpy as np
import pybullet
import pybullet_data
from pybullet_utils.bullet_client import BulletClient

from neurocontrol.envs.robots.base import TorqueArm
from neurocontrol.envs.sim import BulletSim, DirectBulletClient
from neurocontrol.errors import ShapeError

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


def _load_panda(client: BulletClient) -> int:
    client.setAdditionalSearchPath(pybullet_data.getDataPath())
    return int(client.loadURDF(PANDA_URDF, basePosition=[0.0, 0.0, 0.0], useFixedBase=True))


def _joint_limits(client: BulletClient, body: int) -> tuple[np.ndarray, np.ndarray]:
    infos = [client.getJointInfo(body, j) for j in PANDA_ARM_JOINTS]
    return np.array([i[8] for i in infos]), np.array([i[9] for i in infos])


class PandaModel:
    """Nominal Panda dynamics from PyBullet on a private DIRECT client.

    The client is built once from the unmodified URDF and is never touched by
    perturbations, so the model stays nominal whatever happens to the
    simulated robot. The finger joints are evaluated at their fixed opening.
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
        # dynamics() writes M, J and g into one buffer with a single struct pack
        # (numpy's assignment from nested tuples costs ~2x more); the arrays are
        # C-contiguous views of it, made once for the model's lifetime.
        self._dynamics_format = struct.Struct("@77d")  # 49 + 21 + 7 float64
        self._dynamics_buffer = bytearray(self._dynamics_format.size)
        values = np.frombuffer(self._dynamics_buffer, dtype=np.float64)
        self._mass = values[:49].reshape(7, 7)
        self._jacobian = values[49:70].reshape(3, 7)
        self._gravity = values[70:]

    def _full(self, q: Sequence[float]) -> list[float]:
        """The 9 joint positions PyBullet expects: ``q`` then the fixed finger opening."""
        if type(q) is np.ndarray:  # the usual caller: one C-level conversion
            full: list[float] = q.tolist()
        else:
            full = list(map(float, q))
        if len(full) != 7:
            raise ShapeError(f"q must hold the 7 Panda joint angles (rad), got {len(full)} values")
        return full + self._fingers

    def dynamics(self, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mass matrix, hand Jacobian and gravity torques at ``q``, in one call.

        Equal to ``(mass_matrix(q), jacobian(q), gravity(q))`` but about half
        the cost: ``q`` is converted once and the results are written into
        arrays the model owns instead of new ones.

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

        Notes
        -----
        The three arrays are the same objects on every call and are
        overwritten by the next call: copy them to keep values across steps.
        """
        body, cid, zeros = self._body, self._cid, self._zeros
        full = self._full(q)
        mass = pybullet.calculateMassMatrix(body, full, physicsClientId=cid)
        linear, _ = pybullet.calculateJacobian(
            body, PANDA_HAND_LINK, self._origin, full, zeros, zeros, physicsClientId=cid
        )
        tau = pybullet.calculateInverseDynamics(body, full, zeros, zeros, physicsClientId=cid)
        # PyBullet returns 9 x 9 and 3 x 9 tuples (fingers included): keep the arm's 7 columns
        m0, m1, m2, m3, m4, m5, m6 = mass[:7]
        j0, j1, j2 = linear
        self._dynamics_format.pack_into(
            self._dynamics_buffer,
            0,
            *m0[:7], *m1[:7], *m2[:7], *m3[:7], *m4[:7], *m5[:7], *m6[:7],
            *j0[:7], *j1[:7], *j2[:7],
            *tau[:7],
        )  # fmt: skip
        return self._mass, self._jacobian, self._gravity

    def gravity(self, q: Sequence[float]) -> np.ndarray:
        """Joint torques (7,) that hold the arm still against gravity at ``q``."""
        tau = pybullet.calculateInverseDynamics(
            self._body, self._full(q), self._zeros, self._zeros, physicsClientId=self._cid
        )
        return np.array(tau[:7])

    def coriolis(self, q: Sequence[float], dq: Sequence[float]) -> np.ndarray:
        """Coriolis and centrifugal torques (7,) at ``(q, dq)``."""
        full_q = self._full(q)
        tau = pybullet.calculateInverseDynamics(
            self._body,
            full_q,
            [float(v) for v in dq] + [0.0, 0.0],
            self._zeros,
            physicsClientId=self._cid,
        )
        return np.array(tau[:7]) - self.gravity(q)

    def mass_matrix(self, q: Sequence[float]) -> np.ndarray:
        """Joint-space inertia matrix (7, 7) at ``q``."""
        mass = pybullet.calculateMassMatrix(self._body, self._full(q), physicsClientId=self._cid)
        return np.array([row[:7] for row in mass[:7]])

    def jacobian(self, q: Sequence[float]) -> np.ndarray:
        """Translational Jacobian (3, 7) of the hand point at ``q``."""
        linear, _ = pybullet.calculateJacobian(
            self._body,
            PANDA_HAND_LINK,
            self._origin,
            self._full(q),
            self._zeros,
            self._zeros,
            physicsClientId=self._cid,
        )
        return np.array([row[:7] for row in linear])

    def hand_position(self, q: Sequence[float]) -> np.ndarray:
        """Hand point (3,) in the world frame at ``q`` (a new array)."""
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
