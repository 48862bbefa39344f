"""The parts of the adaptive controller's internal model: the base's feedforward, the
sparse code (active fraction) and the fast, decaying readout; their bad values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.agents.adaptive import ACTIVE_FRACTION, AdaptiveController
from neurocontrol.agents.base_controllers import OperationalSpaceController
from neurocontrol.core.encoding import intercept_for_active_fraction
from neurocontrol.errors import ConfigError
from neurocontrol.loop.episode import run_episode
from neurocontrol.utils.statistics import rms

from .conftest import drive


def test_feedforward_adds_j_transpose_lambda_times_the_differenced_reference(
    planar, planar_observations
):
    plain = OperationalSpaceController.from_env(planar)
    fed = OperationalSpaceController.from_env(planar, feedforward=True)
    model = planar.unwrapped.robot_model
    n = model.n_joints
    before = None
    for k, obs in enumerate(planar_observations[:400]):
        tau_plain = plain.torque(obs).copy()
        tau_fed = fed.torque(obs).copy()
        np.testing.assert_array_equal(fed.feedback_torque, plain.feedback_torque)
        dx_ref = np.asarray(obs["goal"][2:4], dtype=np.float64)
        if k == 0:
            np.testing.assert_array_equal(tau_fed, tau_plain)  # no previous reference yet
        else:
            q = np.asarray(obs["proprio"][:n], dtype=np.float64)
            mass, jac = model.mass_matrix(q), model.jacobian(q)
            inverse = jac @ np.linalg.solve(mass, jac.T) + fed.damping * np.eye(2)
            expected = jac.T @ np.linalg.solve(inverse, (dx_ref - before) / fed.dt)
            np.testing.assert_allclose(tau_fed - tau_plain, expected, rtol=1e-7, atol=1e-9)
        before = dx_ref
    fed.reset(0)
    np.testing.assert_array_equal(fed.torque(planar_observations[5]), plain.torque(
        planar_observations[5]))  # fmt: skip


def test_feedforward_removes_most_of_the_base_controllers_lag(planar):
    errors = {}
    for feedforward in (False, True):
        base = OperationalSpaceController.from_env(planar, feedforward=feedforward)
        result = run_episode(planar, base, seed=0, max_steps=6000)
        errors[feedforward] = rms(result.trace["tracking_error"])
    assert errors[False] > 0.003  # the lag behind the minimum-jerk reference: mm
    assert errors[True] < 0.2 * errors[False], errors


@pytest.mark.parametrize("value", [1, "yes", None])
def test_feedforward_must_be_a_bool(planar, value):
    with pytest.raises(ConfigError, match=r"feedforward must be true or false, got"):
        OperationalSpaceController.from_env(planar, feedforward=value)


def test_the_default_adaptive_controller_has_the_feedforward_base_and_a_sparse_code(planar):
    agent = make_agent({"type": "adaptive_spiking", "n_neurons": 50}, planar, seed=0)
    assert agent.base.feedforward and agent.active_fraction == ACTIVE_FRACTION
    assert AdaptiveController.from_env(planar, n_neurons=50).base.feedforward
    low, high = intercept_for_active_fraction(ACTIVE_FRACTION[::-1], 4)
    assert agent.tuning.intercepts == pytest.approx((low, high))
    assert agent.spec()["intercepts"] is None
    given = make_agent(
        {"type": "adaptive_spiking", "n_neurons": 50, "intercepts": [-1, 0.9]}, planar
    )
    assert given.active_fraction is None and given.tuning.intercepts == (-1.0, 0.9)


@pytest.mark.parametrize("dimensions", [1, 2, 4, 14])
def test_intercept_for_active_fraction_gives_that_share_of_the_ball(dimensions):
    rng = np.random.default_rng(dimensions)
    points = rng.standard_normal((200_000, dimensions))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    points *= rng.random((points.shape[0], 1)) ** (1.0 / dimensions)  # uniform in the ball
    for fraction in (0.02, 0.1, 0.5, 0.9):
        intercept = intercept_for_active_fraction(fraction, dimensions)
        assert np.mean(points[:, 0] > intercept) == pytest.approx(fraction, abs=4e-3)
    assert intercept_for_active_fraction(0.5, dimensions) == pytest.approx(0.0, abs=1e-9)
    assert intercept_for_active_fraction(0.1, 1) == pytest.approx(0.8, abs=1e-6)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5, math.nan, [0.2, 1.0], []])
def test_intercept_for_an_active_fraction_outside_zero_one_is_refused(fraction):
    with pytest.raises(ConfigError, match=r"active fraction must be in \(0, 1\)"):
        intercept_for_active_fraction(fraction, 4)


@pytest.mark.parametrize(
    "value", [(0.0, 0.5), (0.1, 1.0), (0.5, 0.2), (-0.1, 0.3), "sparse", (0.1,), (math.nan, 0.5)]
)
def test_a_bad_active_fraction_is_refused(planar, value):
    with pytest.raises(ConfigError, match=r"active_fraction must be a pair \(low, high\) with 0 <"):
        AdaptiveController.from_env(planar, n_neurons=20, active_fraction=value)


def test_intercepts_and_active_fraction_together_are_refused(planar):
    with pytest.raises(ConfigError, match=r"give intercepts or active_fraction, not both"):
        AdaptiveController.from_env(
            planar, n_neurons=20, intercepts=(0.0, 0.5), active_fraction=(0.1, 0.2)
        )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("fast_learning_rate", -1e-3, r"fast_learning_rate must be .*>= 0"),
        ("fast_decay_tau", 0.0, r"fast_decay_tau must be .*> 0"),
        ("fast_decay_tau", -1.0, r"fast_decay_tau must be .*> 0"),
        ("fast_decay_period", 0.0, r"fast_decay_period must be .*> 0"),
        ("fast_decay_period", math.nan, r"fast_decay_period must be .*> 0"),
        ("learning_rate", -1e-3, r"learning_rate must be .*>= 0"),
    ],
)
def test_bad_learning_parameters_are_refused(planar, key, value, message):
    with pytest.raises(ConfigError, match=message):
        AdaptiveController.from_env(planar, n_neurons=20, **{key: value})


@pytest.mark.parametrize("neurons", ["spiking", "rate"])
def test_the_fast_readout_learns_from_the_same_error_and_forgets(
    planar, planar_observations, neurons
):
    agent = AdaptiveController.from_env(
        planar,
        n_neurons=80,
        neurons=neurons,
        learning_rate=1e-3,
        fast_learning_rate=2e-2,
        fast_decay_tau=0.2,
        seed=1,
    )
    sim = agent.simulator
    drive(agent, planar_observations[:400])
    np.testing.assert_array_equal(sim.third_factor("fast.pes"), agent.error)
    fast = sim.weight_matrix("fast")
    assert np.any(fast != 0.0) and np.any(agent.decoders != 0.0)
    assert sim.state["fast.pes.params"][5] == pytest.approx(math.exp(-1e-2 / 0.2))  # 10 ms
    # the fast readout takes the error more quickly than the slow one (same error, 20x rate)
    assert np.abs(fast).sum() > 2.0 * np.abs(agent.decoders).sum()
    slow = agent.decoders.copy()
    agent.set_learning(False)
    drive(agent, planar_observations[400:450])
    # frozen: the slow readout keeps its decoders, the fast one goes on forgetting
    np.testing.assert_array_equal(agent.decoders, slow)
    np.testing.assert_allclose(sim.weight_matrix("fast"), fast * math.exp(-50e-3 / 0.2), rtol=1e-5)
