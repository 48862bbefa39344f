"""Homeostasis: kernels against NumPy, and the mean rate held at its target (validation 5).

A population driven by Poisson afferents settles at the target rate; then
the drive is doubled (every afferent fires twice as often) and the rule
must bring the mean rate back within 10% of the target. Without the rule the
same doubling moves the rate far away.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    AdaptiveLIF,
    AdaptiveThreshold,
    FixedProbability,
    Input,
    Network,
    Population,
    Projection,
    SynapticScaling,
    Uniform,
    WeightNormalization,
)
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError

DT = 1e-3
N_IN, N = 200, 100
BASE_RATE = 20.0  # Hz per afferent
TARGET = 10.0  # Hz


def driven_population(rule, model, seed=0) -> Simulator:
    drive = Input(N_IN, name="drive")
    pop = Population(N, model, name="pop")
    projection = Projection(
        drive, pop, FixedProbability(0.2), Uniform(0.02, 0.08), rule=rule, name="drive_to_pop"
    )
    return Simulator(Network([drive, pop], [projection]), dt=DT, seed=seed)


def run_rates(sim, rate_hz, seconds, rng):
    """Poisson drive at ``rate_hz`` per afferent; return the pop spike raster [steps, N]."""
    steps = round(seconds / DT)
    raster = np.zeros((steps, N), bool)
    pop = sim.slice_of("pop")
    for t in range(steps):
        raster[t] = sim.step(rng.random(N_IN) < rate_hz * DT)[pop]
    return raster


def mean_rate(raster, seconds):
    return raster[-round(seconds / DT) :].mean() / DT


HOMEOSTASIS = {
    "adaptive_threshold": (
        AdaptiveThreshold(target_rate=TARGET, threshold_step=0.02),
        AdaptiveLIF(tau_m=0.02, tau_ref=0.002, tau_adapt=0.5, delta_th=0.0),
    ),
    "synaptic_scaling": (
        SynapticScaling(target_rate=TARGET, gain=0.02, rate_tau=0.5, period=0.05),
        LIF(tau_m=0.02, tau_ref=0.002),
    ),
}


@pytest.mark.parametrize("name", list(HOMEOSTASIS))
def test_homeostasis_holds_the_rate_under_doubled_drive(name):
    rule, model = HOMEOSTASIS[name]
    sim = driven_population(rule, model)
    rng = np.random.default_rng(1)
    settled = mean_rate(run_rates(sim, BASE_RATE, 15.0, rng), 3.0)
    doubled = mean_rate(run_rates(sim, 2 * BASE_RATE, 15.0, rng), 3.0)
    # the same network without the rule, through the same doubling
    static = driven_population(rule, model)
    static.set_plasticity(False)
    before = mean_rate(run_rates(static, BASE_RATE, 3.0, rng), 3.0)
    after = mean_rate(run_rates(static, 2 * BASE_RATE, 3.0, rng), 3.0)
    print(
        f"\n{name}: target {TARGET} Hz; settled {settled:.2f} Hz, under doubled drive "
        f"{doubled:.2f} Hz ({100 * (doubled / TARGET - 1):+.1f}%); without the rule "
        f"{before:.2f} -> {after:.2f} Hz"
    )
    assert abs(settled / TARGET - 1) < 0.1
    assert abs(doubled / TARGET - 1) < 0.1
    assert after > 1.5 * before and after > 1.5 * TARGET  # the doubling matters


def test_adaptive_threshold_kernel_matches_numpy():
    """theta integrates (spike - r* dt); adaptation = ALIF's own part + theta / lambda_a."""
    rule = AdaptiveThreshold(target_rate=TARGET, threshold_step=0.05)
    model = AdaptiveLIF(tau_m=0.02, tau_ref=0.002, tau_adapt=0.1, delta_th=0.03)
    sim = driven_population(rule, model)
    raster = run_rates(sim, 30.0, 0.8, np.random.default_rng(2))
    assert raster.sum() > 100
    theta = np.cumsum(raster * rule.threshold_step - rule.threshold_step * TARGET * DT, axis=0)
    own, decay = np.zeros(N), math.exp(-DT / model.tau_adapt)
    for spikes in raster:  # the ALIF's spike-triggered adaptation alone
        own = own * decay + model.delta_th * spikes
    np.testing.assert_allclose(sim.state["drive_to_pop.threshold.theta"], theta[-1], atol=1e-12)
    np.testing.assert_allclose(sim.state["pop.adaptation"], own + theta[-1] / decay, atol=1e-9)


def dense_weights(sim):
    weights = sim.state["drive_to_pop.weights"].astype(np.float32)
    indptr, indices = sim.state["drive_to_pop.indptr"], sim.state["drive_to_pop.indices"]
    rows = np.repeat(np.arange(N_IN), np.diff(indptr))
    return weights, rows, indices


def test_synaptic_scaling_kernel_matches_numpy():
    rule = SynapticScaling(target_rate=TARGET, gain=0.05, rate_tau=0.2, period=0.02, w_max=0.09)
    sim = driven_population(rule, LIF(tau_m=0.02, tau_ref=0.002))
    weights, _, columns = dense_weights(sim)
    raster = run_rates(sim, 8.0, 0.5, np.random.default_rng(3))  # below target: scaled up
    decay, period = math.exp(-DT / rule.rate_tau), round(rule.period / DT)
    rate = np.zeros(N)
    for n, spikes in enumerate(raster):
        rate = rate * decay + spikes * (1.0 - decay) / DT
        if (n + 1) % period == 0:
            factor = rule.gain * period * DT * (TARGET - rate)
            new = np.clip(weights + weights * factor[columns], rule.w_min, rule.w_max)
            weights = np.where(weights * factor[columns] != 0, new, weights).astype(np.float32)
    np.testing.assert_allclose(sim.state["drive_to_pop.scaling.rate"], rate, rtol=1e-12)
    np.testing.assert_array_equal(sim.state["drive_to_pop.weights"], weights)
    assert np.any(weights == rule.w_max), "the test must reach the bound"


def test_weight_normalization_kernel_matches_numpy():
    rule = WeightNormalization(total=0.7, period=0.01)
    sim = driven_population(rule, LIF(tau_m=0.02, tau_ref=0.002))
    weights, _, columns = dense_weights(sim)
    run_rates(sim, 30.0, 0.025, np.random.default_rng(4))
    for _ in range(2):  # two periods end within 25 steps
        sums = np.bincount(columns, weights.astype(np.float64), minlength=N)
        factor = np.where(sums != 0, rule.total / sums - 1.0, 0.0)
        weights = (weights + weights * factor[columns]).astype(np.float32)
    np.testing.assert_array_equal(sim.state["drive_to_pop.weights"], weights)
    sums = np.bincount(columns, weights.astype(np.float64), minlength=N)
    np.testing.assert_allclose(sums, rule.total, rtol=1e-5)


def test_adaptive_threshold_needs_an_adaptive_lif_population():
    with pytest.raises(ConfigError, match=r"needs an AdaptiveLIF postsynaptic population.*got LIF"):
        driven_population(AdaptiveThreshold(), LIF())
