"""Noisy LIF kernel (membrane noise from the network's splitmix64 stream) against NumPy."""

from __future__ import annotations

import math

import numpy as np

from neurocontrol.core.model import LIF, AllToAll, Input, Network, Population, Projection
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N = 15
STEPS = 300
MASK = (1 << 64) - 1


class _SplitMix64:
    """The kernels' generator (neurocontrol.core.kernels.step.rng) in Python integers."""

    def __init__(self, state: int) -> None:
        self.state = state

    def next_uint64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return float(self.next_uint64() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self) -> float:
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def _reference(model: LIF, i_ext: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    generator = _SplitMix64(int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]))
    decay = math.exp(-DT / model.tau_m)
    noise_scale = model.noise_sigma * math.sqrt(1.0 - math.exp(-2.0 * DT / model.tau_m))
    ref_steps = round(model.tau_ref / DT)
    v = np.full(N, model.v_rest)
    refractory = np.zeros(N, dtype=int)
    spikes, voltages = [], []
    for _ in range(STEPS):
        fired = np.zeros(N, dtype=bool)
        for n in range(N):  # the kernel's order: one draw per non-refractory neuron
            if refractory[n] > 0:
                refractory[n] -= 1
                v_new = model.v_reset
            else:
                v_inf = model.v_rest + model.r_m * (model.i_bias + i_ext[n])
                v_new = v_inf + (v[n] - v_inf) * decay + noise_scale * generator.normal()
            if v_new >= model.v_th:
                v_new = model.v_reset
                refractory[n] = ref_steps
                fired[n] = True
            v[n] = v_new
        spikes.append(fired)
        voltages.append(v.copy())
    return np.array(spikes), np.array(voltages)


def test_noisy_lif_matches_numpy() -> None:
    model = LIF(tau_m=0.02, v_th=1.0, v_reset=0.0, tau_ref=0.003, noise_sigma=0.3)
    source, hidden = Input(2, name="input"), Population(N, model, name="hidden")
    sim = Simulator(
        Network([source, hidden], [Projection(source, hidden, AllToAll(), 0.0)]), seed=7
    )
    i_ext = np.linspace(0.2, 1.1, N)
    sim.set_current("hidden", i_ext)
    spikes, voltages = [], []
    part = sim.slice_of("hidden")
    for _ in range(STEPS):
        spikes.append(sim.step()[part].copy())
        voltages.append(sim.state["hidden.v"].copy())
    expected_spikes, expected_v = _reference(model, i_ext, seed=7)
    assert expected_spikes.sum() > 20  # the noise and current make neurons fire
    np.testing.assert_array_equal(np.array(spikes), expected_spikes)
    np.testing.assert_allclose(np.array(voltages), expected_v, rtol=0, atol=1e-12)
