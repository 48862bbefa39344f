"""Validation 1: the pair-STDP window and nearest-spike vs all-to-all pairing.

Every synapse is isolated (one-to-one from its own presynaptic afferent to
its own postsynaptic neuron, which a "teacher" afferent forces to fire one
step later; the plastic input alone never reaches threshold), so one
simulation measures the whole window.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import LIF, Input, Network, OneToOne, PairSTDP, Population, Projection
from neurocontrol.core.simulator import Simulator

DT = 1e-3
W0 = 0.5


def run_pairs(rule: PairSTDP, pre_times: list[list[int]], post_times: list[list[int]]):
    """Weight change of each isolated synapse given its pre and post spike steps."""
    n = len(pre_times)
    pre = Input(n, name="pre")
    teacher = Input(n, name="teacher")
    post = Population(n, LIF(tau_m=0.001, tau_ref=0.0), name="post")
    net = Network(
        [pre, teacher, post],
        [
            Projection(pre, post, OneToOne(), W0, rule=rule, name="plastic"),
            Projection(teacher, post, OneToOne(), 2.0, name="drive"),
        ],
    )
    sim = Simulator(net, dt=DT)
    last = max(max(t) for t in pre_times + post_times) + 5
    pre_raster = np.zeros((last, n), bool)
    teacher_raster = np.zeros((last, n), bool)
    for k in range(n):
        pre_raster[pre_times[k], k] = True
        teacher_raster[np.asarray(post_times[k]) - 1, k] = True  # post fires one step later
    post_slice = sim.slice_of("post")
    fired = np.zeros((last, n), bool)
    for t in range(last):
        fired[t] = sim.step(np.concatenate([pre_raster[t], teacher_raster[t]]))[post_slice]
    for k in range(n):  # the post neurons fired exactly when asked
        assert list(np.flatnonzero(fired[:, k])) == sorted(post_times[k])
    return sim.state["plastic.weights"].astype(np.float64) - W0


@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
def test_stdp_window_within_one_percent_from_minus_to_plus_100_ms(dependence):
    rule = PairSTDP(
        a_plus=0.1, a_minus=0.12, tau_plus=0.0168, tau_minus=0.0337, weight_dependence=dependence
    )
    lags = [lag for lag in range(-100, 101) if lag != 0]
    start = 110
    changes = run_pairs(rule, [[start] for _ in lags], [[start + lag] for lag in lags])
    dt = np.array(lags) * DT
    window = np.where(
        dt > 0,
        rule.a_plus * np.exp(-dt / rule.tau_plus),
        -rule.a_minus * np.exp(dt / rule.tau_minus),
    )
    if dependence == "multiplicative":
        window *= np.where(dt > 0, rule.w_max - W0, W0 - rule.w_min)
    relative = np.abs(changes / window - 1.0)
    print(
        f"\n{dependence} STDP window, {len(lags)} lags in [-100, 100] ms: max relative error "
        f"{relative.max():.2e} (at {lags[int(relative.argmax())]} ms)"
    )
    assert relative.max() < 0.01
    # a pre and a post spike in the same step do not interact (the window is open at 0)
    assert run_pairs(rule, [[20]], [[20]])[0] == 0.0


def test_nearest_and_all_to_all_differ_as_theory_says_on_spike_triplets():
    """pre-pre-post, post-post-pre and pre-post-pre triplets, 10 ms apart."""
    tau, a_plus, a_minus = 0.02, 0.1, 0.13
    e10, e20 = math.exp(-0.010 / tau), math.exp(-0.020 / tau)
    triplets = {  # (pre steps, post steps): (all-to-all, nearest)
        "pre-pre-post": (([20, 30], [40]), (a_plus * (e10 + e20), a_plus * e10)),
        "post-post-pre": (([40], [20, 30]), (-a_minus * (e10 + e20), -a_minus * e10)),
        "pre-post-pre": (([20, 40], [30]), ((a_plus - a_minus) * e10,) * 2),
    }
    pre_times = [spikes[0] for spikes, _ in triplets.values()]
    post_times = [spikes[1] for spikes, _ in triplets.values()]
    for column, pairing in enumerate(("all_to_all", "nearest")):
        rule = PairSTDP(
            a_plus=a_plus, a_minus=a_minus, tau_plus=tau, tau_minus=tau, pairing=pairing
        )
        changes = run_pairs(rule, pre_times, post_times)
        for change, (name, (_, expected)) in zip(changes, triplets.items(), strict=True):
            print(f"{pairing:>10} {name}: dw = {change:+.6f} (theory {expected[column]:+.6f})")
            assert change == pytest.approx(expected[column], rel=1e-4)
