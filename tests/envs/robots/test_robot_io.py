"""A robot's joint I/O (send torques, read q/dq and the hand) against PyBullet called directly."""

from __future__ import annotations

import numpy as np
import pybullet
import pytest

from neurocontrol.envs.robots import Panda, PlanarArm
from neurocontrol.envs.sim import BulletSim

ROBOTS = {"planar": PlanarArm, "panda": Panda}


@pytest.fixture(params=sorted(ROBOTS))
def robot(request: pytest.FixtureRequest):
    sim = BulletSim(0.001)
    try:
        arm = ROBOTS[request.param](sim)
        arm.reset_joints(arm.nominal_model().q_home)
        yield arm
    finally:
        sim.close()


def _joint_states(robot) -> tuple[list[float], list[float]]:
    states = pybullet.getJointStates(robot.body, robot.joints, physicsClientId=robot.sim.client_id)
    return [s[0] for s in states], [s[1] for s in states]


def test_the_robot_steps_as_pybullet_called_directly_and_reads_what_it_holds(robot) -> None:
    # a twin world driven by direct PyBullet calls: the same torques give the same states
    twin_sim = BulletSim(0.001)
    try:
        twin = type(robot)(twin_sim)
        twin.reset_joints(robot.q)
        cid, twin_cid = robot.sim.client_id, twin_sim.client_id
        rng = np.random.default_rng(1)
        for k in range(30):
            tau = rng.uniform(-1.0, 1.0, robot.n_joints).tolist()
            if k % 3:  # every third step sends nothing: a torque lasts one physics step
                robot.send_torques(tau)
                pybullet.setJointMotorControlArray(
                    twin.body,
                    twin.joints,
                    pybullet.TORQUE_CONTROL,
                    forces=tau,
                    physicsClientId=twin_cid,
                )
            pybullet.stepSimulation(physicsClientId=cid)
            pybullet.stepSimulation(physicsClientId=twin_cid)
            robot.read_state()
            assert (robot.q, robot.dq) == _joint_states(twin)
            assert type(robot.q) is list and type(robot.dq) is list
            link = pybullet.getLinkState(
                robot.body,
                robot.hand_link,
                computeLinkVelocity=1,
                computeForwardKinematics=1,
                physicsClientId=cid,
            )
            # the planar arm's closed-form kinematics equal PyBullet's to rounding
            np.testing.assert_allclose(robot.hand_pos, link[4], atol=1e-9)
            np.testing.assert_allclose(robot.hand_vel, link[6], atol=1e-9)
        assert robot.dq != [0.0] * robot.n_joints  # the torques moved it
    finally:
        twin_sim.close()


def test_reset_joints_teleports_and_refreshes_the_state(robot) -> None:
    q = (np.asarray(robot.q) + 0.1).tolist()
    dq = [0.5] * robot.n_joints
    robot.reset_joints(q, dq)
    assert (robot.q, robot.dq) == _joint_states(robot)
    np.testing.assert_allclose(robot.q, q, atol=1e-12)


def test_each_robot_names_its_env_defaults_and_its_nominal_model(robot) -> None:
    model = robot.nominal_model()
    try:
        assert model.n_joints == robot.n_joints
        np.testing.assert_allclose(
            model.hand_position(robot.q)[: model.dim], robot.hand_pos[: model.dim], atol=1e-9
        )
        assert robot.workspace_radius > 0 and robot.max_joint_velocity > 0
        assert robot.success_radius > 0 and len(robot.camera) == 4
        origin, nearest, farthest = robot.reach_shell
        assert len(origin) == model.dim and 0 <= nearest < farthest
    finally:
        if hasattr(model, "close"):
            model.close()
