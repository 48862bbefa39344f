"""Physics sanity of the arms under torque control, on real PyBullet."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import pytest

import neurocontrol  # noqa: F401  (registers the ids)
from neurocontrol.envs.robots.planar_arm import PlanarArmModel


def make(env_id: str, **kwargs):
    return gymnasium.make(f"neurocontrol/{env_id}-v0", **kwargs).unwrapped


def run(env, torques: np.ndarray, steps: int) -> list[dict]:
    """Step with fixed joint torques (N·m); return the infos, with the hand position."""
    action = (torques / env.robot_model.torque_limit).astype(np.float32)
    infos = []
    for _ in range(steps):
        observation, _, _, _, info = env.step(action)
        info["hand"] = observation["ee"][: env.dim].astype(np.float64)
        infos.append(info)
    return infos


def test_planar_arm_stays_put_at_zero_torque() -> None:
    env = make("PlanarReach")
    observation, _ = env.reset(seed=0)
    start = observation["proprio"].copy()
    for _ in range(2000):
        observation, *_ = env.step(np.zeros(2, np.float32))
    np.testing.assert_array_equal(observation["proprio"], start)
    env.close()


def test_planar_model_equals_pybullet_dynamics() -> None:
    env = make("PlanarReach")
    model = env.robot_model
    client = env.sim.client
    for q, dq in [((0.3, 0.5), (0.4, -0.7)), ((1.2, 2.1), (-1.0, 2.0))]:
        mass = np.array(client.calculateMassMatrix(env.robot.body, list(q)))
        np.testing.assert_allclose(model.mass_matrix(np.array(q)), mass, atol=1e-12)
        bias = client.calculateInverseDynamics(env.robot.body, list(q), list(dq), [0.0, 0.0])
        np.testing.assert_allclose(model.coriolis(np.array(q), np.array(dq)), bias, atol=1e-12)
    env.close()


def test_planar_inverse_kinematics_inverts_the_hand_position() -> None:
    model = PlanarArmModel()
    for q in ([0.3, 0.5], [1.0, 2.0], [np.pi / 4, np.pi / 2]):
        hand = model.hand_position(np.array(q))
        np.testing.assert_allclose(model.inverse_kinematics(hand), q, atol=1e-12)


def test_panda_falls_at_zero_torque_and_holds_with_gravity_compensation() -> None:
    falling = make("ArmReach")
    observation, _ = falling.reset(seed=0)
    height = observation["ee"][2]
    infos = run(falling, np.zeros(7), 300)
    assert infos[-1]["hand"][2] < height - 0.05
    falling.close()

    holding = make("ArmReach", gravity_compensation=True)
    observation, _ = holding.reset(seed=0)
    start = observation["ee"][:3].astype(np.float64)
    infos = run(holding, np.zeros(7), 1000)
    assert np.linalg.norm(infos[-1]["hand"] - start) < 1e-4
    np.testing.assert_allclose(
        infos[-1]["tau_cmd"], holding.robot_model.gravity(holding.robot.q), atol=1e-6
    )
    holding.close()


def _kinetic_energy(env) -> float:
    q, dq = np.array(env.robot.q), np.array(env.robot.dq)
    return 0.5 * dq @ env.robot_model.mass_matrix(q) @ dq


def test_curl_field_pushes_perpendicular_to_hand_velocity() -> None:
    strength = 20.0
    paths = {}
    for field in (0.0, strength):
        env = make("PlanarReach", perturbation={"kind": "curl_field", "strength": field})
        env.reset(seed=0)
        env.robot.reset_joints(env.robot_model.q_home, [1.0, -1.0])
        energy = _kinetic_energy(env)
        velocity = np.array(env.robot.hand_vel[:2])
        infos = run(env, np.zeros(2), 60)
        # a force perpendicular to the velocity does no work
        assert _kinetic_energy(env) == pytest.approx(energy, rel=0.02)
        paths[field] = (infos[-1]["hand"], velocity)
        env.close()
    (free, velocity), (pushed, _) = paths[0.0], paths[strength]
    deviation = pushed - free
    expected = strength * np.array([velocity[1], -velocity[0]])  # F = b (v_y, -v_x)
    assert np.linalg.norm(deviation) > 1e-3
    cosine = deviation @ expected / (np.linalg.norm(deviation) * np.linalg.norm(expected))
    assert cosine > 0.9


def test_payload_slows_a_reach_under_the_same_torques() -> None:
    travelled = {}
    for mass in (0.0, 2.0):
        env = make("PlanarReach", perturbation={"kind": "payload", "mass": mass})
        observation, _ = env.reset(seed=0)
        start = observation["ee"][:2].astype(np.float64)
        infos = run(env, np.array([2.0, 1.0]), 200)
        travelled[mass] = np.linalg.norm(infos[-1]["hand"] - start)
        env.close()
    assert travelled[2.0] < 0.7 * travelled[0.0]


def test_payload_makes_the_gravity_compensated_panda_sag_and_reset_removes_it() -> None:
    env = make("ArmReach", gravity_compensation=True)
    nominal = env.robot.hand_mass()
    observation, _ = env.reset(seed=0, options={"perturbation": {"kind": "payload", "mass": 1.0}})
    assert env.robot.hand_mass() == pytest.approx(nominal + 1.0)
    infos = run(env, np.zeros(7), 300)
    assert infos[-1]["hand"][2] < observation["ee"][2] - 0.01
    env.reset(seed=0)
    assert env.robot.hand_mass() == pytest.approx(nominal)
    env.close()


def _press_action(
    model: Any, observation: dict, pressing: bool, load: float, push: float | None = None
) -> np.ndarray:
    """Operational-space control of the Panda's hand onto its reference, pressing with ``load``.

    While ``pressing``, z only pushes down with ``load`` N (no position servo); with
    ``push`` (N) the hand is pushed along +y instead of servoed there. Posture in the
    null space, nominal gravity compensation.
    """
    q = observation["proprio"][:7].astype(np.float64)
    dq = observation["proprio"][7:14].astype(np.float64)
    hand, velocity = observation["ee"][:3], observation["ee"][3:]
    reference, reference_velocity = observation["goal"][:3], observation["goal"][3:6]
    jacobian, mass = model.jacobian(q), model.mass_matrix(q)
    inverse_mass = np.linalg.inv(mass)
    task_inertia = np.linalg.inv(jacobian @ inverse_mass @ jacobian.T)
    acceleration = 400.0 * (reference - hand) + 40.0 * (reference_velocity - velocity)
    if pressing:
        acceleration[2] = -40.0 * velocity[2]
    if push is not None:
        acceleration[1] = -40.0 * velocity[1]
    force = task_inertia @ acceleration
    if pressing:
        force[2] -= load
    if push is not None:
        force[1] += push
    null = np.eye(7) - jacobian.T @ (inverse_mass @ jacobian.T @ task_inertia).T
    tau = jacobian.T @ force + null @ (mass @ (50.0 * (model.q_home - q) - 10.0 * dq))
    tau += model.gravity(q)
    return np.clip(tau / model.torque_limit, -1.0, 1.0).astype(np.float32)


def test_press_pad_force_at_rest_matches_the_applied_load() -> None:
    load = 10.0
    env = make("ArmPress", target_force=load)
    model = env.robot_model
    observation, _ = env.reset(seed=0)
    for _ in range(3000):
        action = _press_action(model, observation, env.task.phase == 2, load)
        observation, _, terminated, _, info = env.step(action)
        assert not terminated
    tactile = observation["tactile"]
    total = tactile[0] + tactile[5]
    assert total == pytest.approx(load, rel=0.05)
    assert info["normal_force"] == pytest.approx(total, rel=1e-5)
    assert max(tactile[1], tactile[6]) == 1.0
    touching = 0 if tactile[1] else 1
    point = tactile[5 * touching + 2 : 5 * touching + 5]
    assert point[2] == pytest.approx(env.task.surface_height, abs=3e-3)
    assert info["is_success"]
    env.close()


def test_tactile_is_zero_without_contact() -> None:
    env = make("ArmPress", gravity_compensation=True)
    observation, _ = env.reset(seed=0)
    np.testing.assert_array_equal(observation["tactile"], np.zeros(10, np.float32))
    env.close()


def test_torque_control_has_no_hidden_motor_or_damping() -> None:
    env = make("PlanarReach")
    env.reset(seed=0)
    # a torque impulse gives exactly the analytic acceleration: no motor, no damping
    tau = np.array([1.0, -0.5])
    run(env, tau, 1)
    mass = env.robot_model.mass_matrix(env.robot_model.q_home)
    acceleration = np.linalg.solve(mass, tau)
    # semi-implicit Euler from rest: dq = dt * M(q0)^-1 tau (up to Bullet rounding)
    np.testing.assert_allclose(np.array(env.robot.dq) / env.dt, acceleration, rtol=1e-6)
    # and a moving arm keeps its kinetic energy at zero torque (no damping anywhere)
    env.robot.reset_joints(env.robot_model.q_home, [0.5, -0.3])  # clear of the limits
    energy = _kinetic_energy(env)
    run(env, np.zeros(2), 1000)
    assert _kinetic_energy(env) == pytest.approx(energy, rel=1e-3)
    env.close()


def test_payload_is_a_point_mass_at_the_hand() -> None:
    mass = 1.5
    env = make("PlanarReach", perturbation={"kind": "payload", "mass": mass})
    env.reset(seed=0)
    tau = np.array([1.0, -0.5])
    run(env, tau, 1)
    model = env.robot_model
    q_home = model.q_home
    jacobian = model.jacobian(q_home)
    loaded = model.mass_matrix(q_home) + mass * jacobian.T @ jacobian
    np.testing.assert_allclose(
        np.array(env.robot.dq) / env.dt, np.linalg.solve(loaded, tau), rtol=1e-6
    )
    env.close()


def test_curl_field_pushes_the_panda_hand_sideways() -> None:
    ends = {}
    for strength in (0.0, 30.0):
        env = make("ArmReach", gravity_compensation=True)
        env.reset(seed=0, options={"perturbation": {"kind": "curl_field", "strength": strength}})
        env.robot.reset_joints(env.robot_model.q_home, [0.5, 0, 0, 0, 0, 0, 0])  # hand moves +y
        velocity = np.array(env.robot.hand_vel)
        ends[strength] = run(env, np.zeros(7), 50)[-1]["hand"]
        env.close()
    deviation = ends[30.0] - ends[0.0]
    expected = np.array([velocity[1], -velocity[0], 0.0])  # horizontal, right of the motion
    cosine = deviation @ expected / (np.linalg.norm(deviation) * np.linalg.norm(expected))
    assert cosine > 0.8


def _press_then_push(friction: float | None, push: float, load: float = 10.0) -> dict:
    """Press the pads on the table with ``load`` N, then push the hand along +y with ``push`` N.

    Operational-space control holds the hand on its reference (x, and y until the push),
    z only pushes down with the load; the table friction is set to ``friction`` as the
    push starts (None: left nominal). Returns the hand's y travel over 0.3 s of pushing,
    the mean normal force then, and the last contact's normal and lateral forces.
    """
    env = make("ArmPress", target_force=load)
    model = env.robot_model
    observation, _ = env.reset(seed=0)
    start_push, steps = 2500, 2800
    forces, y_start = [], 0.0
    for step in range(steps):
        pushing = step >= start_push
        if step == start_push:
            y_start = float(observation["ee"][1])
            if friction is not None:
                env.set_perturbation({"kind": "surface_friction", "friction": friction})
        action = _press_action(
            model, observation, env.task.phase == 2, load, push if pushing else None
        )
        observation, _, terminated, _, info = env.step(action)
        assert not terminated
        if pushing:
            forces.append(info["normal_force"])
    contacts = env.sim.client.getContactPoints(bodyA=env.robot.body, bodyB=env.table)
    env.close()
    return {
        "travel": float(observation["ee"][1]) - y_start,
        "normal": float(np.mean(forces)),
        "contact_normal": sum(c[9] for c in contacts),
        "contact_lateral": abs(sum(c[10] for c in contacts)),
    }


def test_table_friction_limits_the_tangential_load_of_a_press() -> None:
    """Coulomb friction: a 3 N push holds at mu = 1 (limit ~10 N) and slips at mu = 0.1,
    the friction force then at mu F_n; the normal force is the same either way."""
    held = _press_then_push(None, push=3.0)
    slipped = _press_then_push(0.1, push=3.0)  # dropped while the pads stick
    assert abs(held["travel"]) < 1e-4
    assert slipped["travel"] > 2e-3
    assert slipped["contact_lateral"] == pytest.approx(0.1 * slipped["contact_normal"], rel=0.1)
    # sticking, the contact takes most of the push, inside its cone mu F_n
    assert 1.5 < held["contact_lateral"] < 1.0 * held["contact_normal"]
    for run_ in (held, slipped):
        assert run_["normal"] == pytest.approx(10.0, rel=0.05)
