"""Two PES readouts of one rate population onto one output (the rate twin's shape).

A rate readout's PES also propagates (one pass over the weights when it
learns and does not decay); the output then stays the decoding of the
traces by both readouts' current weights, and the weights match a NumPy
replay to the last bit.
"""

from __future__ import annotations

import numpy as np

from neurocontrol.core.model import PES, AllToAll, Network, Population, Projection
from neurocontrol.core.model.network import Output
from neurocontrol.core.model.neurons import LIFRate
from neurocontrol.core.simulator import Simulator

DT, N_RATE, N_OUT, TAU = 1e-3, 40, 3, 0.02
SLOW, FAST, DECAY_TAU, PERIOD = 2e-4, 3e-3, 0.05, 0.003


def two_readouts() -> Network:
    rate = Population(N_RATE, LIFRate(), name="rate")
    out = Output(N_OUT, tau=TAU, name="out")
    slow = Projection(rate, out, AllToAll(), 0.0, rule=PES(SLOW, pre_tau=None), name="slow")
    fast_rule = PES(FAST, pre_tau=None, decay_tau=DECAY_TAU, decay_period=PERIOD)
    fast = Projection(rate, out, AllToAll(), 0.0, rule=fast_rule, name="fast")
    return Network([rate, out], [slow, fast])


def test_two_rate_readouts_decode_their_traces_and_match_the_numpy_replay() -> None:
    sim = Simulator(two_readouts(), dt=DT, seed=0)
    rng = np.random.default_rng(0)
    decay = np.exp(-DT / TAU)
    weights = {"slow": np.zeros((N_RATE, N_OUT)), "fast": np.zeros((N_RATE, N_OUT))}
    trace = np.zeros(N_RATE)
    period = round(PERIOD / DT)
    for t in range(60):
        sim.state["rate.i_ext"] = rng.uniform(0.0, 3.0, N_RATE)  # some neurons silent
        error = rng.normal(size=N_OUT) * (t % 7 != 0)  # some steps without error
        sim.set_third_factor("slow.pes", error)
        sim.set_third_factor("fast.pes", error)
        sim.step()
        rate = sim.state["rate.rate"]
        trace = trace * decay + (1.0 - decay) * rate
        if (t + 1) % period == 0:
            weights["fast"] *= np.exp(-period * DT / DECAY_TAU)
        for name, kappa in (("slow", SLOW), ("fast", FAST)):
            weights[name] += np.outer(-kappa * DT * rate, error)
        for name in weights:
            np.testing.assert_allclose(
                sim.weight_matrix(name), weights[name], rtol=1e-5, atol=1e-9
            )  # float32 weights
        decoded = trace @ (sim.weight_matrix("slow") + sim.weight_matrix("fast"))
        np.testing.assert_allclose(sim.state["out.value"], decoded, rtol=1e-6, atol=1e-7)
    assert np.abs(weights["slow"]).max() > 1e-6  # it learned
