"""PES with a weight decay (``decay_tau``) against a NumPy replay of the rule.

Each step every weight is multiplied by ``exp(-dt / decay_tau)`` and then,
while the rule is enabled, moved by PES; frozen, the decay goes on (the
memory forgets; only learning stops). A readout's output stays the decoding
of its traces by the weights. Paths: per-spike readout, rate readout, dense
and sparse projections onto a population, two rules on one projection (one
decaying: the changes buffered), a decay once every few steps, frozen.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    PES,
    AllToAll,
    FixedProbability,
    Input,
    Network,
    Population,
    Projection,
    Uniform,
)
from neurocontrol.core.model.network import Output
from neurocontrol.core.model.neurons import LIFRate
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError

DT = 1e-3
N_PRE, N_RATE, N_OUT = 10, 7, 3
RATE = 2e-3
DECAY_TAU = 0.05
OUT_TAU = 0.01
PERIOD_STEPS = 3  # the decay of "periodic" and "periodic_readout", once every 3 steps
#: projection -> (rules as (name, decay_tau), presynaptic node)
PROJECTIONS = {
    "readout": ((("pes", DECAY_TAU),), "pre"),
    "rate_readout": ((("pes", DECAY_TAU),), "rate"),
    "dense": ((("pes", DECAY_TAU),), "pre"),
    "sparse": ((("pes", DECAY_TAU),), "pre"),
    "dense2": ((("fast", DECAY_TAU), ("slow", None)), "pre"),
    "periodic": ((("pes", DECAY_TAU),), "pre"),
    "periodic_readout": ((("pes", DECAY_TAU),), "pre"),
}
PERIODIC = ("periodic", "periodic_readout")


def decay_network() -> Network:
    pre, rate = Input(N_PRE, name="pre"), Population(N_RATE, LIFRate(), name="rate")
    post = Population(N_OUT, LIF(v_th=1e9), name="post")  # never fires
    outputs = [Output(N_OUT, tau=OUT_TAU, name=f"out_{k}") for k in range(2)]
    weights = Uniform(-0.1, 0.1)

    def rules(name: str) -> list[PES]:
        period = PERIOD_STEPS * DT if name in PERIODIC else None
        return [
            PES(RATE, pre_tau=None, decay_tau=tau, decay_period=period if tau else None, name=rule)
            for rule, tau in PROJECTIONS[name][0]
        ]

    def projection(source, target, connectivity, name):
        return Projection(source, target, connectivity, weights, rule=rules(name), name=name)

    return Network(
        [pre, rate, post, *outputs],
        [
            projection(pre, outputs[0], AllToAll(), "readout"),
            projection(rate, outputs[1], AllToAll(), "rate_readout"),
            projection(pre, post, AllToAll(), "dense"),
            projection(pre, post, FixedProbability(0.5), "sparse"),
            projection(pre, post, AllToAll(), "dense2"),
            projection(pre, post, AllToAll(), "periodic"),
            # onto the same output as "readout": each decay moves its own decoding only
            projection(pre, outputs[0], AllToAll(), "periodic_readout"),
        ],
    )


class Replay:
    """NumPy decay + PES on one projection (float64), and a readout's traces."""

    def __init__(self, sim: Simulator, name: str) -> None:
        rules, pre = PROJECTIONS[name]
        self.keys = [f"{name}.{rule}" for rule, _ in rules]
        self.factors = [1.0 if tau is None else math.exp(-DT / tau) for _, tau in rules]
        self.period = PERIOD_STEPS if name in PERIODIC else 1
        self.rates = pre == "rate"
        self.mask = sim.weight_matrix(name) != 0.0
        self.weights = sim.weight_matrix(name).astype(np.float64)
        self.trace = np.zeros(self.weights.shape[0])

    def step(self, step: int, values: np.ndarray, errors: list[np.ndarray], enabled: bool) -> None:
        gain = math.exp(-DT / OUT_TAU)
        activity = values if self.rates else values / DT
        self.trace = gain * self.trace + (1.0 - gain) * activity
        change = np.zeros_like(self.weights)
        decays = (step + 1) % self.period == 0  # at the end of every period-th step
        for factor, error in zip(self.factors, errors, strict=True):
            if decays:  # every rule sees the weights of the step
                change += (factor**self.period - 1.0) * self.weights
            if enabled:
                change -= RATE * DT * np.outer(activity, error)
        self.weights += np.where(self.mask, change, 0.0)


def run(sim: Simulator, steps: int, seed: int, replays: dict[str, Replay], enabled=True):
    rng = np.random.default_rng(seed)
    for t in range(steps):
        step = sim.n_steps
        spikes = rng.random(N_PRE) < 0.3
        sim.state["rate.i_ext"] = rng.uniform(0.0, 3.0, N_RATE)
        errors = {}
        for replay in replays.values():
            for key in replay.keys:
                errors[key] = np.zeros(N_OUT) if t % 10 == 0 else rng.normal(size=N_OUT)
                sim.set_third_factor(key, errors[key])
        sim.step(spikes)
        rates = sim.state["rate.rate"].copy()
        for replay in replays.values():
            values = rates if replay.rates else spikes.astype(np.float64)
            replay.step(step, values, [errors[key] for key in replay.keys], enabled)


def check(sim: Simulator, replays: dict[str, Replay]) -> None:
    for name, replay in replays.items():
        np.testing.assert_allclose(
            sim.weight_matrix(name), replay.weights, rtol=2e-5, atol=1e-7, err_msg=name
        )
    for output, names in (("out_0", ("readout", "periodic_readout")), ("out_1", ("rate_readout",))):
        if not all(name in replays for name in names):
            continue
        decoded = sum(replays[name].weights.T @ replays[name].trace for name in names)
        np.testing.assert_allclose(sim.state[f"{output}.value"], decoded, rtol=1e-4, atol=1e-7)


