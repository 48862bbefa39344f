"""R-STDP: credit assignment with a delayed reward (validation 3) and the eligibility sign.

Two-choice task: one of two stimuli (20 Poisson afferents each at 40 Hz for
100 ms, the rest at 2 Hz) drives two output groups of 10 LIF neurons that
inhibit each other; the group with more spikes is the choice (stimulus A
should pick group L, B group R). The reward (+1 correct, -1 wrong, minus a
slow per-context baseline) arrives 0.5 s after the stimulus ends, during
background activity. With the eligibility trace (tau_e = 1 s) the network
learns; with tau_e = 1 ms (reward x the STDP of the reward step: the plain
product) it stays near chance. Exploration comes from independent Poisson
kicks to every output neuron, kept during evaluation.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.learning import eligibility
from neurocontrol.core.model import (
    LIF,
    AllToAll,
    ExplicitMatrix,
    Input,
    Network,
    OneToOne,
    Population,
    Projection,
    RewardSTDP,
    Uniform,
)
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_STIM, GROUP = 20, 10


def choice_network(rule: RewardSTDP, tau_ref: float = 0.005, inhibition: float = 0.3) -> Network:
    stim = Input(2 * N_STIM, name="stim")
    noise = Input(2 * GROUP, name="noise")
    out = Population(2 * GROUP, LIF(tau_m=0.02, tau_ref=tau_ref), name="out")
    lateral = np.zeros((2 * GROUP, 2 * GROUP))
    lateral[:GROUP, GROUP:] = lateral[GROUP:, :GROUP] = -inhibition
    return Network(
        [stim, noise, out],
        [
            Projection(stim, out, AllToAll(), Uniform(0.08, 0.12), rule=rule, name="plastic"),
            Projection(noise, out, OneToOne(), 0.6, name="drive"),
            Projection(out, out, ExplicitMatrix(lateral), name="lateral"),
        ],
    )


class ChoiceTask:
    """Trials of the two-choice task on one simulator."""

    def __init__(self, rule: RewardSTDP, seed: int, noise_rate: float = 30.0, **network) -> None:
        self.sim = Simulator(choice_network(rule, **network), seed=seed)
        self.rng = np.random.default_rng(seed)
        self.noise_rate = noise_rate
        self.events = np.zeros(self.sim.n_inputs, np.uint8)
        self.out = self.sim.slice_of("out")

    def step(self, context: int, stimulus: bool) -> np.ndarray:
        rates = np.full(2 * N_STIM, 2.0)
        if stimulus:
            rates[context * N_STIM : (context + 1) * N_STIM] = 40.0
        self.events[: 2 * N_STIM] = self.rng.random(2 * N_STIM) < rates * DT
        self.events[2 * N_STIM :] = self.rng.random(2 * GROUP) < self.noise_rate * DT
        return self.sim.step(self.events)[self.out]

    def stimulus(self, context: int) -> int:
        """Present stimulus ``context`` for 100 ms; return the choice (0: L, 1: R)."""
        counts = np.zeros(2)
        for _ in range(100):
            spikes = self.step(context, True)
            counts += (spikes[:GROUP].sum(), spikes[GROUP:].sum())
        if counts[0] == counts[1]:
            return int(self.rng.integers(2))
        return int(np.argmax(counts))

    def trial(self, learn: bool) -> bool:
        context = int(self.rng.integers(2))
        correct = self.stimulus(context) == context
        for _ in range(500):  # the reward comes 0.5 s later
            self.step(context, False)
        if learn:
            self.sim.state["plastic.rstdp.context"] = context
            self.sim.set_third_factor("plastic.rstdp", 1.0 if correct else -1.0)
        for _ in range(400):
            self.step(context, False)
        return correct

    def train_and_test(self, n_train: int = 120, n_test: int = 60) -> float:
        for _ in range(n_train):
            self.trial(learn=True)
        self.sim.set_plasticity(False)
        return float(np.mean([self.trial(learn=False) for _ in range(n_test)]))


def choice_rule(tau_eligibility: float, a_minus: float = 0.5) -> RewardSTDP:
    return RewardSTDP(
        a_plus=1.0,
        a_minus=a_minus,
        tau_eligibility=tau_eligibility,
        learning_rate=0.1,
        baseline_rate=0.05,
        n_contexts=2,
        w_min=0.0,
        w_max=0.3,
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_eligibility_trace_solves_the_delayed_reward_task_and_plain_product_does_not(seed):
    with_trace = ChoiceTask(choice_rule(tau_eligibility=1.0), seed).train_and_test()
    without = ChoiceTask(choice_rule(tau_eligibility=0.001), seed).train_and_test()
    print(
        f"\ndelayed-reward two-choice task (seed {seed}), 120 training trials, 60 test trials: "
        f"{100 * with_trace:.0f}% correct with the eligibility trace (tau_e = 1 s), "
        f"{100 * without:.0f}% without (tau_e = 1 ms); chance 50%"
    )
    assert with_trace >= 0.9
    assert abs(without - 0.5) <= 0.2


def eligibility_of_chosen_action(a_minus: float, tau_ref: float, noise_rate: float, seed: int):
    """Summed eligibility of (stimulus -> chosen group) synapses after one stimulus; post rate."""
    task = ChoiceTask(choice_rule(1.0, a_minus), seed, noise_rate=noise_rate, tau_ref=tau_ref)
    task.sim.set_plasticity(False)
    for _ in range(200):  # background only, to settle the traces
        task.step(0, False)
    spikes_before = task.sim.total_spikes()["out"]
    choice = task.stimulus(0)
    rate = (task.sim.total_spikes()["out"] - spikes_before) / (GROUP * 0.1)
    current = eligibility(task.sim, "plastic.rstdp")
    chosen = current[:N_STIM, choice * GROUP : (choice + 1) * GROUP]
    return float(chosen.sum()), rate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eligibility_of_the_chosen_action_is_potentiating_at_moderate_rates(seed):
    """The pitfall: a net-negative eligibility makes punishment potentiate."""
    moderate, moderate_rate = eligibility_of_chosen_action(0.5, 0.005, 30.0, seed)
    # A- > A+ with fast, strongly driven output neurons: the sign flips
    flipped, high_rate = eligibility_of_chosen_action(1.5, 0.0, 400.0, seed)
    print(
        f"\neligibility of the chosen action (seed {seed}): {moderate:+.1f} with A+ = 1 > "
        f"A- = 0.5 at {moderate_rate:.0f} Hz; {flipped:+.1f} with A- = 1.5 at {high_rate:.0f} Hz"
    )
    assert moderate > 0
    assert flipped < 0 and high_rate > moderate_rate
