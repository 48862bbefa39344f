"""The default adaptive controller keeps what it learned of a curl field once frozen.

A shortened experiment 1 on PlanarReach (8 targets, 12 s cycles), seeds 0-2:
the 15 N·s/m field from t = 0 for three cycles with learning on, then one
cycle frozen with the field still on. Retention is 1 - (E_frozen -
E_adapted) / (E_base - E_adapted), E_base the base controller's error in the
frozen cycle (same seed: the same targets in the same order).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import make_agent
from neurocontrol.experiment.protocol import cycle_table
from neurocontrol.loop.episode import run_episode

CYCLE_STEPS = 12_000
LEARNING_CYCLES = 3
CURL = {"perturbation": {"kind": "curl_field", "strength": 15.0}}


@pytest.fixture(scope="module")
def reach():
    steps = (LEARNING_CYCLES + 1) * CYCLE_STEPS
    env = gym.make(
        "neurocontrol/PlanarReach-v0",
        n_targets=8,
        movement_time=0.5,
        hold_time=0.25,
        max_episode_steps=steps,
    )
    yield env
    env.close()


def _cycles(env, agent, seed: int) -> np.ndarray:
    def freeze(step: int, *_):
        if step + 1 == LEARNING_CYCLES * CYCLE_STEPS:
            agent.set_learning(False)

    result = run_episode(env, agent, seed=seed, options=CURL, callbacks=[freeze])
    assert not result.terminated
    return cycle_table(result)[1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_default_controller_retains_most_of_the_curl_field_compensation(reach, seed):
    base = _cycles(reach, make_agent({"type": "osc", "feedforward": True}, reach), seed)
    agent = make_agent({"type": "adaptive_spiking"}, reach, seed=seed)
    errors = _cycles(reach, agent, seed)
    adapted, frozen, e_base = errors[LEARNING_CYCLES - 1], errors[LEARNING_CYCLES], base[-1]
    assert not agent.learning
    assert e_base > 0.01 and adapted < 0.25 * e_base, (adapted, e_base)
    retention = 1.0 - (frozen - adapted) / (e_base - adapted)
    assert retention >= 0.6, (retention, adapted, frozen, e_base)
