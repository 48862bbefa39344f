"""The contract between rule (and encoder) builds and the simulator, which names no rule.

``reset_state`` sets back exactly the episode state each build declares
(and the neurons, ring and step counts), nothing more; ``weights()`` writes
what a lazy rule keeps pending before it copies; and a rule type added here
alone, with its own hooks, is honoured by ``reset_state``, ``weights()``,
``sync_weights()`` and ``reset_state(clock=True)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest

from neurocontrol.core.builder.plasticity import build_pes
from neurocontrol.core.builder.registry import RULE_BUILDERS
from neurocontrol.core.builder.rules import RuleAccess, RuleBuild, RuleContext
from neurocontrol.core.kernels.step.pes import PESState
from neurocontrol.core.kernels.step.reward_stdp import RSTDP_EPOCH_START
from neurocontrol.core.kernels.step.state import (
    OPS_TOTAL,
    POP_SPIKE_COUNT,
    PRJ_LEARNING_MACS_STEP,
    PRJ_LEARNING_SYNOPS_STEP,
    PRJ_MACS_STEP,
    PRJ_SYNOPS_STEP,
)
from neurocontrol.core.model import (
    LIF,
    PES,
    AllToAll,
    Input,
    Network,
    Population,
    Projection,
    RewardSTDP,
    Uniform,
)
from neurocontrol.core.model.network import Output
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_IN, N_HIDDEN = 12, 8
NEURON_VARIABLES = ("v", "i_syn", "recovery", "adaptation", "refractory", "spiked", "rate")
NEURON_KEYS = [f"neurons.{name}" for name in NEURON_VARIABLES]
#: what every episode start clears besides the declared state
ALWAYS = {"neurons.spike_ids", "network.ring"}
#: arrays holding counters of which only the last step's are cleared
COUNTERS = {
    "populations.ints": (slice(None), [POP_SPIKE_COUNT]),
    "synapses.ints": (
        slice(None),
        [PRJ_SYNOPS_STEP, PRJ_MACS_STEP, PRJ_LEARNING_SYNOPS_STEP, PRJ_LEARNING_MACS_STEP],
    ),
    "network.operations": (slice(0, OPS_TOTAL),),
}
RSTDP_EPISODE = ["pre_trace", "post_trace", "eligibility", "dopamine", "reward", "reward_pending"]


@dataclass(frozen=True, eq=False)
class LazyPES(PES):
    """PES whose build declares its own hooks (known to this test only)."""

    kind: ClassVar[str] = "LazyPES"
    default_name: ClassVar[str] = "lazy"


class Hooks:
    """The new rule's hooks: a pending change written by ``sync_weights``, calls recorded."""

    def __init__(self) -> None:
        self.pending = 0.0
        self.syncs: list[tuple[int, RuleAccess]] = []
        self.restarts: list[int] = []

    def sync_weights(self, access: RuleAccess) -> None:
        self.syncs.append((int(access.clock[0]), access))
        access.weights[...] += np.float32(self.pending)
        self.pending = 0.0

    def restart_clock(self, access: RuleAccess) -> None:
        self.restarts.append(int(access.clock[0]))
        access.state["projected"][...] = -1.0  # its own state, relative to the clock


HOOKS = Hooks()


def build_lazy_pes(rule: LazyPES, context: RuleContext) -> RuleBuild:
    """The PES build, with the error alone as episode state, and the hooks above."""
    return dataclasses.replace(
        build_pes(rule, context),
        episode_state=("error",),
        sync_weights=HOOKS.sync_weights,
        restart_clock=HOOKS.restart_clock,
    )


