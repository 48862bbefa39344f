"""``act`` + ``observe`` allocate nothing per step beyond the returned action."""

from __future__ import annotations

import tracemalloc

import pytest

from neurocontrol.agents import make_agent

SPECS = {
    "osc": {"type": "osc"},
    "joint_pd": {"type": "joint_pd"},
    "adaptive_spiking": {"type": "adaptive_spiking"},
    "adaptive_rate": {"type": "adaptive_rate"},
    "hybrid": {
        "type": "hybrid",
        "spiking": {"type": "adaptive_spiking"},
        "dense": {"type": "adaptive_rate"},
        "mode": "blend",
    },
    "reward_spiking": {"type": "reward_spiking"},
}
NEURON_ARRAY = 8000  # bytes of one float64 array over 1000 neurons


def measure(agent, observations) -> tuple[int, int]:
    """(peak, retained) bytes traced over the steps, relative to the start.

    The returned action is dropped each step, as a loop does after ``env.step``.
    """
    for obs in observations[:5]:
        agent.act(obs)  # compile, warm up
        agent.observe(0.0, False, False, {})
    steps = observations[5:]  # sliced before tracing: the list itself is 3 kB
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for obs in steps:
            agent.act(obs)
            agent.observe(0.0, False, False, {})
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start, current - start


def test_the_measure_sees_a_per_step_array(planar, planar_observations):
    class Leaky:
        def act(self, obs):
            self.junk = [obs["proprio"].astype("f8").repeat(200) for _ in range(2)]
            return obs["proprio"][:2].copy()

        def observe(self, *args):
            pass

    peak, _ = measure(Leaky(), planar_observations[:200])
    assert peak >= NEURON_ARRAY


@pytest.mark.parametrize("name", sorted(SPECS))
def test_act_and_observe_allocate_nothing_per_step(planar, planar_observations, name):
    agent = make_agent(SPECS[name], planar, seed=0)
    # tracemalloc sees every thread (pytest-xdist's messaging too): a per-step array shows
    # in every repetition, a stray allocation elsewhere in one at most
    peak, retained = min(measure(agent, planar_observations[:300]) for _ in range(3))
    assert peak < NEURON_ARRAY // 4  # no per-step array of the population's size
    assert retained < 1024  # nothing kept beyond the returned actions
