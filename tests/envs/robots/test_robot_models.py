"""The nominal robot models' batched ``dynamics`` and cheap ``hand_position``."""

from __future__ import annotations

import numpy as np
import pybullet
import pytest

from neurocontrol.envs.robots import PandaModel, PlanarArmModel, RobotModel
from neurocontrol.envs.robots.panda import (
    PANDA_ARM_JOINTS,
    PANDA_FINGER_JOINTS,
    PANDA_FINGER_OPENING,
    PANDA_HAND_LINK,
)
from neurocontrol.errors import ShapeError


@pytest.fixture(scope="module")
def panda():
    model = PandaModel()
    yield model
    model.close()


@pytest.fixture(params=["planar", "panda"])
def model(request: pytest.FixtureRequest, panda: PandaModel):
    return PlanarArmModel() if request.param == "planar" else panda


def _configurations(model) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    span = model.q_upper - model.q_lower
    return [model.q_home] + [
        model.q_lower + span * rng.uniform(size=model.n_joints) for _ in range(4)
    ]


def test_dynamics_equals_the_separate_calls_exactly(model) -> None:
    assert isinstance(model, RobotModel)
    n, d = model.n_joints, model.dim
    for q in _configurations(model):
        mass, jacobian, gravity = model.dynamics(q)
        assert mass.shape == (n, n) and jacobian.shape == (d, n) and gravity.shape == (n,)
        np.testing.assert_array_equal(mass, model.mass_matrix(q))
        np.testing.assert_array_equal(jacobian, model.jacobian(q))
        np.testing.assert_array_equal(gravity, model.gravity(q))
        # a list gives the same values as an array
        for got, want in zip(model.dynamics(q.tolist()), (mass, jacobian, gravity), strict=True):
            np.testing.assert_array_equal(got, want)


def test_dynamics_writes_into_arrays_the_model_owns(model) -> None:
    first_q, second_q = _configurations(model)[:2]
    first = model.dynamics(first_q)
    kept = [array.copy() for array in first]
    second = model.dynamics(second_q)
    assert all(a is b for a, b in zip(first, second, strict=True))  # same objects
    assert not np.array_equal(first[0], kept[0])  # overwritten by the next call
    for array in second:
        assert array.dtype == np.float64 and array.flags.c_contiguous


def _hand_position_one_joint_at_a_time(model: PandaModel, q: np.ndarray) -> np.ndarray:
    """The previous implementation: one ``resetJointState`` per joint."""
    full = [*q.tolist(), PANDA_FINGER_OPENING, PANDA_FINGER_OPENING]
    for joint, value in zip(PANDA_ARM_JOINTS + PANDA_FINGER_JOINTS, full, strict=True):
        pybullet.resetJointState(model._body, joint, value, 0.0, physicsClientId=model._cid)
    state = pybullet.getLinkState(
        model._body, PANDA_HAND_LINK, computeForwardKinematics=1, physicsClientId=model._cid
    )
    return np.array(state[4])


def test_panda_hand_position_matches_the_joint_by_joint_reset(panda: PandaModel) -> None:
    for q in _configurations(panda):
        fast = panda.hand_position(q)
        assert fast.shape == (3,)
        np.testing.assert_array_equal(fast, _hand_position_one_joint_at_a_time(panda, q))
    # the private body does not keep a stale pose between calls
    np.testing.assert_array_equal(
        panda.hand_position(panda.q_home), _hand_position_one_joint_at_a_time(panda, panda.q_home)
    )


def test_panda_model_rejects_a_wrong_number_of_joint_angles(panda: PandaModel) -> None:
    with pytest.raises(ShapeError, match="7 Panda joint angles"):
        panda.dynamics(np.zeros(6))
    with pytest.raises(ShapeError, match="got 9 values"):
        panda.hand_position([0.0] * 9)


def test_planar_model_dynamics_rejects_a_wrong_number_of_joint_angles() -> None:
    model = PlanarArmModel()
    with pytest.raises(ShapeError, match=r"q must have shape \(2,\), got \(3,\)"):
        model.dynamics(np.zeros(3))
    with pytest.raises(ShapeError, match=r"q must have shape \(2,\), got \(1, 2\)"):
        model.dynamics([[0.1, 0.2]])
    with pytest.raises(ShapeError, match="q must be numeric"):
        model.dynamics(["a", "b"])
