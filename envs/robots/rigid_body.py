"""The rigid-body parameters of a PyBullet arm, read once, for compiled dynamics.

:func:`read_serial_chain` turns a loaded fixed-base multibody into a
:class:`SerialChain`: one rigid body per actuated revolute joint, in chain
order. Every other link (fixed joints, and joints held at a constant
position, such as the Panda's fingers) is merged into the body it moves
with: its mass and inertia count in that body's, and the next joint and the
tracked point are placed in that body's frame.

The parameters come from PyBullet (``getJointInfo``, ``getDynamicsInfo``),
not from the URDF text, so the chain is the multibody PyBullet built: for a
URDF loaded without ``URDF_USE_INERTIA_FROM_FILE`` the inertias are computed
from the collision shapes and are not the file's. Two conventions of
PyBullet matter here (Bullet's link frame is the centre-of-mass frame):

- ``getJointInfo``'s parent frame is the joint frame in the *parent's
  centre-of-mass frame*, and its orientation is Bullet's
  ``m_zeroRotParentToThis``, which maps parent coordinates to child
  coordinates: the child frame's orientation is its inverse;
- the joint axis is in the child's centre-of-mass frame, and a revolute
  joint turns the child by ``+q`` about it; a prismatic one moves it by
  ``q`` along it.

``calculateJacobian(localPosition=0)`` refers to a link's centre of mass,
so the tracked point is the centre-of-mass frame origin of ``point_link``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pybullet
from pybullet_utils.bullet_client import BulletClient

from neurocontrol.errors import ConfigError

__all__ = ["SerialChain", "read_serial_chain"]

# fields of a getJointInfo entry
_JOINT_TYPE, _AXIS, _PARENT_POSITION, _PARENT_ORIENTATION, _PARENT_INDEX = 2, 13, 14, 15, 16
# fields of a getDynamicsInfo entry
_MASS, _INERTIA_DIAGONAL, _INERTIAL_POSITION, _INERTIAL_ORIENTATION = 0, 2, 3, 4


@dataclass(frozen=True)
class SerialChain:
    """A fixed-base chain of ``n`` revolute joints, each moving one rigid body (SI units).

    Body ``i``'s frame has its origin on joint ``i``'s axis and coincides
    with the joint's frame at ``q_i = 0``; its orientation is that of the
    moving link's centre-of-mass frame. Joint ``i`` turns body ``i`` by
    ``q_i`` about ``axes[i]``.

    Attributes
    ----------
    rotations : ndarray, shape (n, 3, 3)
        Orientation of joint ``i``'s frame in body ``i - 1``'s frame (in the
        world for ``i = 0``); columns are the joint frame's axes.
    offsets : ndarray, shape (n, 3)
        Origin of joint ``i``'s frame in body ``i - 1``'s frame (the world for ``i = 0``).
    axes : ndarray, shape (n, 3)
        Unit joint axes, in the joint frames.
    masses : ndarray, shape (n,)
        Mass of each body, merged links included.
    centres : ndarray, shape (n, 3)
        Centre of mass of each body, in its frame.
    inertias : ndarray, shape (n, 3, 3)
        Rotational inertia of each body about its centre of mass, in its frame.
    point : ndarray, shape (3,)
        The tracked point (the hand), in the last body's frame.
    """

    rotations: np.ndarray
    offsets: np.ndarray
    axes: np.ndarray
    masses: np.ndarray
    centres: np.ndarray
    inertias: np.ndarray
    point: np.ndarray

    @property
    def n_joints(self) -> int:
        """Number of joints (and bodies) ``n``."""
        return int(self.masses.shape[0])


@dataclass
class _Pose:
    """A link's centre-of-mass frame in the frame of the body it moves with (``owner``)."""

    owner: int  # chain index of that body; -1 for the fixed base (the world frame)
    rotation: np.ndarray
    position: np.ndarray


