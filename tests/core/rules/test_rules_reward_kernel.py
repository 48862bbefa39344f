"""Reward-modulated STDP: the lazy (event-driven) kernel against the eager NumPy rule.

The kernel integrates eligibility x dopamine in closed form and touches a
synapse only when its pre or post neuron spikes; the reference below decays
every eligibility and changes every weight at every step. After
``Simulator.sync_weights`` both must agree, on random spike trains with rewards,
baselines per context, epochs re-based several times and plasticity
switched off and on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.kernels.step.reward_stdp import TRACE_FLOOR
from neurocontrol.core.learning import eligibility
from neurocontrol.core.model import (
    LIF,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    OneToOne,
    Population,
    Projection,
    RewardSTDP,
    Uniform,
    WeightNormalization,
)
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_PRE, N_POST, STEPS = 15, 10, 700


def reward_stdp_reference(rule, w0, mask, pre_raster, post_raster, rewards, contexts, enabled):
    """Eager float64 transcription: weights, eligibility, dopamine, baselines after the run."""
    w = w0.astype(np.float64).copy()
    c = np.zeros_like(w)
    x, y = np.zeros(w.shape[0]), np.zeros(w.shape[1])
    d, baseline = 0.0, np.zeros(rule.n_contexts)
    path = np.zeros_like(w)  # sum of |weight change| per step, before clipping
    decay_e = math.exp(-DT / rule.tau_eligibility)
    for n, (pre, post) in enumerate(zip(pre_raster, post_raster, strict=True)):
        x *= math.exp(-DT / rule.tau_plus)
        y *= math.exp(-DT / rule.tau_minus)
        x[x < TRACE_FLOOR], y[y < TRACE_FLOOR] = 0.0, 0.0  # no subnormal traces
        d *= math.exp(-DT / rule.tau_dopamine)
        if not math.isnan(rewards[n]):
            context = contexts[n]
            if rule.baseline_rate is None:
                d += rewards[n]
            else:
                d += rewards[n] - baseline[context]
                if enabled[n]:
                    baseline[context] += rule.baseline_rate * (rewards[n] - baseline[context])
        dopamine = (d + rule.tonic_dopamine) * rule.learning_rate * DT if enabled[n] else 0.0
        c *= decay_e
        for i in np.flatnonzero(pre):
            c[i] -= rule.a_minus * y * mask[i]
        for j in np.flatnonzero(post):
            c[:, j] += rule.a_plus * x * mask[:, j]
        w += dopamine * c
        path += np.abs(dopamine * c)
        # bounds apply when a weight is written: at its presynaptic neuron's spikes
        w[pre] = np.clip(w[pre], rule.w_min, rule.w_max)
        x[pre] += 1.0
        y[post] += 1.0
    return np.clip(w, rule.w_min, rule.w_max), c, d, baseline, path  # clipped when synchronised


def build(rule, connectivity, seed=0, other_rules=()):
    pre = Input(N_PRE, name="pre")
    teacher = Input(N_POST, name="teacher")
    post = Population(N_POST, LIF(tau_m=0.001, tau_ref=0.0), name="post")
    rules = [rule, *other_rules] if other_rules else rule
    plastic = Projection(pre, post, connectivity, Uniform(0.2, 0.4), rule=rules, name="plastic")
    drive = Projection(teacher, post, OneToOne(), 2.0, name="drive")
    return Simulator(Network([pre, teacher, post], [plastic, drive]), dt=DT, seed=seed)


def as_dense(sim, values):
    """A per-synapse array of the plastic projection as [n_pre, n_post] (0 where unconnected)."""
    if sim.state["plastic.weights"].ndim == 2:
        return np.asarray(values, dtype=np.float64).reshape(N_PRE, N_POST)
    indptr, indices = sim.state["plastic.indptr"], sim.state["plastic.indices"]
    dense = np.zeros((N_PRE, N_POST))
    for i in range(N_PRE):
        dense[i, indices[indptr[i] : indptr[i + 1]]] = values[indptr[i] : indptr[i + 1]]
    return dense


def run(sim, seed, rewards, contexts, enabled):
    rng = np.random.default_rng(seed + 11)
    pre_raster = rng.random((STEPS, N_PRE)) < 0.06
    teacher_raster = rng.random((STEPS, N_POST)) < 0.05
    post_raster = np.zeros((STEPS, N_POST), bool)
    for t in range(STEPS):
        sim.set_plasticity(bool(enabled[t]))
        if not math.isnan(rewards[t]):
            sim.state["plastic.rstdp.context"] = contexts[t]
            sim.set_third_factor("plastic.rstdp", rewards[t])
        events = np.concatenate([pre_raster[t], teacher_raster[t]])
        post_raster[t] = sim.step(events)[sim.slice_of("post")]
    return pre_raster, post_raster


def reward_schedule(seed, n_contexts):
    rng = np.random.default_rng(seed + 5)
    rewards = np.full(STEPS, np.nan)
    times = rng.choice(STEPS, size=12, replace=False)
    rewards[times] = rng.choice([-1.0, 0.0, 0.5, 1.0], size=times.size)
    contexts = rng.integers(0, n_contexts, STEPS)
    enabled = np.ones(STEPS, bool)
    enabled[400:470] = False  # evaluation window: weights frozen, eligibility still runs
    return rewards, contexts, enabled


# The kernel writes (and clips) a weight when its presynaptic neuron spikes; the reference
# accumulates every step and clips the rows of the neurons that spiked, and all at the end.
CASES = {
    # tau_e = 20 ms: epochs of 40 steps, re-based 17 times in the run
    "short-trace": {"tau_eligibility": 0.02, "learning_rate": 2.0, "w_min": -5.0, "w_max": 5.0},
    # tau_e = 1 s (default), tonic dopamine, per-context baselines
    "baseline": {"learning_rate": 0.05, "tonic_dopamine": 0.05, "baseline_rate": 0.3,
                 "n_contexts": 3, "w_min": -5.0, "w_max": 5.0},
    # positive rewards, depression-dominated pairings: weights driven into both bounds
    "bounded": {"learning_rate": 30.0, "a_minus": 1.2, "w_min": 0.2, "w_max": 0.4},
}  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "connectivity", [AllToAll(), FixedProbability(0.5)], ids=["dense", "sparse"]
)
@pytest.mark.parametrize("case", list(CASES))
def test_reward_stdp_matches_eager_numpy(case, connectivity, seed):
    check_against_reference(case, connectivity, seed)


@pytest.mark.parametrize("case", ["short-trace", "bounded"])
def test_dense_reward_stdp_sharing_its_projection_matches_eager_numpy(case):
    """With a second rule on the projection, the dense kernel buffers its weight changes."""
    # the normalisation's period (100 s) does not end within the run: only R-STDP learns
    sim = check_against_reference(
        case, AllToAll(), 0, (WeightNormalization(total=1.0, period=100.0),)
    )
    assert sim.built.synapse_bytes["plastic"] == (4 + 8 + 8) * N_PRE * N_POST  # + the buffer


def check_against_reference(case, connectivity, seed, other_rules=()):
    params = CASES[case]
    rule = RewardSTDP(**{"a_plus": 1.0, "a_minus": 0.7, **params})
    sim = build(rule, connectivity, seed, other_rules)
    w0 = as_dense(sim, sim.state["plastic.weights"].reshape(-1))
    mask = as_dense(sim, np.ones(sim.state["plastic.weights"].size)) > 0
    rewards, contexts, enabled = reward_schedule(seed, rule.n_contexts)
    if case == "bounded":
        rewards[~np.isnan(rewards)] = np.abs(rewards[~np.isnan(rewards)]) + 0.5
    pre_raster, post_raster = run(sim, seed, rewards, contexts, enabled)
    assert post_raster.sum() > 20 and pre_raster.sum() > 20
    w_ref, c_ref, d_ref, b_ref, path = reward_stdp_reference(
        rule, w0, mask, pre_raster, post_raster, rewards, contexts, enabled
    )
    assert sim.sync_weights() == 1
    weights = as_dense(sim, sim.state["plastic.weights"].reshape(-1))
    current = as_dense(sim, eligibility(sim, "plastic.rstdp").reshape(-1))
    assert np.abs(w_ref - w0).max() > 0.01, "the run must change the weights"
    if case != "bounded":
        assert rule.w_min < w_ref[mask].min() and w_ref[mask].max() < rule.w_max, "bounds hit"
    # float32 weights round at each write, and the float32 (c_hat, B) state rounds the
    # pending change to a few ulps of the change integrated along the way ("path")
    eps = np.finfo(np.float32).eps
    tolerance = eps * (16.0 * np.abs(w_ref) + 16.0 * path) + 1e-9
    np.testing.assert_array_less(np.abs(weights - w_ref)[mask], tolerance[mask])
    # float32 state: rounding relative to the largest eligibility
    atol = 1e-6 * np.abs(c_ref).max()
    np.testing.assert_allclose(current[mask], c_ref[mask], rtol=2e-6, atol=atol)
    assert sim.state["plastic.rstdp.dopamine"][0] == pytest.approx(d_ref, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(sim.state["plastic.rstdp.baseline"], b_ref, rtol=1e-12)
    if case == "bounded":
        assert np.isclose(weights[mask], 0.4).sum() > 5 and np.isclose(weights[mask], 0.2).sum() > 5
    return sim


def test_silent_steps_touch_no_synapse_yet_integrate_the_reward():
    """No spikes: dopamine decays and weights change only on paper until a touch or a sync."""
    rule = RewardSTDP(a_plus=1.0, a_minus=0.5, learning_rate=0.01)
    sim = build(rule, AllToAll())
    rng = np.random.default_rng(3)
    for _ in range(200):  # build up eligibility
        sim.step(np.concatenate([rng.random(N_PRE) < 0.1, rng.random(N_POST) < 0.1]))
    for _ in range(30):  # let the post traces fall silent
        sim.step()
    sim.sync_weights()
    weights_before = sim.state["plastic.weights"].copy()
    state_before = sim.state["plastic.rstdp.eligibility"].copy()
    c_before = eligibility(sim, "plastic.rstdp").reshape(-1)
    sim.set_third_factor("plastic.rstdp", 1.0)
    for _ in range(500):
        sim.step()
    # event-driven: 500 steps with dopamine present touched no per-synapse array
    np.testing.assert_array_equal(sim.state["plastic.weights"], weights_before)
    np.testing.assert_array_equal(sim.state["plastic.rstdp.eligibility"], state_before)
    # ... but the weight change is there once synchronised: eta dt c sum_m lambda_e^m d_m
    sim.sync_weights()
    change = (sim.state["plastic.weights"].astype(np.float64) - weights_before).reshape(-1)
    lam_e, lam_d = math.exp(-DT / rule.tau_eligibility), math.exp(-DT / rule.tau_dopamine)
    m = np.arange(1, 501)
    expected = rule.learning_rate * DT * c_before * np.sum(lam_e**m * lam_d ** (m - 1))
    np.testing.assert_allclose(change, expected, rtol=1e-4, atol=1e-7)
    assert np.abs(change).max() > 1e-3


@pytest.mark.parametrize(
    "connectivity, per_synapse",
    [(AllToAll(), 4 + 8), (FixedProbability(0.5), 4 + 4 + 4 + 8)],
    ids=["dense", "sparse"],
)
def test_memory_figure_counts_the_eligibility(connectivity, per_synapse):
    """synapse_bytes: weight (+ index + CSC entry when sparse) + the 8-byte (c_hat, B) slot."""
    sim = build(RewardSTDP(), connectivity)
    n_syn = sim.state["plastic.weights"].size
    assert sim.built.synapse_bytes["plastic"] == per_synapse * n_syn


def test_silent_traces_and_slots_flush_to_zero_not_to_subnormals():
    """After 20 s of silence the STDP traces are 0, not subnormal, and so is no slot."""
    sim = build(RewardSTDP(a_plus=1.0, a_minus=0.5, learning_rate=0.01), AllToAll())
    rng = np.random.default_rng(4)
    for _ in range(100):
        sim.step(np.concatenate([rng.random(N_PRE) < 0.1, rng.random(N_POST) < 0.1]))
    assert sim.state["plastic.rstdp.pre_trace"].max() > 0
    for _ in range(20_000):  # x0.95 per step: 20 s would reach ~1e-445, beyond float64
        sim.step()
    state = sim.state["plastic.rstdp.eligibility"]
    for values in (sim.state["plastic.rstdp.pre_trace"], sim.state["plastic.rstdp.post_trace"]):
        np.testing.assert_array_equal(values, 0.0)
    # eligibility decays e^-20 in 20 s (a slot reaches the floor after about 70 tau_e)
    assert np.all((state == 0) | (np.abs(state) >= np.finfo(np.float32).tiny))
