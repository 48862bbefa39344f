"""The compiled base-controller laws against their NumPy formulas."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.kernels.control import laws as kernels


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_cholesky_solve_matches_numpy(n: int) -> None:
    rng = np.random.default_rng(n)
    a = _spd(rng, n)
    low = np.zeros((n, n))
    assert kernels.cholesky(a, low)
    np.testing.assert_allclose(low, np.linalg.cholesky(a), rtol=1e-12, atol=1e-12)
    b = rng.standard_normal((n, 3))
    x = b.copy()
    kernels.cholesky_solve(low, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    v = b[:, 0].copy()
    kernels.cholesky_solve(low, v)
    np.testing.assert_allclose(v, np.linalg.solve(a, b[:, 0]), rtol=1e-10, atol=1e-12)


def test_cholesky_refuses_an_indefinite_matrix() -> None:
    low = np.zeros((2, 2))
    assert not kernels.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]), low)


def _state(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    return rng.standard_normal(2 * n + 4 * d)


@pytest.mark.parametrize("feedforward", [False, True])
@pytest.mark.parametrize(("n", "d"), [(2, 2), (7, 3)])
def test_operational_space_torque_matches_numpy(n: int, d: int, feedforward: bool) -> None:
    rng = np.random.default_rng(10 * n + d)
    mass, jac, gravity = _spd(rng, n), rng.standard_normal((d, n)), rng.standard_normal(n)
    state, q_home = _state(rng, n, d), rng.standard_normal(n)
    kp, kd, kp0, kd0, lam, dt = 200.0, 28.0, 10.0, 6.3, 1e-3, 1e-3
    gains = np.array([kp, kd, kp0, kd0, lam, 1.0, float(feedforward), dt])
    previous, started = rng.standard_normal(d), np.ones(1, dtype=np.uint8)
    previous_before = previous.copy()
    tau, feedback = np.zeros(n), np.zeros(n)
    ok = kernels.operational_space_torque(
        mass, jac, gravity, state, q_home, gains, np.zeros((n, n)), np.zeros((n, d)),
        np.zeros((d, d)), np.zeros((d, d)), np.zeros(d), np.zeros((2, n)), previous, started,
        feedback, tau,
    )  # fmt: skip
    assert ok
    q, dq = state[:n], state[n : 2 * n]
    x, dx, x_ref, dx_ref = (state[2 * n + k * d : 2 * n + (k + 1) * d] for k in range(4))
    mj = np.linalg.solve(mass, jac.T)
    lam_inv = np.linalg.inv(jac @ mj + lam * np.eye(d))
    expected = jac.T @ lam_inv @ (kp * (x_ref - x) + kd * (dx_ref - dx)) + gravity
    if n > d:
        null_t = np.eye(n) - jac.T @ lam_inv @ mj.T
        expected += null_t @ mass @ (kp0 * (q_home - q) - kd0 * dq)
    np.testing.assert_allclose(feedback, expected - gravity, rtol=1e-9, atol=1e-9)
    if feedforward:  # the reference's acceleration through the model, not part of feedback
        expected += jac.T @ lam_inv @ ((dx_ref - previous_before) / dt)
        np.testing.assert_array_equal(previous, dx_ref)
    else:
        np.testing.assert_array_equal(previous, previous_before)
    np.testing.assert_allclose(tau, expected, rtol=1e-9, atol=1e-9)


def test_the_feedforward_is_zero_on_an_episodes_first_step() -> None:
    rng = np.random.default_rng(5)
    n, d = 2, 2
    mass, jac, state = _spd(rng, n), rng.standard_normal((d, n)), _state(rng, n, d)
    args = (np.zeros((n, n)), np.zeros((n, d)), np.zeros((d, d)), np.zeros((d, d)), np.zeros(d))
    taus = []
    for on in (0.0, 1.0):
        gains = np.array([200.0, 28.0, 10.0, 6.3, 1e-3, 0.0, on, 1e-3])
        started, previous, tau = np.zeros(1, dtype=np.uint8), np.zeros(d), np.zeros(n)
        assert kernels.operational_space_torque(
            mass, jac, np.zeros(n), state, np.zeros(n), gains, *args, np.zeros((2, n)),
            previous, started, np.zeros(n), tau,
        )  # fmt: skip
        taus.append(tau)
    np.testing.assert_array_equal(taus[0], taus[1])
    assert started[0] == 1
    np.testing.assert_array_equal(previous, state[2 * n + 3 * d :])


def test_joint_pd_torque_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    n, d = 7, 3
    jac, hand, gravity = rng.standard_normal((d, n)), rng.standard_normal(d), rng.standard_normal(n)
    state = _state(rng, n, d)
    kp, kd = rng.uniform(10, 50, n), rng.uniform(1, 5, n)
    q_ref = rng.standard_normal(n)
    q_ref0 = q_ref.copy()
    dq_ref, tau, feedback = np.zeros(n), np.zeros(n), np.zeros(n)
    k_ik, lam, dt = 50.0, 1e-4, 1e-3
    ok = kernels.joint_pd_torque(
        jac, hand, gravity, state, np.array([k_ik, lam, 0.0]), kp, kd, dt, q_ref, dq_ref,
        np.zeros((d, d)), np.zeros((d, d)), np.zeros(d), feedback, tau,
    )  # fmt: skip
    assert ok
    x_ref, dx_ref = state[2 * n + 2 * d : 2 * n + 3 * d], state[2 * n + 3 * d :]
    velocity = np.linalg.solve(jac @ jac.T + lam * np.eye(d), dx_ref + k_ik * (x_ref - hand))
    np.testing.assert_allclose(dq_ref, jac.T @ velocity, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(q_ref, q_ref0 + dt * jac.T @ velocity, rtol=1e-12)
    expected = kp * (q_ref - state[:n]) + kd * (dq_ref - state[n : 2 * n])  # gravity off
    np.testing.assert_allclose(tau, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(feedback, tau)


def test_unpack_and_clip() -> None:
    proprio = np.arange(6, dtype=np.float32)
    ee = np.array([10, 11, 12, 13], dtype=np.float32)
    goal = np.array([20, 21, 22, 23, 24, 25], dtype=np.float32)
    bounds = np.array([np.full(16, -100.0), np.full(16, 100.0)])
    state = np.zeros(12)
    assert kernels.unpack_arm_observation(proprio, ee, goal, bounds, state)
    np.testing.assert_array_equal(state, [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])
    before = state.copy()
    proprio[1] = np.nan
    assert not kernels.unpack_arm_observation(proprio, ee, goal, bounds, state)
    proprio[1] = 1.0
    goal[5] = 100.5  # out of bounds, and not even copied into state: still checked
    assert not kernels.unpack_arm_observation(proprio, ee, goal, bounds, state)
    np.testing.assert_array_equal(state, before)  # a refused observation writes nothing
    assert kernels.within_bounds(ee, bounds[0], bounds[1])
    assert not kernels.within_bounds(np.array([np.inf]), np.array([-np.inf]), np.array([np.inf]))
    action = np.zeros(3, dtype=np.float32)
    kernels.clip_action(np.array([5.0, -30.0, 0.0]), np.array([0.1, 0.1, 1.0]), action)
    np.testing.assert_array_equal(action, np.array([0.5, -1.0, 0.0], dtype=np.float32))


def test_negate_into_writes_minus_the_values_twice() -> None:
    values = np.array([1.5, -2.0, 0.0, 3e-300])
    out, copy = np.full(4, 9.0), np.full(4, 9.0)
    kernels.negate_into(values, out, copy)
    np.testing.assert_array_equal(out, np.negative(values))
    np.testing.assert_array_equal(copy, np.negative(values))
