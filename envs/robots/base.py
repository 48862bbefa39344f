"""What every torque-controlled arm offers: the simulated body and its nominal model.

:class:`TorqueArm` drives a loaded multibody under pure torque control:
the default velocity motors are switched off (a velocity motor with
``force=0``), link and joint damping are zeroed, and torques are re-sent on
every physics step (PyBullet forgets them after one ``stepSimulation``).
Its :meth:`~TorqueArm.send_torques`, :meth:`~TorqueArm.read_joints` and
:meth:`~TorqueArm.read_hand` are the one I/O path every env steps through.

:class:`RobotModel` is the protocol of the *nominal* model a controller may
use. It describes the robot as built, never as perturbed: PyBullet's own
inverse dynamics ignore ``changeDynamics``, so a model that reads the live
body would silently become a stale mixture of nominal and true dynamics.
A controller that needs M(q), J(q) and g(q) every step calls
:meth:`RobotModel.dynamics` once instead of the three methods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pybullet

from neurocontrol.envs.sim import BulletSim
from neurocontrol.errors import ConfigError

__all__ = ["RobotModel", "TorqueArm"]

# fields of a getJointStates entry; map() with them runs no bytecode per joint
_position = itemgetter(0)
_velocity = itemgetter(1)
# module-level aliases: the per-step calls save an attribute lookup each
_send_motor_commands = pybullet.setJointMotorControlArray
_get_joint_states = pybullet.getJointStates
_TORQUE_CONTROL = pybullet.TORQUE_CONTROL


@runtime_checkable
class RobotModel(Protocol):
    """Nominal rigid-body model of an arm (what a PD/OSC base controller may use).

    Attributes
    ----------
    n_joints : int
        Number of actuated joints ``n``.
    dim : int
        Dimension ``d`` of the hand position (2 planar, 3 spatial).
    torque_limit : ndarray, shape (n,)
        Peak joint torque in N·m; an action of 1 commands this torque.
    q_home : ndarray, shape (n,)
        The joint configuration every episode starts from.

    Notes
    -----
    The single-quantity methods return new arrays. :meth:`dynamics` is the
    per-step call of a model-based controller (operational-space control
    needs all three of M, J and g): it evaluates them together and writes
    them into arrays owned by the model, which the next call overwrites::

        mass, jacobian, gravity = model.dynamics(q)   # valid until the next call
        tau = jacobian.T @ force + gravity
    """

    n_joints: int
    dim: int
    torque_limit: np.ndarray
    q_home: np.ndarray

    def dynamics(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mass_matrix(q), jacobian(q), gravity(q))`` in one call, in model-owned arrays.

        Shapes (n, n), (d, n), (n,); the values equal the separate calls
        exactly. The same three array objects are returned on every call and
        overwritten by the next one: copy what must outlive the step.
        """
        ...

    def gravity(self, q: np.ndarray) -> np.ndarray:
        """Joint torques (n,) that hold the arm still against gravity at ``q``."""
        ...

    def mass_matrix(self, q: np.ndarray) -> np.ndarray:
        """Joint-space inertia matrix (n, n) at ``q``."""
        ...

    def jacobian(self, q: np.ndarray) -> np.ndarray:
        """Translational Jacobian (d, n) of the hand point at ``q``."""
        ...

    def hand_position(self, q: np.ndarray) -> np.ndarray:
        """Hand point (d,) in the world frame at ``q``."""
        ...

    def coriolis(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Coriolis and centrifugal torques (n,) at ``(q, dq)``."""
        ...


class TorqueArm:
    """A fixed-base multibody in ``sim`` driven by joint torques.

    Parameters
    ----------
    sim : BulletSim
        The world the body lives in.
    body : int
        PyBullet body unique id.
    joints : sequence of int
        Actuated joint indices, in action order.
    hand_link : int
        Link index of the hand point (its link frame origin).

    Attributes
    ----------
    q, dq : list of float
        Joint positions (rad) and velocities (rad/s) as of the last :meth:`read_joints`.
    hand_pos, hand_vel : list of float
        Hand point position (m) and velocity (m/s) as of the last :meth:`read_hand`.

    The class attributes are what an env takes from its robot: the bound on
    hand coordinates in observations, where a target may lie, the default
    safety and success limits and a camera that frames the arm.
    """

    #: bound (m) on every hand/target coordinate in the observation
    workspace_radius: ClassVar[float] = 1.0
    #: (shoulder point, nearest, farthest distance in m) where a hand target may lie
    reach_shell: ClassVar[tuple[tuple[float, ...], float, float]] = ((0.0, 0.0), 0.0, math.inf)
    #: safety limit on joint speed (rad/s) unless the env is given one
    max_joint_velocity: ClassVar[float] = 20.0
    #: hand-distance (m) below which ``is_success`` holds unless the env is given one
    success_radius: ClassVar[float] = 0.01
    #: camera of ``render()``: target point, distance, yaw, pitch
    camera: ClassVar[tuple[tuple[float, ...], float, float, float]] = (
        (0.0, 0.0, 0.0),
        1.0,
        0.0,
        -89.0,
    )

    def __init__(self, sim: BulletSim, body: int, joints: Sequence[int], hand_link: int) -> None:
        self.sim = sim
        self.body = body
        self.joints = [int(j) for j in joints]
        self.hand_link = int(hand_link)
        self.n_joints = len(self.joints)
        self._cid = sim.client_id
        client = sim.client
        for link in range(-1, client.getNumJoints(body)):
            # Bullet gives every link 0.04 linear/angular damping by default; a torque
            # controller must see the rigid-body dynamics and nothing else.
            client.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0)
            if link >= 0:
                client.changeDynamics(body, link, jointDamping=0.0)
        self.release_joint_friction()
        self._hand_inertia = list(client.getDynamicsInfo(body, self.hand_link)[2])
        self.q = [0.0] * self.n_joints
        self.dq = [0.0] * self.n_joints
        self.hand_pos = [0.0, 0.0, 0.0]
        self.hand_vel = [0.0, 0.0, 0.0]

    def set_joint_friction(self, friction: Sequence[float]) -> None:
        """Coulomb friction per joint (N·m) through the velocity motor (implicit, no chatter)."""
        pybullet.setJointMotorControlArray(
            self.body,
            self.joints,
            pybullet.VELOCITY_CONTROL,
            targetVelocities=[0.0] * self.n_joints,
            forces=[float(f) for f in friction],
            physicsClientId=self._cid,
        )

    def release_joint_friction(self) -> None:
        """Switch the default velocity motors off (``force=0``): pure torque control."""
        self.set_joint_friction([0.0] * self.n_joints)

    def reset_joints(self, q: Sequence[float], dq: Sequence[float] | None = None) -> None:
        """Teleport the joints to ``q`` (and ``dq``), then refresh the state."""
        dq = [0.0] * self.n_joints if dq is None else dq
        for joint, position, velocity in zip(self.joints, q, dq, strict=True):
            pybullet.resetJointState(
                self.body, joint, float(position), float(velocity), physicsClientId=self._cid
            )
        self.read_joints()
        self.read_hand()

    def nominal_model(self) -> Any:
        """A new nominal model (:class:`RobotModel`) of this robot as built."""
        raise ConfigError(
            f"{type(self).__name__} has no nominal model; accepted: a robot class that "
            "defines nominal_model() (as PlanarArm and Panda do)"
        )

    def send_torques(self, tau: Sequence[float]) -> None:
        """Apply ``tau`` (N·m) for the next ``stepSimulation`` only."""
        _send_motor_commands(
            self.body, self.joints, _TORQUE_CONTROL, forces=tau, physicsClientId=self._cid
        )

    def read_joints(self) -> None:
        """Refresh :attr:`q` and :attr:`dq` with one batched ``getJointStates`` call."""
        # the client id positional: no keyword parsing on the per-step path
        states = _get_joint_states(self.body, self.joints, self._cid)
        self.q = list(map(_position, states))
        self.dq = list(map(_velocity, states))

    def read_state(self) -> None:
        """Refresh the joints, then the hand (:meth:`read_joints`, :meth:`read_hand`)."""
        self.read_joints()
        self.read_hand()

    def read_hand(self) -> None:
        """Refresh :attr:`hand_pos` and :attr:`hand_vel` (one ``getLinkState`` call)."""
        state = pybullet.getLinkState(
            self.body,
            self.hand_link,
            computeLinkVelocity=1,
            computeForwardKinematics=1,
            physicsClientId=self._cid,
        )
        self.hand_pos = list(state[4])
        self.hand_vel = list(state[6])

    def push_hand(self, force: Sequence[float]) -> None:
        """Apply a world-frame force (N) at the hand point for the next step only."""
        pybullet.applyExternalForce(
            self.body,
            self.hand_link,
            force,
            self.hand_pos,
            pybullet.WORLD_FRAME,
            physicsClientId=self._cid,
        )

    def set_hand_mass(self, mass: float) -> None:
        """Set the mass (kg) of the hand link: how a point-mass payload is attached.

        ``changeDynamics(mass=...)`` also recomputes the link's inertia from a
        default shape; a point mass adds none about its own centre, so the
        nominal inertia is written back (this also keeps resets bit-exact).
        """
        pybullet.changeDynamics(
            self.body,
            self.hand_link,
            mass=float(mass),
            localInertiaDiagonal=self._hand_inertia,
            physicsClientId=self._cid,
        )

    def hand_mass(self) -> float:
        """The current mass (kg) of the hand link."""
        return float(
            pybullet.getDynamicsInfo(self.body, self.hand_link, physicsClientId=self._cid)[0]
        )
