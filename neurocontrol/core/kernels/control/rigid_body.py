r"""Rigid-body dynamics of a serial arm of revolute joints, compiled.

:func:`serial_chain_dynamics` evaluates, in one call that allocates
nothing, what an operational-space controller needs every step: the
joint-space inertia matrix :math:`M(q)`, the translational Jacobian of a
tracked point and the gravity torques :math:`g(q)`, for the
:class:`~neurocontrol.envs.robots.rigid_body.SerialChain` packed by
:func:`pack_bodies`. The algorithms are those of Featherstone, *Rigid Body
Dynamics Algorithms* (Springer, 2008), with every spatial quantity in world
coordinates at the world origin, so that composite inertias are plain sums
and no coordinate transforms are needed between bodies:

- forward kinematics, the joint transforms composed from base to tip:
  body ``i`` turns by :math:`q_i` about the world axis :math:`z_i` through
  the joint origin :math:`p_i`;
- the composite rigid body algorithm (ch. 6) for :math:`M`, with the
  joint's motion subspace :math:`S_i = (z_i,\ p_i \times z_i)` (angular;
  linear velocity of the body point at the origin) and the composite
  spatial inertia :math:`I^c_i` of bodies :math:`i..n-1` about the origin
  (ch. 2: mass :math:`m`, first moment :math:`h = m c`, rotational inertia
  :math:`J` about the origin):

  .. math::

      H_{ij} = S_j^T I^c_i S_i \quad (j \le i), \qquad
      I^c_i S_i = \begin{pmatrix} J z_i + h \times v_i \\ m v_i - h \times z_i \end{pmatrix},
      \quad v_i = p_i \times z_i

- the recursive Newton-Euler algorithm (ch. 5) at zero velocity and
  acceleration for :math:`g`: with the base accelerating at :math:`-\vec g`,
  joint ``i`` carries the weight of bodies :math:`i..n-1`,

  .. math::

      g_i = -\left(z_i \times (h_i - m_i p_i)\right) \cdot \vec g

- the point Jacobian from the same kinematics,
  :math:`J_{:,j} = z_j \times (x - p_j)`.

Checked against PyBullet's ``calculateMassMatrix``, ``calculateJacobian``
and ``calculateInverseDynamics`` in ``tests/envs/test_env_panda_dynamics.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from neurocontrol.envs.robots.rigid_body import SerialChain

__all__ = ["FRAME_COLUMNS", "pack_bodies", "serial_chain_dynamics"]

_JIT: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}

# Columns of a row of ``bodies`` (one body; 3 x 3 matrices row-major)
_ROTATION = 0  # 9: joint frame in the previous body's frame (the world for the first)
_OFFSET = 9  # 3: joint origin in the previous body's frame
_AXIS = 12  # 3: unit joint axis in the joint frame
_MASS = 15  # 1
_CENTRE = 16  # 3: centre of mass in the body frame
_INERTIA = 19  # 9: rotational inertia about the centre of mass, body frame
_BODY_COLUMNS = 28

# Columns of a row of the ``frames`` workspace (one body, world coordinates)
_ORIGIN = 9  # 3 after the body's rotation (9): the joint origin p_i
_Z = 12  # 3: the joint axis z_i
#: Columns of the ``frames`` workspace of :func:`serial_chain_dynamics`.
FRAME_COLUMNS = 15


def pack_bodies(chain: SerialChain) -> np.ndarray:
    """The rows of ``chain``'s bodies as :func:`serial_chain_dynamics` reads them, shape (n, 28)."""
    n = chain.n_joints
    bodies = np.zeros((n, _BODY_COLUMNS))
    bodies[:, _ROTATION : _ROTATION + 9] = chain.rotations.reshape(n, 9)
    bodies[:, _OFFSET : _OFFSET + 3] = chain.offsets
    bodies[:, _AXIS : _AXIS + 3] = chain.axes
    bodies[:, _MASS] = chain.masses
    bodies[:, _CENTRE : _CENTRE + 3] = chain.centres
    bodies[:, _INERTIA : _INERTIA + 9] = chain.inertias.reshape(n, 9)
    return bodies


