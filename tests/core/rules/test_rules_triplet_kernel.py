"""Triplet STDP kernel against NumPy, and the frequency dependence it exists for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    OneToOne,
    Population,
    Projection,
    TripletSTDP,
    Uniform,
)
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_PRE, N_POST, STEPS = 15, 10, 600


def triplet_reference(rule: TripletSTDP, w0, mask, pre_raster, post_raster):
    """Float32 weights and the four traces after replaying the rasters (kernel's order)."""
    weights = w0.astype(np.float32).copy()
    r1, r2 = np.zeros(w0.shape[0]), np.zeros(w0.shape[0])
    o1, o2 = np.zeros(w0.shape[1]), np.zeros(w0.shape[1])
    decays = [
        math.exp(-DT / tau) for tau in (rule.tau_plus, rule.tau_x, rule.tau_minus, rule.tau_y)
    ]
    for pre, post in zip(pre_raster, post_raster, strict=True):
        r1 *= decays[0]
        r2 *= decays[1]
        o1 *= decays[2]
        o2 *= decays[3]
        for i in np.flatnonzero(pre):
            change = -o1 * (rule.a2_minus + rule.a3_minus * r2[i])
            new = np.clip(weights[i].astype(np.float64) + change, rule.w_min, rule.w_max)
            weights[i] = np.where(mask[i] & (change != 0), new, weights[i])
        for j in np.flatnonzero(post):
            change = r1 * (rule.a2_plus + rule.a3_plus * o2[j])
            new = np.clip(weights[:, j].astype(np.float64) + change, rule.w_min, rule.w_max)
            weights[:, j] = np.where(mask[:, j] & (change != 0), new, weights[:, j])
        r1[pre] += 1.0
        r2[pre] += 1.0
        o1[post] += 1.0
        o2[post] += 1.0
    return weights, np.stack([r1, r2], axis=1), np.stack([o1, o2], axis=1)


def network(rule, connectivity, n_pre, n_post, weights):
    pre = Input(n_pre, name="pre")
    teacher = Input(n_post, name="teacher")
    # threshold 5: plastic weights (<= w_max = 1) alone never make the post neuron fire
    post = Population(n_post, LIF(tau_m=0.001, tau_ref=0.0, v_th=5.0), name="post")
    return Network(
        [pre, teacher, post],
        [
            Projection(pre, post, connectivity, weights, rule=rule, name="plastic"),
            Projection(teacher, post, OneToOne(), 10.0, name="drive"),
        ],
    )


def dense_view(sim, values):
    if sim.state["plastic.weights"].ndim == 2:
        return np.asarray(values).reshape(N_PRE, N_POST)
    indptr, indices = sim.state["plastic.indptr"], sim.state["plastic.indices"]
    dense = np.zeros((N_PRE, N_POST), np.float32)
    for i in range(N_PRE):
        dense[i, indices[indptr[i] : indptr[i + 1]]] = values[indptr[i] : indptr[i + 1]]
    return dense


@pytest.mark.parametrize(
    "connectivity", [AllToAll(), FixedProbability(0.5)], ids=["dense", "sparse"]
)
@pytest.mark.parametrize("a3_minus", [0.0, 2.3e-3], ids=["minimal", "full"])
def test_triplet_stdp_matches_numpy(connectivity, a3_minus):
    rule = TripletSTDP(a2_plus=1e-3, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=a3_minus, w_max=0.02)
    sim = Simulator(network(rule, connectivity, N_PRE, N_POST, Uniform(0.0, 0.02)), dt=DT)
    w0 = dense_view(sim, sim.state["plastic.weights"].reshape(-1)).copy()
    mask = dense_view(sim, np.ones(sim.state["plastic.weights"].size, np.float32)) > 0
    rng = np.random.default_rng(4)
    pre_raster = rng.random((STEPS, N_PRE)) < 0.08
    teacher_raster = rng.random((STEPS, N_POST)) < 0.06
    post_raster = np.zeros((STEPS, N_POST), bool)
    for t in range(STEPS):
        events = np.concatenate([pre_raster[t], teacher_raster[t]])
        post_raster[t] = sim.step(events)[sim.slice_of("post")]
    assert post_raster.sum() > 20
    expected, r, o = triplet_reference(rule, w0, mask, pre_raster, post_raster)
    np.testing.assert_array_equal(
        dense_view(sim, sim.state["plastic.weights"].reshape(-1)), expected
    )
    assert not np.array_equal(expected, w0), "the test must change weights"
    np.testing.assert_allclose(sim.state["plastic.triplet.pre_traces"], r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sim.state["plastic.triplet.post_traces"], o, rtol=0, atol=1e-12)


def test_triplet_potentiates_at_high_pairing_frequency():
    """Minimal visual-cortex model (Pfister & Gerstner 2006, Fig. 4; Sjöström et al. 2001).

    60 pairings at +-10 ms: at 1 Hz post-before-pre depresses and
    pre-before-post potentiates; at 40 Hz both potentiate.
    """
    rule = TripletSTDP()  # the paper's minimal all-to-all visual-cortex parameters
    protocols = [(freq, lag) for freq in (1.0, 40.0) for lag in (10, -10)]
    pre_times, post_times = [], []
    for freq, lag in protocols:
        period = round(1.0 / (freq * DT))
        pre = [50 + n * period for n in range(60)]
        pre_times.append(pre)
        post_times.append([t + lag for t in pre])
    n = len(protocols)
    sim = Simulator(network(rule, OneToOne(), n, n, 0.5), dt=DT)
    last = max(max(t) for t in post_times) + 5
    pre_raster = np.zeros((last, n), bool)
    teacher_raster = np.zeros((last, n), bool)
    for k in range(n):
        pre_raster[pre_times[k], k] = True
        teacher_raster[np.asarray(post_times[k]) - 1, k] = True
    fired = np.zeros((last, n), bool)
    for t in range(last):
        fired[t] = sim.step(np.concatenate([pre_raster[t], teacher_raster[t]]))[
            sim.slice_of("post")
        ]
    np.testing.assert_array_equal(fired[1:], teacher_raster[:-1])
    changes = sim.state["plastic.weights"].astype(np.float64) - 0.5
    for (freq, lag), change in zip(protocols, changes, strict=True):
        print(f"triplet STDP, 60 pairings at {freq:>4.0f} Hz, dt = {lag:+d} ms: dw = {change:+.4f}")
    one_hz_plus, one_hz_minus, fast_plus, fast_minus = changes
    assert one_hz_plus > 0 > one_hz_minus
    assert fast_plus > 0 and fast_minus > 0
