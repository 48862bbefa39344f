"""Distal reward (Izhikevich 2007, Cereb. Cortex 17:2443, Fig. 1) with RewardSTDP.

The protocol of the paper's own code (``daspnet.m``): ``n_neurons``
Izhikevich neurons (80 % regular-spiking excitatory, 20 % fast-spiking
inhibitory), each with 100 random outgoing synapses (1 ms delay):
excitatory ones onto any neuron, inhibitory ones onto excitatory neurons,
so a neuron has the paper's in-degree whatever ``n_neurons``. Excitatory
synapses start at 1 mV and are plastic in [0, 4] mV under dopamine-modulated
STDP (A+ = 1, A- = 1.5, tau +-20 ms, eligibility 1 s, dopamine 0.2 s, +0.5
per reward, tonic level 0.002: the paper's ``s += (0.002 + DA) sd`` every
10 ms with ``sd = c / 10``, i.e. a learning rate of 10); inhibitory ones are
fixed at -1 mV. Every neuron receives each millisecond a uniform random
current in [-6.5, 6.5] (``I = 13 (rand - 0.5)``). One excitatory ->
excitatory synapse is chosen and starts at 0 mV; every time its
postsynaptic neuron fires 1 to ``interval - 1`` ms after its presynaptic
one, a reward is scheduled 1-3 s later (every pairing; several may be
pending). The chosen synapse grows to the maximum within the hour while
the rest decay.

Why the input matters: the noise keeps every membrane fluctuating, so a
strong chosen synapse makes its postsynaptic neuron more likely to fire
right after the presynaptic one (pairings per presynaptic spike, measured:
1.1 % at 0 mV, 3.3 % at 4 mV) and the rewards become more frequent as it
grows. With one 20 mV kick per millisecond to one random neuron instead
(``spnet.m``'s input, used here before), a neuron fires only when kicked and
the pairing probability does not depend on the weight (0.97 % at 0 mV,
0.94 % at 4 mV): the chosen synapse then drifts with every reward, up and
down, and does not stay at the maximum.

Run ``python launch/distal_reward.py`` (3600 s simulated, a few minutes);
prints a JSON summary. ``tests/core/rules/test_rules_distal_reward.py`` runs a
reduced version (200 neurons) through :func:`run_protocol`.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from neurocontrol.core.model import (
    FixedProbability,
    Izhikevich,
    Network,
    Population,
    Projection,
    RewardSTDP,
)
from neurocontrol.core.simulator import Simulator

W_MAX = 4.0
FAN_OUT = 100  # outgoing synapses per neuron
#: weight change per second per unit eligibility per unit dopamine (mV); see --learning-rate
LEARNING_RATE = 10.0
TONIC_DOPAMINE = 0.002
REWARD = 0.5
NOISE = 13.0  # mV per step: uniform in [-NOISE / 2, NOISE / 2]


def build_network(n_neurons: int = 1000, learning_rate: float = LEARNING_RATE) -> Network:
    """The network of the protocol: 80 % excitatory, 100 outgoing synapses per neuron."""
    n_exc = n_neurons * 4 // 5
    exc = Population(n_exc, Izhikevich.preset("regular_spiking"), name="exc")
    inh = Population(n_neurons - n_exc, Izhikevich.preset("fast_spiking"), name="inh")
    rule = RewardSTDP(
        a_plus=1.0,
        a_minus=1.5,
        tau_plus=0.02,
        tau_minus=0.02,
        tau_eligibility=1.0,
        tau_dopamine=0.2,
        learning_rate=learning_rate,
        tonic_dopamine=TONIC_DOPAMINE,
        w_min=0.0,
        w_max=W_MAX,
    )
    p_exc, p_inh = FAN_OUT / n_neurons, FAN_OUT / n_exc
    return Network(
        [exc, inh],
        [
            Projection(
                exc, exc, FixedProbability(p_exc, allow_self_connections=False), 1.0,
                rule=rule, sign="excitatory", name="exc_to_exc",
            ),
            Projection(exc, inh, FixedProbability(p_exc), 1.0, rule=rule, sign="excitatory",
                       name="exc_to_inh"),
            Projection(inh, exc, FixedProbability(p_inh), -1.0, sign="inhibitory",
                       name="inh_to_exc"),
        ],
    )  # fmt: skip


def chosen_synapse(sim: Simulator) -> tuple[int, int, int]:
    """``(pre, post, k)``: the first excitatory->excitatory synapse of the CSR layout."""
    indptr, indices = sim.state["exc_to_exc.indptr"], sim.state["exc_to_exc.indices"]
    pre = int(np.flatnonzero(np.diff(indptr) > 0)[0])
    k = int(indptr[pre])
    return pre, int(indices[k]), k


def excitatory_weights(sim: Simulator) -> np.ndarray:
    """All plastic (excitatory) weights, after bringing them up to date."""
    return np.concatenate([sim.weights("exc_to_exc"), sim.weights("exc_to_inh")]).astype(np.float64)


def _summary(weights: np.ndarray, k: int) -> dict[str, float]:
    return {
        "chosen_fraction_of_w_max": float(weights[k] / W_MAX),
        "median_fraction_of_w_max": float(np.median(weights) / W_MAX),
        "rank_of_chosen": int(np.sum(weights > weights[k])),
    }


def run_protocol(
    seconds: float,
    learning_rate: float = LEARNING_RATE,
    seed: int = 0,
    report_every: float = 0.0,
    n_neurons: int = 1000,
    interval_ms: int = 10,
    chosen_initial: float = 0.0,
) -> dict[str, Any]:
    """Run the protocol; return the chosen and median weights, counts and a history.

    ``interval_ms``: a postsynaptic spike 1 to ``interval_ms - 1`` ms after
    a presynaptic one is a rewarded pairing (10 in the paper's text, 20 in
    its code); ``chosen_initial``: initial weight of the chosen synapse, mV.
    """
    sim = Simulator(build_network(n_neurons, learning_rate), seed=seed)
    rng = np.random.default_rng(seed)
    pre, post, k = chosen_synapse(sim)
    sim.state["exc_to_exc.weights"][k] = chosen_initial
    exc = sim.slice_of("exc")
    pre_index, post_index = exc.start + pre, exc.start + post
    current_exc, current_inh = sim.state["exc.i_ext"], sim.state["inh.i_ext"]
    n_exc = current_exc.size
    steps = round(seconds / sim.dt)
    block = round(1.0 / sim.dt)  # steps of noise drawn at once
    report_steps = round(report_every / sim.dt) if report_every else 0
    rewards_due: list[int] = []  # steps at which a reward arrives, sorted
    last_pre, n_rewards, n_pairings = -(10**9), 0, 0
    history = []
    started = time.perf_counter()
    for t in range(steps):
        if t % block == 0:
            noise = NOISE * (rng.random((block, n_neurons)) - 0.5)
        current_exc[:] = noise[t % block, :n_exc]
        current_inh[:] = noise[t % block, n_exc:]
        due = 0
        while rewards_due and rewards_due[0] == t:  # rewards due together add up
            rewards_due.pop(0)
            due += 1
        if due:
            n_rewards += due
            sim.set_third_factor("exc_to_exc.rstdp", REWARD * due)
            sim.set_third_factor("exc_to_inh.rstdp", REWARD * due)
        spikes = sim.step()
        if spikes[pre_index]:
            last_pre = t
        if spikes[post_index] and 1 <= t - last_pre < interval_ms:
            n_pairings += 1
            rewards_due.append(t + int(rng.integers(1001, 3001)))  # 1-3 s later
            rewards_due.sort()
        if report_steps and (t + 1) % report_steps == 0:
            history.append({"t": (t + 1) * sim.dt, **_summary(excitatory_weights(sim), k)})
    weights = excitatory_weights(sim)
    rates = {name: n / (sim.network.node(name).n * seconds) for name, n in
             sim.total_spikes().items()}  # fmt: skip
    return {
        "seconds": seconds,
        "n_neurons": n_neurons,
        "learning_rate": learning_rate,
        "interval_ms": interval_ms,
        "seed": seed,
        "w_max": W_MAX,
        "chosen_weight": float(weights[k]),
        **_summary(weights, k),
        "median_weight": float(np.median(weights)),
        "fraction_at_w_max": float(np.mean(weights >= W_MAX - 1e-6)),
        "n_plastic": int(weights.size),
        "rewards": n_rewards,
        "pairings": n_pairings,
        "rates_hz": rates,
        "wall_s": time.perf_counter() - started,
        "history": history,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="simulated seconds")
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report-every", type=float, default=300.0, help="history interval, s")
    parser.add_argument("--neurons", type=int, default=1000, help="network size")
    parser.add_argument("--interval-ms", type=int, default=10, help="pairing window, ms")
    parser.add_argument("--chosen-initial", type=float, default=0.0, help="mV")
    args = parser.parse_args(argv)
    result = run_protocol(
        args.seconds,
        args.learning_rate,
        args.seed,
        args.report_every,
        args.neurons,
        args.interval_ms,
        args.chosen_initial,
    )
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