@njit(**_JIT)
def serial_chain_dynamics(
    q, bodies, point, gravity_vector, frames, mass, jacobian, gravity
):  # pragma: no cover - compiled
    """M(q), the point's Jacobian and g(q) into ``mass`` (n, n), ``jacobian`` (3, n), ``gravity``.

    ``bodies`` from :func:`pack_bodies`; ``point`` (3,) in the last body's
    frame; ``gravity_vector`` (3,) the world's gravity (m/s^2); ``frames``
    (n, :data:`FRAME_COLUMNS`) a workspace. Returns -1, or the index of the
    first non-finite angle of ``q`` (then nothing is written).
    """
    n = q.shape[0]
    for i in range(n):
        if not math.isfinite(q[i]):
            return i
    _forward_kinematics(q, bodies, frames)
    _point_jacobian(frames, point, jacobian)
    _mass_matrix_and_gravity(bodies, frames, gravity_vector, mass, gravity)
    return -1


@njit(**_JIT)
def _forward_kinematics(q, bodies, frames):  # pragma: no cover - compiled
    """Each body's rotation, joint origin and joint axis in the world, into ``frames``."""
    for i in range(q.shape[0]):
        body = bodies[i]
        frame = frames[i]
        ax, ay, az = body[_AXIS], body[_AXIS + 1], body[_AXIS + 2]
        c, s = math.cos(q[i]), math.sin(q[i])
        for r in range(3):
            # row r of the joint frame's rotation (the previous body's times the placement)
            # and of the joint origin
            if i == 0:
                x, y, z = body[3 * r], body[3 * r + 1], body[3 * r + 2]
                origin = body[_OFFSET + r]
            else:
                parent = frames[i - 1]
                x = y = z = 0.0
                origin = parent[_ORIGIN + r]
                for k in range(3):
                    w = parent[3 * r + k]
                    x += w * body[3 * k]
                    y += w * body[3 * k + 1]
                    z += w * body[3 * k + 2]
                    origin += w * body[_OFFSET + k]
            along = x * ax + y * ay + z * az  # row r of the axis in the world
            frame[_Z + r] = along
            frame[_ORIGIN + r] = origin
            # the row times Rodrigues' rotation about the axis: v^T [a]x = (v x a)^T
            frame[3 * r] = c * x + s * (y * az - z * ay) + (1.0 - c) * along * ax
            frame[3 * r + 1] = c * y + s * (z * ax - x * az) + (1.0 - c) * along * ay
            frame[3 * r + 2] = c * z + s * (x * ay - y * ax) + (1.0 - c) * along * az


@njit(**_JIT)
def _point_jacobian(frames, point, jacobian):  # pragma: no cover - compiled
    """Translational Jacobian of ``point`` (last body's frame): columns z_j x (x - p_j)."""
    last = frames[frames.shape[0] - 1]
    x = _to_world(last, point[0], point[1], point[2])
    for j in range(frames.shape[0]):
        frame = frames[j]
        dx = x[0] - frame[_ORIGIN]
        dy = x[1] - frame[_ORIGIN + 1]
        dz = x[2] - frame[_ORIGIN + 2]
        zx, zy, zz = frame[_Z], frame[_Z + 1], frame[_Z + 2]
        jacobian[0, j] = zy * dz - zz * dy
        jacobian[1, j] = zz * dx - zx * dz
        jacobian[2, j] = zx * dy - zy * dx


@njit(**_JIT)
def _to_world(frame, x, y, z):  # pragma: no cover - compiled
    """A point given in a body's frame, in the world."""
    return (
        frame[_ORIGIN] + frame[0] * x + frame[1] * y + frame[2] * z,
        frame[_ORIGIN + 1] + frame[3] * x + frame[4] * y + frame[5] * z,
        frame[_ORIGIN + 2] + frame[6] * x + frame[7] * y + frame[8] * z,
    )


