"""The Panda's compiled nominal dynamics against PyBullet's, and the chain they are read into."""

from __future__ import annotations

import json
import subprocess
import sys

import gymnasium
import numpy as np
import pybullet
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurocontrol  # noqa: F401  (registers the ids)
from neurocontrol.envs.robots import PandaModel
from neurocontrol.envs.robots.panda import (
    PANDA_ARM_JOINTS,
    PANDA_FINGER_JOINTS,
    PANDA_FINGER_OPENING,
    PANDA_HAND_LINK,
    PANDA_Q_HOME,
)
from neurocontrol.envs.robots.rigid_body import read_serial_chain
from neurocontrol.errors import ConfigError, ShapeError

TOLERANCE = {"rtol": 1e-9, "atol": 1e-10}
HELD_FINGERS = dict.fromkeys(PANDA_FINGER_JOINTS, PANDA_FINGER_OPENING)


@pytest.fixture(scope="module")
def panda():
    model = PandaModel()
    yield model
    model.close()


def _bullet_dynamics(model: PandaModel, q: np.ndarray) -> tuple[np.ndarray, ...]:
    """M, J and g from PyBullet's three functions on the model's private client."""
    full = [*np.asarray(q, dtype=np.float64).tolist(), PANDA_FINGER_OPENING, PANDA_FINGER_OPENING]
    zeros = [0.0] * 9
    cid = model._cid
    mass = pybullet.calculateMassMatrix(model._body, full, physicsClientId=cid)
    linear, _ = pybullet.calculateJacobian(
        model._body, PANDA_HAND_LINK, [0.0] * 3, full, zeros, zeros, physicsClientId=cid
    )
    tau = pybullet.calculateInverseDynamics(model._body, full, zeros, zeros, physicsClientId=cid)
    # rows and columns 7 and 8 are the finger joints
    return np.array(mass)[:7, :7], np.array(linear)[:, :7], np.array(tau)[:7]


def _assert_equals_pybullet(model: PandaModel, q: np.ndarray) -> None:
    expected = _bullet_dynamics(model, q)
    for got, want, name in zip(model.dynamics(q), expected, ("M", "J", "g"), strict=True):
        np.testing.assert_allclose(got, want, **TOLERANCE, err_msg=f"{name} at q = {q.tolist()}")


def _fixed_configurations(model: PandaModel) -> list[np.ndarray]:
    return [
        np.array(PANDA_Q_HOME),
        model.q_lower.copy(),
        model.q_upper.copy(),
        0.5 * (model.q_lower + model.q_upper),
    ]


def test_compiled_dynamics_equal_pybullet_at_fixed_configurations(panda: PandaModel) -> None:
    for q in _fixed_configurations(panda):
        _assert_equals_pybullet(panda, q)


@settings(max_examples=30, deadline=None)
@given(fractions=st.lists(st.floats(0.0, 1.0), min_size=7, max_size=7))
def test_compiled_dynamics_equal_pybullet_within_the_joint_limits(
    panda: PandaModel, fractions: list[float]
) -> None:
    q = panda.q_lower + (panda.q_upper - panda.q_lower) * np.array(fractions)
    _assert_equals_pybullet(panda, q)


def test_mass_matrix_is_symmetric_positive_definite(panda: PandaModel) -> None:
    rng = np.random.default_rng(5)
    span = panda.q_upper - panda.q_lower
    for q in [panda.q_lower + span * rng.uniform(size=7) for _ in range(20)]:
        mass = panda.mass_matrix(q)
        np.testing.assert_array_equal(mass, mass.T)
        assert np.linalg.eigvalsh(mass).min() > 0.0


def test_gravity_is_the_weight_of_the_outboard_links_only(panda: PandaModel) -> None:
    # the first joint's axis is vertical: gravity never loads it
    rng = np.random.default_rng(6)
    span = panda.q_upper - panda.q_lower
    for q in [panda.q_lower + span * rng.uniform(size=7) for _ in range(5)]:
        assert abs(panda.gravity(q)[0]) < 1e-12