@dataclass
class _MassProperties:
    """Mass, first moment and inertia about the body frame's origin, summed over links."""

    mass: float = 0.0
    moment: np.ndarray = field(default_factory=lambda: np.zeros(3))
    inertia: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))

    def add(self, mass: float, centre: np.ndarray, inertia: np.ndarray) -> None:
        """Add a link of ``mass`` at ``centre`` with ``inertia`` about its centre (body frame)."""
        self.mass += mass
        self.moment = self.moment + mass * centre
        self.inertia = self.inertia + inertia + mass * _point_inertia(centre)

    def about_centre(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Mass, centre of mass and inertia about the centre of mass (parallel axis theorem)."""
        if not self.mass > 0.0:
            return 0.0, np.zeros(3), np.zeros((3, 3))
        centre = self.moment / self.mass
        return self.mass, centre, self.inertia - self.mass * _point_inertia(centre)


def _point_inertia(r: np.ndarray) -> np.ndarray:
    """Inertia of a unit point mass at ``r`` about the origin: :math:`|r|^2 I - r r^T`."""
    return float(r @ r) * np.eye(3) - np.outer(r, r)


def _rotation(client: BulletClient, quaternion: Sequence[float]) -> np.ndarray:
    return np.array(client.getMatrixFromQuaternion(quaternion), dtype=np.float64).reshape(3, 3)


def _turn(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation by ``angle`` about the unit ``axis`` (Rodrigues' formula)."""
    cross = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * cross + (1.0 - np.cos(angle)) * (cross @ cross)


def _base_pose(client: BulletClient, body: int) -> _Pose:
    position, orientation = client.getBasePositionAndOrientation(body)
    return _Pose(-1, _rotation(client, orientation), np.array(position, dtype=np.float64))


def _unit(axis: Sequence[float], joint: int) -> np.ndarray:
    vector = np.array(axis, dtype=np.float64)
    norm = float(np.linalg.norm(vector))
    if not norm > 0.0:
        raise ConfigError(f"joint {joint} has no axis in PyBullet's joint info")
    return vector / norm


def read_serial_chain(
    client: BulletClient,
    body: int,
    joints: Sequence[int],
    held: Mapping[int, float],
    point_link: int,
) -> SerialChain:
    """Read the rigid-body parameters of the fixed-base ``body`` from ``client``, once.

    Parameters
    ----------
    client : BulletClient
        The client holding ``body``, as loaded (never perturbed: this reads
        what PyBullet holds now).
    body : int
        A multibody loaded with ``useFixedBase=True``.
    joints : sequence of int
        The actuated revolute joints, base to tip; each must be the first
        moving joint after the previous one.
    held : mapping of int to float
        Every other moving joint, with the position (rad or m) it is held
        at; its link is merged into the body it then moves with.
    point_link : int
        The link whose centre of mass is the tracked point; it must move with
        the last joint.

    Returns
    -------
    SerialChain

    Raises
    ------
    ConfigError
        If ``joints`` are not a chain of revolute joints, a moving joint is
        neither in ``joints`` nor in ``held``, or ``point_link`` does not
        move with the last joint.
    """
    chain_index = {joint: i for i, joint in enumerate(joints)}
    n = len(joints)
    rotations, offsets, axes = np.zeros((n, 3, 3)), np.zeros((n, 3)), np.zeros((n, 3))
    properties = [_MassProperties() for _ in range(n)]
    poses: dict[int, _Pose] = {-1: _base_pose(client, body)}
    for link in range(client.getNumJoints(body)):  # parents come before their children
        info = client.getJointInfo(body, link)
        dynamics = client.getDynamicsInfo(body, link)
        parent = poses[int(info[_PARENT_INDEX])]
        # Bullet's parent-to-child rotation: the child's orientation is its transpose
        placement = parent.rotation @ _rotation(client, info[_PARENT_ORIENTATION]).T
        pivot = parent.position + parent.rotation @ np.array(info[_PARENT_POSITION])
        inertial = _rotation(client, dynamics[_INERTIAL_ORIENTATION])
        # from the pivot to the centre of mass, in the centre-of-mass frame
        to_centre = inertial.T @ np.array(dynamics[_INERTIAL_POSITION], dtype=np.float64)
        joint_type = int(info[_JOINT_TYPE])
        if link in chain_index:
            i = chain_index[link]
            if joint_type != pybullet.JOINT_REVOLUTE or parent.owner != i - 1:
                raise ConfigError(
                    f"joint {link} is not a revolute joint moving right after joint "
                    f"{joints[i - 1] if i else 'the base'}: the joints {list(joints)} are not "
                    "a serial chain"
                )
            rotations[i], offsets[i] = placement, pivot
            axes[i] = _unit(info[_AXIS], link)
            pose = _Pose(i, np.eye(3), to_centre)
        else:
            pose = _held_pose(client, link, info, held, parent.owner, placement, pivot, to_centre)
        poses[link] = pose
        if pose.owner >= 0:  # links on the fixed base load no joint
            diagonal = np.diag(np.array(dynamics[_INERTIA_DIAGONAL], dtype=np.float64))
            inertia = pose.rotation @ diagonal @ pose.rotation.T
            properties[pose.owner].add(float(dynamics[_MASS]), pose.position, inertia)
    missing = [link for link in (*joints, point_link) if link not in poses]
    if missing:
        raise ConfigError(f"body {body} has no links {missing}")
    if poses[point_link].owner != n - 1:
        raise ConfigError(
            f"link {point_link} must move with joint {joints[-1]}, the last of {list(joints)}"
        )
    merged = [p.about_centre() for p in properties]
    return SerialChain(
        rotations=rotations,
        offsets=offsets,
        axes=axes,
        masses=np.array([m[0] for m in merged]),
        centres=np.array([m[1] for m in merged]),
        inertias=np.array([m[2] for m in merged]),
        point=poses[point_link].position.copy(),
    )


def _held_pose(
    client: BulletClient,
    link: int,
    info: Sequence,
    held: Mapping[int, float],
    owner: int,
    placement: np.ndarray,
    pivot: np.ndarray,
    to_centre: np.ndarray,
) -> _Pose:
    """Pose of a link that does not move relative to its parent (fixed joint, or held)."""
    joint_type = int(info[_JOINT_TYPE])
    if joint_type == pybullet.JOINT_FIXED:
        return _Pose(owner, placement, pivot + placement @ to_centre)
    if link not in held:
        raise ConfigError(
            f"joint {link} moves but is neither an actuated joint nor held at a position "
            f"(held: {sorted(held)})"
        )
    position = float(held[link])
    axis = _unit(info[_AXIS], link)
    if joint_type == pybullet.JOINT_PRISMATIC:
        return _Pose(owner, placement, pivot + placement @ (to_centre + position * axis))
    if joint_type == pybullet.JOINT_REVOLUTE:
        rotation = placement @ _turn(axis, position)
        return _Pose(owner, rotation, pivot + rotation @ to_centre)
    raise ConfigError(f"joint {link} has a type ({joint_type}) a held joint cannot have")