@njit(**_JIT)
def _inertia_row(frame, body, a):  # pragma: no cover - compiled
    """Row ``a`` of R I: the body's rotation times its inertia about the centre of mass."""
    r0, r1, r2 = frame[3 * a], frame[3 * a + 1], frame[3 * a + 2]
    return (
        r0 * body[_INERTIA] + r1 * body[_INERTIA + 3] + r2 * body[_INERTIA + 6],
        r0 * body[_INERTIA + 1] + r1 * body[_INERTIA + 4] + r2 * body[_INERTIA + 7],
        r0 * body[_INERTIA + 2] + r1 * body[_INERTIA + 5] + r2 * body[_INERTIA + 8],
    )


@njit(**_JIT)
def _times_row(row, frame, b):  # pragma: no cover - compiled
    """``row`` times row ``b`` of the body's rotation: an entry of R I R^T."""
    return row[0] * frame[3 * b] + row[1] * frame[3 * b + 1] + row[2] * frame[3 * b + 2]


@njit(**_JIT)
def _mass_matrix_and_gravity(bodies, frames, g, mass, gravity):  # pragma: no cover - compiled
    """Composite rigid body algorithm and gravity loads, tip to base (see the module)."""
    n = frames.shape[0]
    # the composite of bodies i..n-1: mass, first moment h and inertia J about the origin
    m = hx = hy = hz = 0.0
    jxx = jyy = jzz = jxy = jxz = jyz = 0.0
    for i in range(n - 1, -1, -1):
        body = bodies[i]
        frame = frames[i]
        mi = body[_MASS]
        cx, cy, cz = _to_world(frame, body[_CENTRE], body[_CENTRE + 1], body[_CENTRE + 2])
        m += mi
        hx += mi * cx
        hy += mi * cy
        hz += mi * cz
        # the body's inertia about the origin: R I R^T + m (|c|^2 1 - c c^T) (parallel axes)
        row_x = _inertia_row(frame, body, 0)
        row_y = _inertia_row(frame, body, 1)
        row_z = _inertia_row(frame, body, 2)
        squared = cx * cx + cy * cy + cz * cz
        jxx += _times_row(row_x, frame, 0) + mi * (squared - cx * cx)
        jyy += _times_row(row_y, frame, 1) + mi * (squared - cy * cy)
        jzz += _times_row(row_z, frame, 2) + mi * (squared - cz * cz)
        jxy += _times_row(row_x, frame, 1) - mi * cx * cy
        jxz += _times_row(row_x, frame, 2) - mi * cx * cz
        jyz += _times_row(row_y, frame, 2) - mi * cy * cz
        px, py, pz = frame[_ORIGIN], frame[_ORIGIN + 1], frame[_ORIGIN + 2]
        zx, zy, zz = frame[_Z], frame[_Z + 1], frame[_Z + 2]
        # the composite's spatial momentum at unit rate of joint i, I^c_i S_i: moment
        # about the origin (nx, ny, nz) and force (fx, fy, fz)
        vx, vy, vz = py * zz - pz * zy, pz * zx - px * zz, px * zy - py * zx
        nx = jxx * zx + jxy * zy + jxz * zz + hy * vz - hz * vy
        ny = jxy * zx + jyy * zy + jyz * zz + hz * vx - hx * vz
        nz = jxz * zx + jyz * zy + jzz * zz + hx * vy - hy * vx
        fx = m * vx - (hy * zz - hz * zy)
        fy = m * vy - (hz * zx - hx * zz)
        fz = m * vz - (hx * zy - hy * zx)
        for j in range(i + 1):
            # S_j^T F: the moment about joint j's origin, n - p_j x f, along z_j
            other = frames[j]
            qx, qy, qz = other[_ORIGIN], other[_ORIGIN + 1], other[_ORIGIN + 2]
            value = (
                other[_Z] * (nx - (qy * fz - qz * fy))
                + other[_Z + 1] * (ny - (qz * fx - qx * fz))
                + other[_Z + 2] * (nz - (qx * fy - qy * fx))
            )
            mass[i, j] = value
            mass[j, i] = value
        # the composite's weight about joint i, held: -(z_i x (h - m p_i)) . g
        rx, ry, rz = hx - m * px, hy - m * py, hz - m * pz
        weight = (
            (zy * rz - zz * ry) * g[0] + (zz * rx - zx * rz) * g[1] + (zx * ry - zy * rx) * g[2]
        )
        gravity[i] = -weight
