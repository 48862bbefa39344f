"""Pressing on a table: reach a point, touch down with the fingertip pads, hold a normal force.

Protocol (one episode): a minimum-jerk approach from the home pose to a point
``approach_height`` above the press point (phase 0), a minimum-jerk descent
until the fingertip pads touch the table (phase 1), then pressing (phase 2):
hold the hand there and keep the summed pad normal force at ``target_force``.
With ``slide_amplitude > 0`` the press point slides along the table while
pressing (a wiping motion), so the surface's friction loads the contact.

Tactile sensing: per pad (the two fingertips) the contact normal forces are
summed over contact points (single contact forces are solver noise), with a
contact flag and the force-weighted contact point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pybullet
from gymnasium import spaces

from neurocontrol.envs.robots.panda import PANDA_FINGER_LINKS
from neurocontrol.envs.tasks.base import ArmTask
from neurocontrol.envs.tasks.press import PRESS, PressTask, SlidingPressTask
from neurocontrol.utils.validation import (
    require_finite_array,
    require_nonnegative,
    require_positive,
)

if TYPE_CHECKING:
    from neurocontrol.envs.arm_env import ArmEnv

__all__ = ["MAX_OBSERVED_FORCE", "PRESS_PARAMETERS", "TablePressTask"]

#: Dense tactile forces above this (N) are clipped in the observation.
MAX_OBSERVED_FORCE = 1000.0
#: the constructor parameters of :class:`TablePressTask` (ArmPress shows them as attributes)
PRESS_PARAMETERS = (
    "press_point",
    "press_point_range",
    "table_height",
    "approach_height",
    "approach_time",
    "descend_time",
    "target_force",
    "force_tolerance",
    "force_weight",
    "slide_amplitude",
    "slide_period",
)

_get_contact_points = pybullet.getContactPoints
_NO_CONTACT = (0.0,) * 10


class TablePressTask(ArmTask):
    """A table under the fingertip pads of an arm (the Panda's), pressed with a target force.

    Adds the observation key ``tactile`` (10,): for each pad (left, right
    fingertip) the summed normal force (N, clipped at 1000), a contact flag
    (0/1) and the force-weighted contact point (m, world frame; zeros without
    contact). The reference's ``target`` is the contact point.

    Reward: ``reward_force = -force_weight * |F - F*| / F*`` while pressing
    (phase 2), F the normal force summed over both pads. ``is_success``:
    pressing, ``|F - F*| <= force_tolerance`` and the hand within the env's
    ``success_radius`` of the contact point (the sliding one, with
    ``slide_amplitude``). The table is :attr:`surface`: the
    ``surface_friction`` perturbation changes its friction.

    Parameters
    ----------
    press_point : (x, y)
        Nominal press point on the table (m).
    press_point_range : float
        Half-width (m) of the square the press point is drawn from at reset.
    table_height : float
        Height of the table surface (m).
    approach_height : float
        Height (m) above the contact point where the descent starts.
    approach_time, descend_time : float
        Durations (s) of the approach and descent movements.
    target_force : float
        Normal force to hold (N).
    force_tolerance : float
        Force error (N) still counted a success.
    force_weight : float
        Weight of the force-tracking reward term.
    slide_amplitude : float
        How far (m) the press point slides along y while pressing, out and
        back (:class:`~neurocontrol.envs.tasks.press.SlidingPressTask`); 0: it stays put.
    slide_period : float
        Duration (s) of one out-and-back slide.
    """

    info_keys = (
        "is_success",
        "target_index",
        "phase",
        "normal_force",
        "target_force",
        "reward_force",
    )
    camera = ((0.45, 0.0, 0.2), 1.0, 60.0, -20.0)
    reference: PressTask

    def __init__(
        self,
        *,
        press_point: Any = (0.45, 0.0),
        press_point_range: float = 0.03,
        table_height: float = 0.15,
        approach_height: float = 0.05,
        approach_time: float = 1.0,
        descend_time: float = 0.5,
        target_force: float = 10.0,
        force_tolerance: float = 2.0,
        force_weight: float = 1.0,
        slide_amplitude: float = 0.0,
        slide_period: float = 4.0,
    ) -> None:
        self.press_point = require_finite_array("press_point", press_point, shape=(2,))
        self.press_point_range = require_nonnegative("press_point_range", press_point_range)
        self.table_height = require_positive("table_height", table_height)
        self.approach_height = require_positive("approach_height", approach_height)
        self.approach_time = require_positive("approach_time", approach_time)
        self.descend_time = require_positive("descend_time", descend_time)
        self.target_force = require_positive("target_force", target_force)
        self.force_tolerance = require_nonnegative("force_tolerance", force_tolerance)
        self.force_weight = require_nonnegative("force_weight", force_weight)
        self.slide_amplitude = require_nonnegative("slide_amplitude", slide_amplitude)
        self.slide_period = require_positive("slide_period", slide_period)
        self._tactile = [0.0] * 10
        self.values = self._tactile  # updated in place by sense()
        self.normal_force = 0.0

    def build(self, env: ArmEnv) -> None:
        """The table, the pads' friction, and the reference down to where the pads touch."""
        robot = env.robot
        client = env.sim.client
        height = self.table_height
        half = [0.3, 0.4, height / 2]
        centre = [0.55, 0.0, height / 2]
        self.table = client.createMultiBody(
            baseMass=0.0,
            baseCollisionShapeIndex=client.createCollisionShape(
                pybullet.GEOM_BOX, halfExtents=half
            ),
            baseVisualShapeIndex=client.createVisualShape(
                pybullet.GEOM_BOX, halfExtents=half, rgbaColor=[0.6, 0.45, 0.3, 1.0]
            ),
            basePosition=centre,
        )
        client.changeDynamics(self.table, -1, lateralFriction=1.0)
        self.surface = self.table
        for link in PANDA_FINGER_LINKS:
            # The URDF gives the fingers friction anchors: a sticking contact point then keeps
            # the friction coefficient it was made with until it slips, and a change of the
            # table's friction (surface_friction) would not reach a pad that holds still.
            # Without them a held press is the same (lateral force within 2%).
            client.changeDynamics(robot.body, link, lateralFriction=1.0, frictionAnchor=0)
        # Height of the hand point above the surface when the pads touch it (hand
        # pointing down), as the collision detector sees it: at home, the hand
        # height minus the pads' closest distance to the table.
        robot.reset_joints(env.robot_model.q_home)
        gap = min(
            point[8]
            for link in PANDA_FINGER_LINKS
            for point in client.getClosestPoints(
                robot.body, self.table, distance=1.0, linkIndexA=link
            )
        )
        hand_offset = robot.hand_pos[2] - height - gap
        protocol: dict[str, Any] = {
            "start": np.asarray(robot.hand_pos),
            "press_point": self.press_point,
            "press_point_range": self.press_point_range,
            "surface_height": height,
            "hand_offset": hand_offset,
            "approach_height": self.approach_height,
            "approach_time": self.approach_time,
            "descend_time": self.descend_time,
            "step_time": env.dt * env.control_decimation,
        }
        if self.slide_amplitude > 0.0:
            self.reference = SlidingPressTask(
                **protocol, slide_amplitude=self.slide_amplitude, slide_period=self.slide_period
            )
        else:
            self.reference = PressTask(**protocol)
        self.success_radius = env.success_radius
        self._body = robot.body
        self._cid = env.sim.client_id
        self._pads = {link: index for index, link in enumerate(PANDA_FINGER_LINKS)}

    def observation_bounds(self, workspace_radius: float) -> dict[str, spaces.Space]:
        r = workspace_radius
        low = np.array([0.0, 0.0, -r, -r, -r] * 2, dtype=np.float32)
        high = np.array([MAX_OBSERVED_FORCE, 1.0, r, r, r] * 2, dtype=np.float32)
        return {"tactile": spaces.Box(low, high, dtype=np.float32)}

    def sense(self) -> None:
        """Aggregate the table contacts of each pad into the tactile vector."""
        contacts = _get_contact_points(
            bodyA=self._body, bodyB=self.table, physicsClientId=self._cid
        )
        if not contacts:  # in the air: the vector is zeros, written once
            if self.normal_force or any(self._tactile):
                self._tactile[:] = _NO_CONTACT
            self.normal_force = 0.0
            return
        force = [0.0, 0.0]
        weighted = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
        touching = [False, False]
        pads = self._pads
        for contact in contacts:
            pad = pads.get(contact[3])
            if pad is None:
                continue
            normal = contact[9]
            point = contact[5]
            touching[pad] = True
            force[pad] += normal
            w = weighted[pad]
            w[0] += normal * point[0]
            w[1] += normal * point[1]
            w[2] += normal * point[2]
        tactile = self._tactile
        for pad in (0, 1):
            total = force[pad]
            base = 5 * pad
            tactile[base] = min(total, MAX_OBSERVED_FORCE)
            tactile[base + 1] = 1.0 if touching[pad] else 0.0
            if total > 0.0:
                w = weighted[pad]
                tactile[base + 2 : base + 5] = [w[0] / total, w[1] / total, w[2] / total]
            elif touching[pad]:
                points = [c[5] for c in contacts if c[3] == PANDA_FINGER_LINKS[pad]]
                tactile[base + 2 : base + 5] = [
                    sum(c) / len(points) for c in zip(*points, strict=True)
                ]
            else:
                tactile[base + 2 : base + 5] = [0.0, 0.0, 0.0]
        self.normal_force = force[0] + force[1]

    def terms(self, info: dict[str, Any], distance: float) -> float:
        """Info entries ``phase``, ``normal_force``, ``target_force``; the force reward."""
        phase = self.reference.phase
        pressing = phase == PRESS
        force_error = abs(self.normal_force - self.target_force)
        reward_force = -self.force_weight * force_error / self.target_force if pressing else 0.0
        info["is_success"] = (
            pressing and force_error <= self.force_tolerance and distance <= self.success_radius
        )
        info["target_index"] = 0
        info["phase"] = phase
        info["normal_force"] = self.normal_force
        info["target_force"] = self.target_force
        info["reward_force"] = reward_force
        return reward_force
