"""The base controllers on the real envs: they track the reference, and the nominal model
does not follow a perturbation (so the perturbation shows up as tracking error)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.agents.base_controllers import JointPDController, OperationalSpaceController
from neurocontrol.errors import ConfigError, ObservationError
from neurocontrol.loop.episode import run_episode

CURL = {"kind": "curl_field", "strength": 15.0}


@pytest.fixture(scope="module")
def planar():
    env = gym.make("neurocontrol/PlanarReach-v0")
    yield env
    env.close()


@pytest.mark.parametrize("controller", [OperationalSpaceController, JointPDController])
def test_base_controller_tracks_planar_reference(planar, controller) -> None:
    agent = controller.from_env(planar)
    clean = run_episode(planar, agent, seed=1, max_steps=3000)
    curl = run_episode(planar, agent, seed=1, max_steps=3000, options={"perturbation": CURL})
    rms_clean = clean.summary()["rms_tracking_error_m"]
    rms_curl = curl.summary()["rms_tracking_error_m"]
    assert not clean.terminated and clean.steps == 3000
    assert rms_clean < 0.01  # under 1 cm while reaching 10 cm targets
    assert rms_curl > 1.25 * rms_clean  # the field is not in the nominal model
    assert np.all(np.abs(clean.trace["action"]) <= 1.0)


def test_operational_space_controller_on_panda() -> None:
    env = gym.make("neurocontrol/ArmReach-v0")
    try:
        agent = OperationalSpaceController.from_env(env)
        result = run_episode(env, agent, seed=0, max_steps=2000)
        assert result.summary()["rms_tracking_error_m"] < 0.01
        assert not result.terminated
    finally:
        env.close()


def test_env_gravity_compensation_is_not_added_twice() -> None:
    env = gym.make("neurocontrol/ArmReach-v0", gravity_compensation=True)
    try:
        agent = OperationalSpaceController.from_env(env)
        assert agent.gravity_compensation is False
    finally:
        env.close()


def test_base_controller_errors(planar) -> None:
    with pytest.raises(ConfigError, match="kp must be a finite number > 0"):
        OperationalSpaceController.from_env(planar, kp=-1.0)
    with pytest.raises(ConfigError, match=r"kd\[1\] must be a finite number >= 0"):
        JointPDController.from_env(planar, kd=[1.0, -2.0])
    agent = OperationalSpaceController.from_env(planar)
    obs, _ = planar.reset(seed=0)
    with pytest.raises(ObservationError, match=r"expects observation key 'goal'"):
        agent.act({"proprio": obs["proprio"], "ee": obs["ee"]})
    with pytest.raises(
        ObservationError, match=r"\['proprio'\] expects an observation of shape \(6,\)"
    ):
        agent.act({**obs, "proprio": np.zeros(5, np.float32)})
    batched = {k: np.stack([v, v]) for k, v in obs.items()}
    with pytest.raises(ObservationError, match="expects an observation of shape"):
        agent.predict(batched)
    action, state = agent.predict(obs, episode_start=np.array([True]))
    assert action.shape == (2,) and state is None
