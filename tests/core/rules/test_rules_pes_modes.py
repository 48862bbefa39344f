"""Every path of the PES kernel against a NumPy replay of the rule.

Presynaptic spikes (from an Input, so the raster is the test's own) and
rates (a LIFRate population), filtered (``pre_tau``) or not (per spike: each
spiking neuron's row moves by ``-learning_rate * error``; per rate: by
``-learning_rate * dt * rate * error``), onto readouts (weights stored by
output), dense row-major and sparse projections, two rules on one dense
projection (changes buffered in float32 and applied at the end of the step;
a readout takes one rule, whose changes its output follows), frozen by
``set_plasticity(False)``. The replay rounds as the kernel does (float64
arithmetic, float32 weights), so weights match exactly.
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
LEARNING_RATE = 1e-3
ACTIVITY_FLOOR = 1e-30
#: projection -> (rule names, presynaptic node, stored by output)
PROJECTIONS = {
    "readout": (("pes",), "pre", True),
    "dense2": (("a", "b"), "pre", False),
    "rate_readout": (("pes",), "rate", True),
    "dense": (("pes",), "pre", False),
    "sparse": (("pes",), "pre", False),
    "rate_dense": (("pes",), "rate", False),
}


def pes_network(pre_tau: float | None) -> Network:
    """Spikes and rates onto outputs, onto a silent LIF population densely and sparsely."""
    pre, rate = Input(N_PRE, name="pre"), Population(N_RATE, LIFRate(), name="rate")
    post = Population(N_OUT, LIF(v_th=1e9), name="post")  # never fires
    outputs = [Output(N_OUT, tau=0.01, name=f"out_{k}") for k in range(2)]
    weights = Uniform(-0.1, 0.1)

    def rules(*names: str) -> list[PES]:
        return [
            PES(LEARNING_RATE * (k + 1), pre_tau=pre_tau, name=name) for k, name in enumerate(names)
        ]

    return Network(
        [pre, rate, post, *outputs],
        [
            Projection(pre, outputs[0], AllToAll(), weights, rule=rules("pes"), name="readout"),
            Projection(pre, post, AllToAll(), weights, rule=rules("a", "b"), name="dense2"),
            Projection(rate, outputs[1], AllToAll(), weights, rule=rules("pes"),
                       name="rate_readout"),
            Projection(pre, post, AllToAll(), weights, rule=rules("pes"), name="dense"),
            Projection(pre, post, FixedProbability(0.5), weights, rule=rules("pes"),
                       name="sparse"),
            Projection(rate, post, AllToAll(), weights, rule=rules("pes"),
                       name="rate_dense"),
        ],
    )  # fmt: skip


class Replay:
    """NumPy PES on one projection: its weights (float32, ``[n_pre, n_post]``) and activities."""

    def __init__(self, sim: Simulator, projection: str) -> None:
        names, self.pre, self.by_output = PROJECTIONS[projection]
        model = sim.network.projection(projection)
        self.rules = list(model.rules)
        self.keys = [f"{projection}.{name}" for name in names]
        self.rates = self.pre == "rate"
        self.mask = sim.weight_matrix(projection) != 0.0  # Uniform(-0.1, 0.1): no exact zero
        self.weights = sim.weight_matrix(projection).astype(np.float32)
        self.activity = [np.zeros(model.pre.n) for _ in self.rules]
        self.filtered = model.rules[0].pre_tau is not None

    def change(self, k: int, values: np.ndarray, error: np.ndarray) -> np.ndarray | None:
        """Rule ``k``'s weight change for this step's spikes or rates ``values``."""
        rule = self.rules[k]
        rate_dt = rule.learning_rate * DT
        if self.filtered:
            decay = math.exp(-DT / rule.pre_tau)
            scale = (1.0 - decay) / DT
            activity = self.activity[k] * decay
            activity = np.where(activity >= ACTIVITY_FLOOR, activity, 0.0)
            if self.rates:
                activity = activity + (scale * DT) * values
            else:
                activity = np.where(values, activity + scale, activity)
            self.activity[k] = activity
            values = activity
        if not np.any(error != 0.0):
            return None
        if not (self.filtered or self.rates):  # per spike: the error scaled once
            row = error * -(rate_dt / DT)
            return np.where(values[:, None], row[None, :], 0.0)
        if self.by_output and len(self.rules) == 1:  # written through, column by column
            return np.outer(values, -rate_dt * error)
        return np.outer(-rate_dt * values, error)

    def step(self, values: np.ndarray, errors: list[np.ndarray], enabled: bool) -> None:
        changes = [self.change(k, values, error) for k, error in enumerate(errors)]
        if not enabled:
            return
        if len(changes) == 1:  # written through: float64 sums rounded to float32
            touched = changes[0]
        else:  # buffered in float32, then added to the weights
            touched = np.zeros(self.weights.shape, np.float32)
            for change in changes:
                if change is not None:
                    hit = (change != 0.0) & self.mask
                    touched[hit] = (touched[hit].astype(np.float64) + change[hit]).astype(
                        np.float32
                    )
        if touched is None:
            return
        hit = (touched != 0.0) & self.mask
        self.weights[hit] = (self.weights[hit].astype(np.float64) + touched[hit]).astype(np.float32)


def run(sim: Simulator, steps: int, seed: int, replays: dict[str, Replay], enabled=True):
    """Random spikes, rates and errors (some zero) for ``steps``; replay every projection."""
    rng = np.random.default_rng(seed)
    for t in range(steps):
        spikes = rng.random(N_PRE) < 0.3
        sim.state["rate.i_ext"] = rng.uniform(0.0, 3.0, N_RATE)
        errors = {}
        for replay in replays.values():
            for key in replay.keys:
                error = rng.normal(size=N_OUT) * (rng.random(N_OUT) < 0.8)
                errors[key] = np.zeros(N_OUT) if t % 10 == 0 else error
                sim.set_third_factor(key, errors[key])
        sim.step(spikes)
        rates = sim.state["rate.rate"].copy()
        for replay in replays.values():
            values = rates if replay.rates else spikes
            replay.step(values, [errors[key] for key in replay.keys], enabled)


def check(sim: Simulator, replays: dict[str, Replay]) -> None:
    for name, replay in replays.items():
        np.testing.assert_array_equal(sim.weight_matrix(name), replay.weights, err_msg=name)
        if replay.filtered:
            for key, activity in zip(replay.keys, replay.activity, strict=True):
                np.testing.assert_array_equal(sim.state[f"{key}.activity"], activity, key)


@pytest.fixture(scope="module", params=[None, 0.005], ids=["unfiltered", "filtered"])
def learning(request):
    """A simulator after 150 steps of learning on every path, and its replays."""
    sim = Simulator(pes_network(request.param), dt=DT, seed=6)
    replays = {name: Replay(sim, name) for name in PROJECTIONS}
    initial = {name: replay.weights.copy() for name, replay in replays.items()}
    run(sim, 150, 0, replays)
    return sim, replays, initial


@pytest.mark.parametrize("projection", list(PROJECTIONS))
def test_pes_matches_the_numpy_replay(learning, projection):
    sim, replays, initial = learning
    replay = replays[projection]
    check(sim, {projection: replay})
    moved = np.abs(replay.weights.astype(np.float64) - initial[projection])
    assert moved.max() > 1e-4  # it learned
    if projection == "sparse":
        assert sim.state["sparse.weights"].ndim == 1 and 0.3 < replay.mask.mean() < 0.7


def test_per_spike_pes_moves_each_spiking_row_by_minus_rate_times_error():
    sim = Simulator(pes_network(None), dt=DT)
    before = sim.weights("readout").astype(np.float64)
    error = np.array([0.5, -2.0, 0.0])
    spikes = np.zeros(N_PRE, bool)
    spikes[[1, 4, 7]] = True
    sim.set_third_factor("readout.pes", error)
    sim.step(spikes)
    change = sim.weights("readout").astype(np.float64) - before
    np.testing.assert_allclose(change[spikes], np.tile(-LEARNING_RATE * error, (3, 1)), rtol=1e-4)
    np.testing.assert_array_equal(change[~spikes], 0.0)


def test_rate_pes_moves_each_row_by_minus_rate_dt_times_rate_times_error():
    sim = Simulator(pes_network(None), dt=DT)
    before = sim.weights("rate_dense").astype(np.float64)
    error = np.array([1.0, -1.0, 2.0])
    sim.state["rate.i_ext"] = np.linspace(0.0, 3.0, N_RATE)  # at or below threshold: silent
    sim.set_third_factor("rate_dense.pes", error)
    sim.step()
    rate = sim.state["rate.rate"]
    assert (rate[:3] == 0).all() and (rate[3:] > 0).all()
    change = sim.weights("rate_dense").astype(np.float64) - before
    expected = -LEARNING_RATE * DT * np.outer(rate, error)
    np.testing.assert_allclose(change, expected, rtol=1e-3, atol=1e-9)


def test_frozen_weights_stay_while_the_activity_filter_runs(learning):
    sim, _, _ = learning
    twin = Simulator(sim.network, dt=DT, seed=6)
    twin.load_state_dict(sim.state_dict())
    frozen = {name: twin.weight_matrix(name) for name in PROJECTIONS}
    replays = {name: Replay(twin, name) for name in PROJECTIONS}
    for replay in replays.values():  # continue the activities of the learning run
        replay.activity = [twin.state[f"{key}.activity"].copy() for key in replay.keys]
    twin.set_plasticity(False)
    run(twin, 60, 1, replays, enabled=False)
    check(twin, replays)
    for name, weights in frozen.items():
        np.testing.assert_array_equal(twin.weight_matrix(name), weights, err_msg=name)
    twin.set_plasticity(True)
    run(twin, 60, 2, replays)
    check(twin, replays)


@pytest.mark.parametrize("pre_tau", [None, 0.005], ids=["unfiltered", "filtered"])
def test_learning_operations_and_a_zero_error_costs_nothing(pre_tau):
    """Per spike: a SynOp per spike and output, a MAC per output for the error's scaling;
    filtered: a MAC per neuron for the filter, per output, and per active neuron and output.
    On a readout also a MAC per spike for its trace through the output synapse, and one per
    changed weight for the output that follows the change."""
    sim = Simulator(pes_network(pre_tau), dt=DT)
    spikes = np.zeros(N_PRE, bool)
    spikes[[0, 3]] = True
    filter_macs = 0 if pre_tau is None else N_PRE
    traces = 2  # the two spiking neurons' traces brought up to date
    propagation = {"synops": 2 * N_OUT, "neuron_updates": 0, "macs": N_OUT}  # readout, gain
    sim.set_third_factor("readout.pes", np.zeros(N_OUT))
    sim.step(spikes)
    assert sim.operation_counts()["readout"] == {
        **propagation,
        "macs": N_OUT + filter_macs + traces,
    }
    sim.set_third_factor("readout.pes", np.ones(N_OUT))
    sim.step(spikes)
    following = 2 * N_OUT  # two rows changed (the spiking ones, or the two nonzero traces)
    learning = (
        {"synops": 2 * N_OUT, "macs": N_OUT + following}
        if pre_tau is None
        else {"synops": 0, "macs": N_PRE + N_OUT + 2 * N_OUT + following}
    )
    assert sim.operation_counts()["readout"] == {
        "synops": propagation["synops"] + learning["synops"],
        "neuron_updates": 0,
        "macs": propagation["macs"] + traces + learning["macs"],
    }
    sim.step()  # no spikes
    silent = {"synops": 0, "neuron_updates": 0}
    if pre_tau is None:
        assert sim.operation_counts()["readout"] == {**silent, "macs": 0}
    else:
        assert sim.operation_counts()["readout"] == {
            **silent,
            "macs": N_PRE + N_OUT + 2 * N_OUT + following,  # the two traces still decaying
        }


def test_a_readout_takes_one_rule():
    pre, out = Population(4, LIF(), name="pre"), Output(2, tau=0.01, name="out")
    net = Network(
        [pre, out],
        [Projection(pre, out, AllToAll(), 0.0, rule=[PES(name="a"), PES(name="b")], name="r")],
    )
    with pytest.raises(
        ConfigError,
        match=r"readout 'r' onto Output 'out' has 2 rules; a readout "
        r"takes one PES rule",
    ):
        Simulator(net)
