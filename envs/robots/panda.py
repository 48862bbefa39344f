"""Franka Emika Panda (``pybullet_data/franka_panda/panda.urdf``) under torque control.

Seven actuated revolute joints; the two finger joints are held at a fixed
opening by position motors set once at build time and are not part of the
action. The hand point is the ``panda_grasptarget`` frame between the
fingertips. Link inertias are PyBullet's default for this URDF (computed
from the collision meshes); the nominal model loads the URDF the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import pybullet
import pybullet_data
from pybullet_utils.bullet_client import BulletClient

from neurocontrol.envs.robots.base import TorqueArm
from neurocontrol.envs.sim import BulletSim, DirectBulletClient

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

    def _full(self, q: Sequence[float]) -> list[float]:
        return [float(v) for v in q] + [PANDA_FINGER_OPENING, PANDA_FINGER_OPENING]

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
        return np.array(mass)[:7, :7]

    def jacobian(self, q: Sequence[float]) -> np.ndarray:
        """Translational Jacobian (3, 7) of the hand point at ``q``."""
        linear, _ = pybullet.calculateJacobian(
            self._body,
            PANDA_HAND_LINK,
            [0.0, 0.0, 0.0],
            self._full(q),
            self._zeros,
            self._zeros,
            physicsClientId=self._cid,
        )
        return np.array(linear)[:, :7]

    def hand_position(self, q: Sequence[float]) -> np.ndarray:
        """Hand point (3,) in the world frame at ``q``."""
        for joint, value in zip(PANDA_ARM_JOINTS + PANDA_FINGER_JOINTS, self._full(q), strict=True):
            pybullet.resetJointState(self._body, joint, value, 0.0, physicsClientId=self._cid)
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
