"""Neuron kernels (LIF, exponential-synapse LIF, adaptive LIF, Izhikevich) against NumPy.

Each population receives the same seeded input raster through all-to-all
weights and a per-neuron external current; the simulator and a plain NumPy
transcription of the model equations must give the same spikes at every
step and voltages within 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    AdaptiveLIF,
    AllToAll,
    Input,
    Izhikevich,
    Network,
    Population,
    Projection,
    Uniform,
)
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_IN, N = 20, 12
STEPS = 400


def lif_reference(model: LIF, n: int, received: np.ndarray, i_ext: np.ndarray) -> tuple:
    """NumPy LIF / adaptive LIF: returns (spikes [T, n], v [T, n])."""
    decay = math.exp(-DT / model.tau_m)
    ref_steps = round(model.tau_ref / DT)
    v = np.full(n, model.v_rest)
    i_syn = np.zeros(n)
    refractory = np.zeros(n, dtype=int)
    adaptation = np.zeros(n)
    adaptive = isinstance(model, AdaptiveLIF)
    if model.tau_syn is not None:
        syn_decay = math.exp(-DT / model.tau_syn)
        syn_to_v = model.r_m * model.tau_syn / (model.tau_syn - model.tau_m) * (syn_decay - decay)
    spikes, voltages = [], []
    for t in range(received.shape[0]):
        threshold = np.full(n, model.v_th)
        if adaptive:
            adaptation *= math.exp(-DT / model.tau_adapt)
            threshold = threshold + adaptation
        v_inf = model.v_rest + model.r_m * (model.i_bias + i_ext)
        free = v_inf + (v - v_inf) * decay
        if model.tau_syn is None:
            free = free + received[t]
        else:
            free = free + syn_to_v * i_syn
            i_syn = i_syn * syn_decay + received[t]
        v = np.where(refractory > 0, model.v_reset, free)
        refractory = np.maximum(refractory - 1, 0)
        fired = v >= threshold
        v = np.where(fired, model.v_reset, v)
        refractory = np.where(fired, ref_steps, refractory)
        if adaptive:
            adaptation = adaptation + fired * model.delta_th
        spikes.append(fired)
        voltages.append(v.copy())
    return np.array(spikes), np.array(voltages)


def izhikevich_reference(model: Izhikevich, n: int, received: np.ndarray, i_ext: np.ndarray):
    """NumPy Izhikevich with the simulator's sub-stepping: returns (spikes, v)."""
    substeps = max(1, math.ceil(DT * 1000 / model.max_substep - 1e-9))
    h = DT * 1000 / substeps
    v = np.full(n, -65.0)
    u = model.b * v
    spikes, voltages = [], []
    for t in range(received.shape[0]):
        current = model.i_bias + i_ext + received[t]
        for k in range(n):
            for _ in range(substeps):
                v[k] += h * (0.04 * v[k] * v[k] + 5.0 * v[k] + 140.0 - u[k] + current[k])
                u[k] += h * model.a * (model.b * v[k] - u[k])
                if v[k] >= model.v_peak:
                    break
        fired = v >= model.v_peak
        v = np.where(fired, model.c, v)
        u = np.where(fired, u + model.d, u)
        spikes.append(fired)
        voltages.append(v.copy())
    return np.array(spikes), np.array(voltages)


MODELS = {
    "lif": (LIF(tau_m=0.02, tau_ref=0.002), 0.12),
    "lif_syn": (LIF(tau_m=0.01, tau_syn=0.005, v_rest=-0.1, r_m=2.0, tau_ref=0.003), 0.25),
    "alif": (AdaptiveLIF(tau_m=0.02, tau_adapt=0.1, delta_th=0.2, i_bias=0.3), 0.12),
    "izh_rs": (Izhikevich.preset("regular_spiking"), 6.0),
    "izh_fs": (Izhikevich.preset("fast_spiking", i_bias=2.0), 6.0),
}


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(7)
    source = Input(N_IN, name="source")
    populations, projections = [source], []
    for name, (model, scale) in MODELS.items():
        population = Population(N, model, name=name)
        populations.append(population)
        projections.append(Projection(source, population, AllToAll(), Uniform(0.0, scale)))
    sim = Simulator(Network(populations, projections), dt=DT, seed=3)
    currents = {
        name: rng.uniform(0.0, 0.6 if name.startswith("l") or name == "alif" else 4.0, N)
        for name in MODELS
    }
    for name, values in currents.items():
        sim.set_current(name, values)
    raster = rng.random((STEPS, N_IN)) < 0.1
    record = {name: ([], []) for name in MODELS}
    for t in range(STEPS):
        spikes = sim.step(raster[t])
        for name in MODELS:
            record[name][0].append(spikes[sim.slice_of(name)].copy())
            record[name][1].append(sim.state[f"{name}.v"].copy())
    return sim, raster, currents, record


@pytest.mark.parametrize("name", list(MODELS))
def test_neuron_kernel_matches_numpy(simulated, name):
    sim, raster, currents, record = simulated
    model = MODELS[name][0]
    weights = sim.state[f"source_to_{name}.weights"].astype(np.float64)
    received = np.zeros((STEPS, N))
    for t in range(1, STEPS):  # spikes of step t arrive at t + 1, summed in the kernel's order
        for i in np.flatnonzero(raster[t - 1]):
            received[t] += weights[i]
    if isinstance(model, Izhikevich):
        spikes, voltages = izhikevich_reference(model, N, received, currents[name])
    else:
        spikes, voltages = lif_reference(model, N, received, currents[name])
    got_spikes, got_v = np.array(record[name][0]), np.array(record[name][1])
    assert spikes.sum() > 5, "the test must exercise spiking"
    np.testing.assert_array_equal(got_spikes, spikes)
    np.testing.assert_allclose(
        got_v, voltages, rtol=0, atol=1e-12 * max(1.0, np.abs(voltages).max())
    )


def test_spike_counters_match_spikes(simulated):
    sim, _, _, record = simulated
    totals = sim.total_spikes()
    for name in MODELS:
        assert totals[name] == int(np.array(record[name][0]).sum())


def test_izhikevich_presets_fire_differently():
    """The four classic classes under the same drive: fast spiking fires most."""
    names = ["regular_spiking", "intrinsically_bursting", "chattering", "fast_spiking"]
    rates = {}
    for name in names:
        spikes, _ = izhikevich_reference(
            Izhikevich.preset(name), 1, np.zeros((500, 1)), np.full(1, 10.0)
        )
        rates[name] = spikes.sum()
    assert rates["fast_spiking"] > rates["regular_spiking"] > 0
    assert rates["chattering"] > rates["regular_spiking"]


@pytest.mark.parametrize("name", ["source", *MODELS])
def test_spike_flags_set_by_hand_last_until_the_next_step(name):
    """Every kernel writes all its flags each step: ``spiked`` is this step's spikes only."""
    source = Input(N_IN, name="source")
    populations = [source, *(Population(N, model, name=key) for key, (model, _) in MODELS.items())]
    sim = Simulator(Network(populations, []), dt=DT, seed=3)
    silent = np.zeros(N_IN, dtype=bool)
    sim.step(silent)
    sim.state[f"{name}.spiked"] = 1
    assert sim.spikes[sim.slice_of(name)].all()
    sim.step(silent)  # no input, no current: nothing fires
    assert not sim.spikes.any()
    assert sum(sim.total_spikes().values()) == 0