@pytest.fixture(scope="module")
def learned():
    sim = Simulator(decay_network(), dt=DT, seed=3)
    replays = {name: Replay(sim, name) for name in PROJECTIONS}
    initial = {name: replay.weights.copy() for name, replay in replays.items()}
    run(sim, 200, 0, replays)
    return sim, replays, initial


@pytest.mark.parametrize("projection", list(PROJECTIONS))
def test_decaying_pes_matches_the_numpy_replay(learned, projection):
    sim, replays, initial = learned
    check(sim, {projection: replays[projection]})
    if projection in ("readout", "rate_readout", "periodic_readout"):
        check(sim, replays)  # the outputs: every projection onto them
    assert np.abs(replays[projection].weights - initial[projection]).max() > 1e-3


def test_the_weights_fade_with_decay_tau_learning_on_or_frozen():
    sim = Simulator(decay_network(), dt=DT, seed=3)
    start = sim.weight_matrix("dense").astype(np.float64)
    steps = 50
    for _ in range(steps):
        sim.step(np.zeros(N_PRE, bool))
    np.testing.assert_allclose(
        sim.weight_matrix("dense"), start * math.exp(-steps * DT / DECAY_TAU), rtol=1e-5
    )
    sim.set_plasticity(False)
    for _ in range(steps):
        sim.step(np.zeros(N_PRE, bool))
    np.testing.assert_allclose(
        sim.weight_matrix("dense"), start * math.exp(-2 * steps * DT / DECAY_TAU), rtol=1e-5
    )


def test_frozen_decaying_rules_only_forget_then_resume_learning(learned):
    sim, _, _ = learned
    twin = Simulator(sim.network, dt=DT, seed=3)
    twin.load_state_dict(sim.state_dict())
    replays = {name: Replay(twin, name) for name in PROJECTIONS}
    for replay, name in zip(replays.values(), PROJECTIONS, strict=True):
        replay.trace = _current_traces(twin, name)
    twin.set_plasticity(False)
    frozen = {name: twin.weight_matrix(name).astype(np.float64) for name in PROJECTIONS}
    decays = (twin.n_steps + np.arange(40) + 1) % PERIOD_STEPS == 0
    run(twin, 40, 1, replays, enabled=False)
    for name, weights in frozen.items():
        applied = 40 if replays[name].period == 1 else PERIOD_STEPS * int(decays.sum())
        factor = math.prod(replays[name].factors) ** applied  # the decay alone, errors ignored
        np.testing.assert_allclose(
            twin.weight_matrix(name), weights * factor, rtol=2e-5, atol=1e-7, err_msg=name
        )
    check(twin, replays)  # the readouts' outputs fade with their weights
    twin.set_plasticity(True)
    run(twin, 40, 2, replays)
    for name, replay in replays.items():
        np.testing.assert_allclose(twin.weight_matrix(name), replay.weights, rtol=2e-5, atol=1e-7)


def _current_traces(sim: Simulator, name: str) -> np.ndarray:
    """A readout's traces now (spiking ones are stored as of each neuron's last spike)."""
    if name not in ("readout", "rate_readout", "periodic_readout"):
        return np.zeros(sim.weight_matrix(name).shape[0])
    trace = sim.state[f"{name}.pes.trace"].copy()
    if name == "rate_readout":
        return trace
    elapsed = sim.n_steps - 1 - sim.state[f"{name}.pes.last"]
    return trace * math.exp(-DT / OUT_TAU) ** elapsed


@pytest.mark.parametrize("value", [0.0, -0.1, math.inf, math.nan])
def test_a_decay_tau_that_is_not_positive_and_finite_is_refused(value):
    with pytest.raises(ConfigError, match=r"PES\.decay_tau must be"):
        PES(1e-3, decay_tau=value)


@pytest.mark.parametrize("value", [0.0, -0.1, math.inf, math.nan])
def test_a_decay_period_that_is_not_positive_and_finite_is_refused(value):
    with pytest.raises(ConfigError, match=r"PES\.decay_period must be"):
        PES(1e-3, decay_tau=0.05, decay_period=value)


def test_a_decay_period_without_a_decay_is_refused():
    with pytest.raises(ConfigError, match=r"PES\.decay_period=0\.005 needs a decay_tau"):
        PES(1e-3, decay_period=0.005)


def test_a_periodic_decay_holds_the_weights_between_its_steps():
    sim = Simulator(decay_network(), dt=DT, seed=3)
    start = sim.weight_matrix("periodic").astype(np.float64)
    assert sim.state["periodic.pes.params"][6] == PERIOD_STEPS
    seen = []
    for _ in range(2 * PERIOD_STEPS):
        sim.step(np.zeros(N_PRE, bool))
        seen.append(sim.weight_matrix("periodic").astype(np.float64))
    factor = math.exp(-PERIOD_STEPS * DT / DECAY_TAU)
    for k, weights in enumerate(seen):  # after step k: decayed at the end of steps 2, 5
        np.testing.assert_allclose(weights, start * factor ** ((k + 1) // PERIOD_STEPS), rtol=1e-6)


def test_a_rule_without_decay_keeps_its_description_and_parameters():
    """No decay_tau: the same description (digests of earlier checkpoints) and 5 parameters."""
    from neurocontrol.core.model.serialize import network_to_config

    a, y = Population(2, LIFRate(), name="a"), Output(1, name="y")
    network = Network([a, y], [Projection(a, y, AllToAll(), 0.0, rule=PES(1e-3), name="r")])
    config, _ = network_to_config(network)
    assert "decay_tau" not in str(config)
    sim = Simulator(network, dt=DT)
    assert sim.state["r.pes.params"].shape == (5,)
