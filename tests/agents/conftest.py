"""Fixtures of the agent tests: one PlanarReach env per module and recorded observations."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.agents import OperationalSpaceController


@pytest.fixture(scope="module")
def planar():
    env = gym.make("neurocontrol/PlanarReach-v0")
    yield env
    env.close()


@pytest.fixture(scope="module")
def planar_observations(planar):
    """1500 observations of the base controller reaching in a curl field (a replayable stream)."""
    agent = OperationalSpaceController.from_env(planar)
    obs, _ = planar.reset(seed=3, options={"perturbation": {"kind": "curl_field", "strength": 15}})
    stream = []
    for _ in range(1500):
        stream.append({key: value.copy() for key, value in obs.items()})
        obs, *_ = planar.step(agent.act(obs))
    return stream


def drive(agent, observations) -> np.ndarray:
    """Actions of ``agent`` on a replayed observation stream (act + observe per step)."""
    actions = []
    for obs in observations:
        actions.append(agent.act(obs))
        agent.observe(0.0, False, False, {})
    return np.array(actions)
