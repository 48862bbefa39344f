"""set_learning: every learning agent can be frozen (learned state kept) and unfrozen."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.loop.episode import run_episode

from .conftest import drive

SPIKING = {"type": "adaptive_spiking", "n_neurons": 200, "learning_rate": 2e-3}
EVENTS = {**SPIKING, "input_coding": "delta_events"}
RATE = {"type": "adaptive_rate", "n_neurons": 200, "learning_rate": 2e-3}


@pytest.mark.parametrize("spec", [SPIKING, EVENTS, RATE], ids=["spiking", "events", "rate"])
def test_frozen_decoders_stay_and_learning_resumes(planar, planar_observations, spec) -> None:
    agent = make_agent(spec, planar, seed=0)
    drive(agent, planar_observations[:500])
    learned = agent.decoders.copy()
    assert np.linalg.norm(learned) > 0
    agent.set_learning(False)
    assert not agent.learning
    frozen_actions = drive(agent, planar_observations[500:1000])
    np.testing.assert_array_equal(agent.decoders, learned)
    assert np.abs(frozen_actions).max() > 0  # the frozen decoders still act
    agent.set_learning(True)
    drive(agent, planar_observations[1000:])
    assert not np.array_equal(agent.decoders, learned)


def test_hybrid_switches_both_sides(planar, planar_observations) -> None:
    agent = make_agent({"type": "hybrid", "spiking": SPIKING, "dense": RATE}, planar, seed=0)
    agent.set_learning(False)
    assert not agent.spiking.learning and not agent.dense.learning
    drive(agent, planar_observations[:300])
    np.testing.assert_array_equal(agent.spiking.decoders, 0.0)
    np.testing.assert_array_equal(agent.dense.decoders, 0.0)
    agent.set_learning(True)
    assert agent.spiking.learning and agent.dense.learning


def test_base_controller_ignores_the_switch(planar, planar_observations) -> None:
    agent = make_agent({"type": "osc"}, planar, seed=0)
    before = drive(agent, planar_observations[:50])
    agent.set_learning(False)
    agent.reset(0)
    np.testing.assert_array_equal(drive(agent, planar_observations[:50]), before)


def test_rstdp_weights_stay_while_frozen() -> None:
    env = gym.make("neurocontrol/PlanarReach-v0", n_targets=4, max_episode_steps=3000)
    try:
        weights = []
        for enabled in (False, True):
            agent = make_agent({"type": "reward_spiking", "exploration": 0.3}, env, seed=2)
            agent.simulator.sync_weights()
            start = agent.simulator.state["context_to_motor.weights"].copy()
            agent.set_learning(enabled)
            run_episode(env, agent, seed=0)
            assert len(agent.history) >= 2  # rewards were delivered
            agent.simulator.sync_weights()
            weights.append((start, agent.simulator.state["context_to_motor.weights"].copy()))
        (start_frozen, end_frozen), (start_on, end_on) = weights
        np.testing.assert_array_equal(end_frozen, start_frozen)
        assert not np.array_equal(end_on, start_on)
    finally:
        env.close()
