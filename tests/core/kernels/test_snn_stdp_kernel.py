"""Pair STDP kernel against a NumPy transcription, on random pre/post spike trains.

The presynaptic side is an Input with a seeded raster; postsynaptic spikes
are forced by a one-to-one "teacher" input (weight 2, membrane time
constant 1 ms so the plastic input alone never reaches threshold). The
NumPy reference replays the recorded rasters with the same float32 weight
storage, so weights must be bit-identical.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.kernels.step.state import PRJ_INT_COLUMNS
from neurocontrol.core.model import (
    LIF,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    OneToOne,
    PairSTDP,
    Population,
    Projection,
    Uniform,
)
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_PRE, N_POST, STEPS = 15, 10, 600


def stdp_reference(rule: PairSTDP, w0, mask, pre_raster, post_raster):
    """Weights (float32) and traces after replaying the rasters through pair STDP."""
    weights = w0.astype(np.float32).copy()
    x, y = np.zeros(w0.shape[0]), np.zeros(w0.shape[1])
    multiplicative = rule.weight_dependence == "multiplicative"
    for pre, post in zip(pre_raster, post_raster, strict=True):
        x *= math.exp(-DT / rule.tau_plus)
        y *= math.exp(-DT / rule.tau_minus)
        for i in np.flatnonzero(pre):
            change = -rule.a_minus * y
            if multiplicative:
                change = change * (weights[i].astype(np.float64) - rule.w_min)
            new = np.clip(weights[i].astype(np.float64) + change, rule.w_min, rule.w_max)
            weights[i] = np.where(mask[i] & (change != 0), new, weights[i]).astype(np.float32)
        for j in np.flatnonzero(post):
            change = rule.a_plus * x
            if multiplicative:
                change = change * (rule.w_max - weights[:, j].astype(np.float64))
            new = np.clip(weights[:, j].astype(np.float64) + change, rule.w_min, rule.w_max)
            weights[:, j] = np.where(mask[:, j] & (change != 0), new, weights[:, j])
        if rule.pairing == "nearest":
            x[pre], y[post] = 1.0, 1.0
        else:
            x[pre] += 1.0
            y[post] += 1.0
    return weights, x, y


def run_network(rules, connectivity, seed=0):
    pre = Input(N_PRE, name="pre")
    teacher = Input(N_POST, name="teacher")
    post = Population(N_POST, LIF(tau_m=0.001, tau_ref=0.0), name="post")
    plastic = Projection(pre, post, connectivity, Uniform(0.0, 0.02), rule=rules, name="plastic")
    drive = Projection(teacher, post, OneToOne(), 2.0, name="drive")
    sim = Simulator(Network([pre, teacher, post], [plastic, drive]), dt=DT, seed=seed)
    w0 = dense_weights(sim)
    mask = np.zeros((N_PRE, N_POST), bool)
    mask[sim.built.synapse_indices("plastic")] = True
    rng = np.random.default_rng(seed + 11)
    pre_raster = rng.random((STEPS, N_PRE)) < 0.08
    teacher_raster = rng.random((STEPS, N_POST)) < 0.06
    post_raster = np.zeros((STEPS, N_POST), bool)
    for t in range(STEPS):
        events = np.concatenate([pre_raster[t], teacher_raster[t]])
        post_raster[t] = sim.step(events)[sim.slice_of("post")]
    return sim, w0, mask, pre_raster, post_raster


def dense_weights(sim):
    """The plastic weights as [N_PRE, N_POST] (0 where no synapse), whatever their storage."""
    weights = np.zeros((N_PRE, N_POST), np.float32)
    weights[sim.built.synapse_indices("plastic")] = sim.state["plastic.weights"].ravel()
    return weights


@pytest.mark.parametrize(
    "connectivity", [AllToAll(), FixedProbability(0.5)], ids=["dense", "sparse"]
)
@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
def test_pair_stdp_matches_numpy(connectivity, dependence, pairing):
    rule = PairSTDP(
        a_plus=0.004,
        a_minus=0.0045,
        tau_plus=0.017,
        tau_minus=0.034,
        w_min=0.0,
        w_max=0.02,
        weight_dependence=dependence,
        pairing=pairing,
    )
    sim, w0, mask, pre_raster, post_raster = run_network(rule, connectivity)
    assert post_raster.sum() > 20 and np.all(post_raster.sum(axis=0) > 0)
    expected, x, y = stdp_reference(rule, w0, mask, pre_raster, post_raster)
    np.testing.assert_array_equal(dense_weights(sim), expected)
    assert not np.array_equal(expected, w0), "the test must change weights"
    np.testing.assert_allclose(sim.state["plastic.stdp.pre_trace"], x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sim.state["plastic.stdp.post_trace"], y, rtol=0, atol=1e-12)


def test_isolated_pair_gives_the_stdp_window():
    """An isolated pair at lag dt gives A+ e^{-dt/tau+} (dt > 0) or -A- e^{dt/tau-}."""
    rule = PairSTDP(
        a_plus=0.001, a_minus=0.001, tau_plus=0.02, tau_minus=0.02, w_min=0.0, w_max=1.0
    )
    for lag in (3, 10, -4, -12):
        pre = Input(1, name="pre")
        teacher = Input(1, name="teacher")
        post = Population(1, LIF(tau_m=0.001, tau_ref=0.0), name="post")
        net = Network(
            [pre, teacher, post],
            [
                Projection(pre, post, AllToAll(), 0.5, rule=rule, name="plastic"),
                Projection(teacher, post, OneToOne(), 2.0, name="drive"),
            ],
        )
        sim = Simulator(net, dt=DT)
        t_pre = 20 if lag > 0 else 20 - lag
        t_post = t_pre + lag  # the teacher fires one step before the post neuron
        for t in range(60):
            sim.step(np.array([t == t_pre, t == t_post - 1]))
        change = float(sim.state["plastic.weights"][0, 0]) - 0.5
        dt = lag * DT
        expected = 0.001 * math.exp(-dt / 0.02) if lag > 0 else -0.001 * math.exp(dt / 0.02)
        assert change == pytest.approx(expected, rel=1e-4)


def test_two_rules_compose_independently_of_order():
    first = PairSTDP(a_plus=0.003, a_minus=0.002, w_max=0.02, name="fast")
    second = PairSTDP(
        a_plus=0.001,
        a_minus=0.004,
        tau_plus=0.05,
        w_max=0.02,
        weight_dependence="multiplicative",
        name="slow",
    )
    sim_ab, w0, *_ = run_network((first, second), AllToAll())
    sim_ba, *_ = run_network((second, first), AllToAll())
    np.testing.assert_allclose(dense_weights(sim_ab), dense_weights(sim_ba), rtol=0, atol=1e-8)
    assert not np.allclose(dense_weights(sim_ab), w0)
    assert sim_ab.state["plastic.weights"].max() <= 0.02


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "row-search"])
def test_sparse_column_view_both_encodings(monkeypatch, packed):
    """The CSC view packs (row, offset) when that fits in 31 bits, else searches rows."""
    from neurocontrol.core.builder import connectivity

    if not packed:
        monkeypatch.setattr(connectivity, "PACK_LIMIT", 0)
    rule = PairSTDP(a_plus=0.004, a_minus=0.0045, w_min=0.0, w_max=0.02)
    sim, w0, mask, pre_raster, post_raster = run_network(rule, FixedProbability(0.4), seed=3)
    table = sim.built.arenas.views["synapses.ints"]
    bits = table[0, PRJ_INT_COLUMNS.index("col_offset_bits")]
    assert (bits >= 0) == packed
    expected, _, _ = stdp_reference(rule, w0, mask, pre_raster, post_raster)
    np.testing.assert_array_equal(dense_weights(sim), expected)