@pytest.mark.parametrize(
    ("q", "match"),
    [
        (np.zeros(6), "7 Panda joint angles .*got 6 values"),
        ([0.0] * 8, "7 Panda joint angles .*got 8 values"),
        (np.zeros((1, 7)), r"7 Panda joint angles .*shape \(1, 7\)"),
    ],
    ids=["six", "eight", "row"],
)
def test_a_wrong_number_of_angles_raises_shape_error(panda: PandaModel, q, match: str) -> None:
    for method in (panda.dynamics, panda.mass_matrix, panda.jacobian, panda.gravity):
        with pytest.raises(ShapeError, match=match):
            method(q)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_a_non_finite_angle_raises_and_writes_nothing(panda: PandaModel, bad: float) -> None:
    owned = panda.dynamics(PANDA_Q_HOME)
    kept = [array.copy() for array in owned]
    q = np.array(PANDA_Q_HOME)
    q[3] = bad
    with pytest.raises(ConfigError, match=r"q must be finite .*q\[3\] = "):
        panda.dynamics(q)
    with pytest.raises(ConfigError, match=r"q\[3\]"):
        panda.gravity(q.tolist())
    for array, before in zip(owned, kept, strict=True):
        np.testing.assert_array_equal(array, before)


def test_single_quantities_do_not_overwrite_what_dynamics_returned(panda: PandaModel) -> None:
    mass, jacobian, gravity = panda.dynamics(PANDA_Q_HOME)
    kept = [mass.copy(), jacobian.copy(), gravity.copy()]
    other = panda.q_lower + 0.3 * (panda.q_upper - panda.q_lower)
    panda.mass_matrix(other), panda.jacobian(other), panda.gravity(other)
    for array, before in zip((mass, jacobian, gravity), kept, strict=True):
        np.testing.assert_array_equal(array, before)


def test_the_model_stays_nominal_under_a_payload(panda: PandaModel) -> None:
    env = gymnasium.make(
        "neurocontrol/ArmReach-v0", perturbation={"kind": "payload", "mass": 1.0}
    ).unwrapped
    env.reset(seed=0)
    env.step(np.zeros(7, np.float32))
    assert env.robot.hand_mass() == 1.0  # the simulated hand point (massless as built) carries it
    q = np.array(env.robot.q)
    for got, want in zip(env.robot_model.dynamics(q), panda.dynamics(q), strict=True):
        np.testing.assert_array_equal(got, want)
    env.close()


_IMPORTS = """
import json, sys
import gymnasium, numpy as np
import neurocontrol
env = gymnasium.make("neurocontrol/ArmReach-v0").unwrapped
env.reset(seed=0)
before = "numba" in sys.modules
env.robot_model.dynamics(np.array(env.robot.q))
print(json.dumps([before, "numba" in sys.modules]))
env.close()
"""


def test_numba_is_imported_at_the_first_dynamics_not_by_the_env() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [False, True]


def test_the_chain_merges_hand_and_fingers_into_the_last_body(panda: PandaModel) -> None:
    client, body = panda._client, panda._body
    chain = read_serial_chain(client, body, PANDA_ARM_JOINTS, HELD_FINGERS, PANDA_HAND_LINK)
    links = [client.getDynamicsInfo(body, link)[0] for link in range(client.getNumJoints(body))]
    assert chain.n_joints == 7
    np.testing.assert_allclose(chain.masses[:6], links[:6])
    # link 7 and the hand, both fingers and the grasp target move with joint 7
    np.testing.assert_allclose(chain.masses[6], sum(links[6:]))


@pytest.mark.parametrize(
    ("joints", "held", "point", "match"),
    [
        ((0, 1, 2, 3, 4, 6, 5), HELD_FINGERS, PANDA_HAND_LINK, "not a serial chain"),
        ((0, 1, 2, 3, 4, 5, 10), {6: 0.0, 9: 0.01}, PANDA_HAND_LINK, "not a serial chain"),
        (PANDA_ARM_JOINTS, {9: PANDA_FINGER_OPENING}, PANDA_HAND_LINK, "joint 10 moves"),
        (PANDA_ARM_JOINTS, HELD_FINGERS, 5, "link 5 must move with joint 6"),
        (PANDA_ARM_JOINTS, HELD_FINGERS, 40, r"has no links \[40\]"),
    ],
    ids=["order", "prismatic", "not-held", "point", "missing"],
)
def test_a_body_that_is_not_the_chain_asked_for_raises(
    panda: PandaModel, joints, held, point: int, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        read_serial_chain(panda._client, panda._body, joints, held, point)
