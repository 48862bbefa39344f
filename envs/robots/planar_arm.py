"""The 2-link planar arm (horizontal plane) and its closed-form nominal model.

The URDF ``assets/planar_arm.urdf`` and :data:`PLANAR_ARM` hold the same
numbers (after Shadmehr & Mussa-Ivaldi 1994); a test checks the analytic mass
matrix against PyBullet's. Joint angles: ``q[0]`` shoulder, from the world x
axis; ``q[1]`` elbow, relative to the upper arm; both about +z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pybullet

from neurocontrol.envs.robots.base import TorqueArm
from neurocontrol.envs.sim import BulletSim
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import numeric_vector

__all__ = ["PLANAR_ARM", "PlanarArm", "PlanarArmModel", "PlanarArmParameters", "planar_arm_urdf"]

_cos, _sin = math.cos, math.sin  # one global lookup each in read_hand (every step)


@dataclass(frozen=True)
class PlanarArmParameters:
    """Segment parameters of the planar arm (SI units); must match the URDF."""

    l1: float = 0.33  # upper arm length, m
    l2: float = 0.34  # forearm length (elbow to hand point), m
    m1: float = 1.93  # upper arm mass, kg
    m2: float = 1.52  # forearm mass, kg
    lc1: float = 0.165  # shoulder to upper arm centre of mass, m
    lc2: float = 0.19  # elbow to forearm centre of mass, m
    i1: float = 0.0141  # upper arm inertia about its centre of mass (z), kg m^2
    i2: float = 0.0188  # forearm inertia about its centre of mass (z), kg m^2
    m_hand: float = 0.001  # hand marker at the forearm tip, kg
    i_hand: float = 1e-8  # hand marker inertia (z), kg m^2
    torque_limit: tuple[float, float] = (10.0, 10.0)  # N·m, shoulder and elbow
    q_home: tuple[float, float] = (math.pi / 4, math.pi / 2)  # hand at about (0, 0.47) m
    q_lower: tuple[float, float] = (-1.5708, 0.0)  # joint limits, rad (as in the URDF)
    q_upper: tuple[float, float] = (3.1416, 2.618)


#: The shipped arm.
PLANAR_ARM = PlanarArmParameters()


def planar_arm_urdf() -> str:
    """Path of the shipped planar-arm URDF."""
    return str(resources.files("neurocontrol.envs.robots") / "assets" / "planar_arm.urdf")


class PlanarArmModel:
    """Closed-form rigid-body dynamics of the planar arm (the nominal model).

    The forearm and hand marker are lumped into one body (mass ``m2c``,
    centre of mass ``lc2c``, inertia ``i2c``); then, with ``c2 = cos q2``,

    .. math::

        M(q) = \\begin{pmatrix} a_1 + 2 a_2 c_2 & a_3 + a_2 c_2 \\\\
                                a_3 + a_2 c_2 & a_3 \\end{pmatrix},\\quad
        a_1 = I_1 + m_1 l_{c1}^2 + I_{2c} + m_{2c}(l_1^2 + l_{c2c}^2),\\;
        a_2 = m_{2c} l_1 l_{c2c},\\; a_3 = I_{2c} + m_{2c} l_{c2c}^2

    and gravity loads no joint (both axes are vertical).

    Parameters
    ----------
    params : PlanarArmParameters
        Segment parameters; the shipped arm by default.
    """

    dim = 2

    def __init__(self, params: PlanarArmParameters = PLANAR_ARM) -> None:
        self.params = params
        self.n_joints = 2
        self.torque_limit = np.array(params.torque_limit, dtype=np.float64)
        self.q_home = np.array(params.q_home, dtype=np.float64)
        self.q_lower = np.array(params.q_lower, dtype=np.float64)
        self.q_upper = np.array(params.q_upper, dtype=np.float64)
        p = params
        m2c = p.m2 + p.m_hand
        lc2c = (p.m2 * p.lc2 + p.m_hand * p.l2) / m2c
        i2c = p.i2 + p.m2 * (p.lc2 - lc2c) ** 2 + p.i_hand + p.m_hand * (p.l2 - lc2c) ** 2
        self._a1 = p.i1 + p.m1 * p.lc1**2 + i2c + m2c * (p.l1**2 + lc2c**2)
        self._a2 = m2c * p.l1 * lc2c
        self._a3 = i2c + m2c * lc2c**2
        self.reach = p.l1 + p.l2
        # written by dynamics(): one set of arrays for the model's lifetime
        self._mass = np.zeros((2, 2))
        self._jacobian = np.zeros((2, 2))
        self._gravity = np.zeros(2)
        self._constants = np.array([self._a1, self._a2, self._a3, p.l1, p.l2])
        self._kernel: Any = None  # compiled on the first dynamics() (controllers call it)

    def dynamics(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mass matrix, hand Jacobian and gravity torques at ``q``, in one call.

        Equal to ``(mass_matrix(q), jacobian(q), gravity(q))``, written into
        arrays the model owns (the same :class:`~neurocontrol.envs.robots.base.RobotModel`
        call as the Panda's).

        Parameters
        ----------
        q : array-like, shape (2,)
            Joint angles (rad).

        Returns
        -------
        mass : ndarray, shape (2, 2)
        jacobian : ndarray, shape (2, 2)
        gravity : ndarray, shape (2,)
            Always zero (horizontal plane).

        Notes
        -----
        The three arrays are the same objects on every call and are
        overwritten by the next call: copy them to keep values across steps.
        """
        if self._kernel is None:
            # numba, imported by the controllers that call this, not by the env
            from neurocontrol.core.kernels.control.laws import planar_arm_dynamics

            self._kernel = planar_arm_dynamics
        if type(q) is not np.ndarray or q.dtype != np.float64 or q.shape != (2,):
            q = numeric_vector("q", q, 2)  # the kernel reads q[0], q[1] unchecked
        self._kernel(q, self._constants, self._mass, self._jacobian, self._gravity)
        return self._mass, self._jacobian, self._gravity

    def gravity(self, q: np.ndarray) -> np.ndarray:
        """Zero: in the horizontal plane gravity loads no joint."""
        return np.zeros(2)

    def mass_matrix(self, q: np.ndarray) -> np.ndarray:
        """Joint-space inertia matrix (2, 2) at ``q``."""
        c2 = math.cos(q[1])
        m12 = self._a3 + self._a2 * c2
        return np.array([[self._a1 + 2.0 * self._a2 * c2, m12], [m12, self._a3]])

    def coriolis(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Coriolis and centrifugal torques (2,) at ``(q, dq)``."""
        h = self._a2 * math.sin(q[1])
        return np.array([-h * (2.0 * dq[0] * dq[1] + dq[1] ** 2), h * dq[0] ** 2])

    def hand_position(self, q: np.ndarray) -> np.ndarray:
        """Hand point (x, y) in m at ``q``."""
        p = self.params
        q1, q2 = float(q[0]), float(q[1])  # float64 even for float32 input
        q12 = q1 + q2
        return np.array(
            [
                p.l1 * math.cos(q1) + p.l2 * math.cos(q12),
                p.l1 * math.sin(q1) + p.l2 * math.sin(q12),
            ]
        )

    def inverse_kinematics(self, hand: np.ndarray) -> np.ndarray:
        """Joint angles (2,) that put the hand at ``hand`` (x, y), elbow flexed (q2 > 0).

        Raises
        ------
        ConfigError
            If ``hand`` is out of reach.
        """
        p = self.params
        x, y = float(hand[0]), float(hand[1])
        cos_elbow = (x * x + y * y - p.l1**2 - p.l2**2) / (2.0 * p.l1 * p.l2)
        if not -1.0 <= cos_elbow <= 1.0:
            raise ConfigError(
                f"hand position ({x:g}, {y:g}) m is out of reach; accepted: distance from the "
                f"shoulder between {abs(p.l1 - p.l2):g} and {p.l1 + p.l2:g} m"
            )
        elbow = math.acos(cos_elbow)
        shoulder = math.atan2(y, x) - math.atan2(p.l2 * math.sin(elbow), p.l1 + p.l2 * cos_elbow)
        return np.array([shoulder, elbow])

    def jacobian(self, q: np.ndarray) -> np.ndarray:
        """Hand Jacobian (2, 2) at ``q``: hand velocity = J(q) dq."""
        p = self.params
        q1, q2 = float(q[0]), float(q[1])  # float64 even for float32 input
        q12 = q1 + q2
        s1, c1, s12, c12 = math.sin(q1), math.cos(q1), math.sin(q12), math.cos(q12)
        return np.array(
            [[-p.l1 * s1 - p.l2 * s12, -p.l2 * s12], [p.l1 * c1 + p.l2 * c12, p.l2 * c12]]
        )


class PlanarArm(TorqueArm):
    """The planar arm loaded into ``sim``; the hand state comes from exact forward kinematics.

    Bullet's multibody is a reduced-coordinate model, so the closed-form
    kinematics of (q, dq) equal ``getLinkState`` of the hand, at a fraction of
    the cost of a second PyBullet call per step.
    """

    workspace_radius = 0.8
    # links 0.33 + 0.34 m: the hand reaches 0.01-0.67 m from the shoulder
    reach_shell = ((0.0, 0.0), 0.05, 0.65)
    max_joint_velocity = 20.0
    success_radius = 0.01
    camera = ((0.0, 0.3, 0.0), 1.1, 0.0, -89.9)

    def __init__(self, sim: BulletSim, params: PlanarArmParameters = PLANAR_ARM) -> None:
        body = sim.client.loadURDF(
            planar_arm_urdf(),
            basePosition=[0.0, 0.0, 0.0],
            useFixedBase=True,
            flags=pybullet.URDF_USE_INERTIA_FROM_FILE,
        )
        super().__init__(sim, body, joints=[0, 1], hand_link=2)
        self.params = params
        self._l1 = params.l1
        self._l2 = params.l2

    def nominal_model(self) -> PlanarArmModel:
        """The closed-form dynamics of the same segments."""
        return PlanarArmModel(self.params)

    def read_hand(self) -> None:
        """Refresh :attr:`hand_pos` / :attr:`hand_vel` (z = 0) from q and dq."""
        q1, q2 = self.q
        dq1, dq2 = self.dq
        q12 = q1 + q2
        dq12 = dq1 + dq2
        c1, s1, c12, s12 = _cos(q1), _sin(q1), _cos(q12), _sin(q12)
        l1, l2 = self._l1, self._l2
        self.hand_pos = [l1 * c1 + l2 * c12, l1 * s1 + l2 * s12, 0.0]
        self.hand_vel = [-l1 * s1 * dq1 - l2 * s12 * dq12, l1 * c1 * dq1 + l2 * c12 * dq12, 0.0]