def contract_network() -> Network:
    """R-STDP (lazy weights) from inputs onto LIF neurons read out with the new rule."""
    source, hidden = Input(N_IN, name="source"), Population(N_HIDDEN, LIF(), name="hidden")
    out = Output(2, tau=0.01, name="out")
    return Network(
        [source, hidden, out],
        [
            Projection(source, hidden, AllToAll(), Uniform(0.2, 0.6), name="plastic",
                       rule=RewardSTDP(w_max=1.0, learning_rate=20.0, tau_eligibility=0.05)),
            Projection(hidden, out, AllToAll(), 0.0, rule=LazyPES(1e-2), name="readout"),
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def built():
    """Simulators built while the new rule is registered; unregistered right after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(RULE_BUILDERS._builders, LazyPES, build_lazy_pes)
        sims = [Simulator(contract_network(), dt=DT, seed=4) for _ in range(4)]
    return sims


def drive(sim: Simulator, steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for t in range(steps):
        if t % 20 == 5:
            sim.set_third_factor("plastic.rstdp", float(rng.choice([-1.0, 1.0])))
        sim.set_third_factor("readout.lazy", rng.normal(size=2))
        sim.step(rng.random(N_IN) < 0.3)


def test_the_rule_is_unregistered_after_the_build(built):
    """Unregistered, the subclass is built by its base's builder (no hooks of its own)."""
    assert LazyPES not in RULE_BUILDERS
    assert built[0].built.rules[1].build.sync_weights == HOOKS.sync_weights
    plain = Simulator(contract_network(), dt=DT)
    assert plain.built.rules[1].build.sync_weights is None
    assert "readout.lazy.activity" in plain.built.episode_keys


def test_episode_keys_are_what_the_builds_declare(built, make_signal_network):
    sim = built[0]
    assert sim.built.episode_keys == [
        *NEURON_KEYS,
        *[f"plastic.rstdp.{name}" for name in RSTDP_EPISODE],
        "readout.lazy.error",
    ]
    signals = Simulator(make_signal_network(delta=0.1), dt=DT)
    assert signals.built.episode_keys == [
        *NEURON_KEYS,
        "q_ens.level", "q_ens.events", "q_ens.started",  # q_rates, f_aff: none
        "ens_out.pes.activity", "ens_out.pes.error", "ens_out.pes.trace", "ens_out.pes.last",
        "rates_out.pes.activity", "rates_out.pes.error", "rates_out.pes.trace",
        "rates_out.pes.last",
    ]  # fmt: skip
    every_step = Simulator(make_signal_network(delta=None), dt=DT)
    assert "q_ens.level" not in every_step.built.episode_keys


def check_reset(sim: Simulator, fresh: dict[str, np.ndarray]) -> None:
    """``reset_state`` sets back the declared keys, clears the counts, keeps everything else."""
    sim.sync_weights()  # (pending changes are written by the reset first)
    before = sim.state_dict()
    sim.reset_state()
    after = sim.state_dict()
    declared = set(sim.built.episode_keys)
    for key, value in after.items():
        if key in declared or key in ALWAYS:
            np.testing.assert_array_equal(value, fresh[key], err_msg=key)
        elif key in COUNTERS:
            cleared = COUNTERS[key]
            np.testing.assert_array_equal(value[cleared], 0, err_msg=key)
            value[cleared] = before[key][cleared]
            np.testing.assert_array_equal(value, before[key], err_msg=key)
        else:
            np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_reset_state_sets_back_exactly_the_declared_state(built):
    sim = built[0]
    fresh = sim.state_dict()
    drive(sim, 300, seed=0)
    moved = {k for k, v in sim.state_dict().items() if not np.array_equal(v, fresh[k])}
    assert {"readout.lazy.activity", "readout.lazy.error", "plastic.rstdp.eligibility"} <= moved
    check_reset(sim, fresh)
    assert sim.state["readout.lazy.activity"].any()  # not declared: kept


def test_reset_state_of_encoders_and_pes(make_signal_network, drive_signal_network):
    sim = Simulator(make_signal_network(delta=0.05), dt=DT, seed=1)
    fresh = sim.state_dict()
    drive_signal_network(sim, 200, seed=3)
    check_reset(sim, fresh)
    assert sim.state["f_aff.uniform"].any() and sim.state["ens.i_ext"].any()  # kept


def test_weights_are_current_without_an_explicit_sync(built):
    """R-STDP writes a weight when its presynaptic neuron spikes or an epoch ends; ``weights``
    writes the rest first (as ``sync_weights`` on a twin in the same state)."""
    sim, twin = built[1], built[2]
    drive(sim, 137, seed=1)  # within an epoch: changes are pending
    twin.load_state_dict(sim.state_dict())
    twin.sync_weights()
    expected = twin.state["plastic.weights"].copy()
    assert not np.array_equal(sim.state["plastic.weights"], expected)  # the raw view lags
    np.testing.assert_array_equal(sim.weights("plastic"), expected)
    np.testing.assert_array_equal(sim.state["plastic.weights"], expected)  # written in place
    # reading again writes nothing more (a second sync would add R-STDP's rounding residue)
    np.testing.assert_array_equal(sim.weight_matrix("plastic"), expected.astype(np.float64))
    for _ in range(3):
        assert sim.sync_weights() == 2
    np.testing.assert_array_equal(sim.weights("plastic"), expected)


def test_a_new_rule_type_is_honoured_through_its_hooks(built):
    sim = built[3]
    start = len(HOOKS.syncs)
    drive(sim, 20, seed=2)
    raw = sim.state["readout.weights"].copy()
    assert raw.any()  # PES learned through the reused kernel

    HOOKS.pending = 0.25  # weights() writes the rule's pending change before it copies
    np.testing.assert_array_equal(sim.weights("readout"), raw + np.float32(0.25))
    clock, access = HOOKS.syncs[-1]
    assert clock == sim.n_steps and len(HOOKS.syncs) == start + 1
    assert np.shares_memory(access.weights, sim.state["readout.weights"])
    assert set(access.state) == set(PESState._fields) and access.dense_rows == N_HIDDEN
    assert (access.w_low, access.w_high) == (-np.inf, np.inf)
    assert sim.sync_weights() == 2  # R-STDP and the new rule keep weights pending
    assert len(HOOKS.syncs) == start + 1  # once per step count

    drive(sim, 1, seed=4)
    raw = sim.state["readout.weights"].copy()
    activity = sim.state["readout.lazy.activity"].copy()
    assert sim.state["readout.lazy.error"].any() and activity.any()
    HOOKS.pending = 0.5
    sim.reset_state()  # writes what is pending; the declared error goes, the activity stays
    assert len(HOOKS.syncs) == start + 2 and HOOKS.syncs[-1][0] == sim.n_steps
    np.testing.assert_array_equal(sim.state["readout.weights"], raw + np.float32(0.5))
    np.testing.assert_array_equal(sim.state["readout.lazy.error"], 0.0)
    np.testing.assert_array_equal(sim.state["readout.lazy.activity"], activity)
    assert not HOOKS.restarts

    sim.state["plastic.rstdp.switches"][RSTDP_EPOCH_START] = 99
    sim.reset_state(clock=True)
    assert HOOKS.restarts == [0] and sim.n_steps == 0  # called after the clock is set back
    np.testing.assert_array_equal(sim.state["readout.lazy.projected"], -1.0)
    assert sim.state["plastic.rstdp.switches"][RSTDP_EPOCH_START] == -1  # R-STDP's own hook
    drive(sim, 5, seed=3)  # and it steps on from there
    assert sim.n_steps == 5


def test_the_hooks_see_the_projection_through_rule_access(built):
    sim = built[0]
    access: Any = sim.built.rule_access[1]
    assert sim.built.rules[1].name == "lazy" and sim.built.rules[1].build.sync_weights is not None
    assert access.clock is sim.state["network.clock"]
    # the weights in storage order, live: a readout's by output
    np.testing.assert_array_equal(access.weights, sim.state["readout.weights"].T.ravel())
    assert np.shares_memory(access.weights, sim.state["readout.weights"])
