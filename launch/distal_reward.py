"""Distal reward (Izhikevich 2007, Cereb. Cortex 17:2443, Fig. 1) with RewardSTDP.

1000 Izhikevich neurons (800 regular-spiking excitatory, 200 fast-spiking
inhibitory), each with 100 random outgoing synapses (1 ms delay);
excitatory synapses start at 1 mV and are plastic in [0, 4] mV under
dopamine-modulated STDP (A+ = 1, A- = 1.5, tau +-20 ms, eligibility 1 s,
dopamine 0.2 s, +0.5 per reward, a small tonic dopamine level); inhibitory ones are
fixed at -1 mV. Each millisecond one random neuron receives a 20 mV
thalamic input. One excitatory->excitatory synapse is chosen; whenever its
postsynaptic neuron fires 1-10 ms after its presynaptic one, a reward
arrives 1-3 s later (uniformly), unless one is already pending. The paper
reports the chosen synapse reaching the maximum within about an hour while
the rest stay low.

Run ``python launch/distal_reward.py`` (3600 s simulated, a few minutes) or
``--seconds 300 --learning-rate 25`` for a shorter version; prints a JSON
summary (the reduced CI test in ``tests/rules/test_rules_distal_reward.py``
calls :func:`run_protocol`).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from neurocontrol.learning import sync_weights
from neurocontrol.model import (
    FixedProbability,
    Input,
    Izhikevich,
    Network,
    OneToOne,
    Population,
    Projection,
    RewardSTDP,
)
from neurocontrol.simulator import Simulator

N_EXC, N_INH = 800, 200
W_MAX = 4.0
#: weight change per second per unit eligibility per unit dopamine (mV); see --learning-rate
LEARNING_RATE = 10.0
#: constant dopamine level (reward units); see --tonic-dopamine
TONIC_DOPAMINE = 0.002


def build_network(
    learning_rate: float = LEARNING_RATE, tonic_dopamine: float = TONIC_DOPAMINE
) -> Network:
    """The 1000-neuron network of the protocol."""
    exc = Population(N_EXC, Izhikevich.preset("regular_spiking"), name="exc")
    inh = Population(N_INH, Izhikevich.preset("fast_spiking"), name="inh")
    thalamus_exc, thalamus_inh = (
        Input(N_EXC, name="thalamus_exc"),
        Input(N_INH, name="thalamus_inh"),
    )
    rule = RewardSTDP(
        a_plus=1.0,
        a_minus=1.5,
        tau_plus=0.02,
        tau_minus=0.02,
        tau_eligibility=1.0,
        tau_dopamine=0.2,
        learning_rate=learning_rate,
        tonic_dopamine=tonic_dopamine,
        w_min=0.0,
        w_max=W_MAX,
    )
    return Network(
        [thalamus_exc, thalamus_inh, exc, inh],
        [
            Projection(thalamus_exc, exc, OneToOne(), 20.0, name="thalamus_to_exc"),
            Projection(thalamus_inh, inh, OneToOne(), 20.0, name="thalamus_to_inh"),
            Projection(
                exc, exc, FixedProbability(0.1, allow_self_connections=False), 1.0,
                rule=rule, sign="excitatory", name="exc_to_exc",
            ),
            Projection(exc, inh, FixedProbability(0.1), 1.0, rule=rule, sign="excitatory",
                       name="exc_to_inh"),
            Projection(inh, exc, FixedProbability(0.125), -1.0, sign="inhibitory",
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
    sync_weights(sim)
    return np.concatenate(
        [sim.state["exc_to_exc.weights"], sim.state["exc_to_inh.weights"]]
    ).astype(np.float64)


def run_protocol(
    seconds: float,
    learning_rate: float = LEARNING_RATE,
    seed: int = 0,
    report_every: float = 0.0,
    inputs_per_ms: int = 1,
    tonic_dopamine: float = TONIC_DOPAMINE,
) -> dict[str, Any]:
    """Run the protocol; return the chosen weight, the median weight and counts.

    ``inputs_per_ms`` random neurons get the 20 mV thalamic input each step
    (1 in the paper; more raises the rates, hence the chance pairings, for
    a shorter run).
    """
    sim = Simulator(build_network(learning_rate, tonic_dopamine), seed=seed)
    rng = np.random.default_rng(seed)
    pre, post, k = chosen_synapse(sim)
    exc = sim.slice_of("exc")
    pre_index, post_index = exc.start + pre, exc.start + post
    events = np.zeros(sim.n_inputs, dtype=np.uint8)
    steps = round(seconds / sim.dt)
    thalamic = rng.integers(0, sim.n_inputs, (steps, inputs_per_ms))
    delays = rng.integers(1000, 3001, steps)  # 1-3 s, in steps
    last_pre, reward_at, n_rewards, n_pairings = -(10**9), -1, 0, 0
    history = []
    started = time.perf_counter()
    for t in range(steps):
        if t == reward_at:
            sim.set_third_factor("exc_to_exc.rstdp", 0.5)
            sim.set_third_factor("exc_to_inh.rstdp", 0.5)
            n_rewards += 1
            reward_at = -1
        events[thalamic[t]] = 1
        spikes = sim.step(events)
        events[thalamic[t]] = 0
        if spikes[pre_index]:
            last_pre = t
        if spikes[post_index] and 1 <= t - last_pre <= 10:
            n_pairings += 1
            if reward_at < 0:
                reward_at = t + int(delays[t])
        if report_every and (t + 1) % round(report_every / sim.dt) == 0:
            weights = excitatory_weights(sim)
            history.append(
                {"t": (t + 1) * sim.dt, "chosen": float(weights[k]),
                 "median": float(np.median(weights))}
            )  # fmt: skip
    weights = excitatory_weights(sim)
    rates = {name: n / (sim.network.node(name).n * seconds) for name, n in
             sim.total_spikes().items() if name in ("exc", "inh")}  # fmt: skip
    return {
        "seconds": seconds,
        "learning_rate": learning_rate,
        "seed": seed,
        "inputs_per_ms": inputs_per_ms,
        "tonic_dopamine": tonic_dopamine,
        "w_max": W_MAX,
        "chosen_weight": float(weights[k]),
        "chosen_fraction_of_w_max": float(weights[k] / W_MAX),
        "median_weight": float(np.median(weights)),
        "median_fraction_of_w_max": float(np.median(weights) / W_MAX),
        "rank_of_chosen": int(np.sum(weights > weights[k])),
        "fraction_at_w_max": float(np.mean(weights >= W_MAX - 1e-6)),
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
    parser.add_argument("--inputs-per-ms", type=int, default=1, help="thalamic inputs per step")
    parser.add_argument("--tonic-dopamine", type=float, default=TONIC_DOPAMINE)
    args = parser.parse_args(argv)
    result = run_protocol(
        args.seconds,
        args.learning_rate,
        args.seed,
        args.report_every,
        args.inputs_per_ms,
        args.tonic_dopamine,
    )
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
