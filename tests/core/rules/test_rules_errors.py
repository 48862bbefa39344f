"""Bad input to the learning rules: clear errors naming the value and what is accepted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    PES,
    AdaptiveThreshold,
    AllToAll,
    Input,
    Network,
    OneToOne,
    PairSTDP,
    Population,
    Projection,
    RewardSTDP,
    SynapticScaling,
    TripletSTDP,
    WeightNormalization,
)
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError, ShapeError


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (PairSTDP, "tau_plus"),
        (TripletSTDP, "tau_y"),
        (RewardSTDP, "tau_eligibility"),
        (RewardSTDP, "tau_dopamine"),
        (PES, "pre_tau"),
        (SynapticScaling, "rate_tau"),
        (WeightNormalization, "period"),
        (AdaptiveThreshold, "target_rate"),
    ],
)
@pytest.mark.parametrize("value", [0.0, -0.02, math.nan, math.inf])
def test_non_positive_time_constants_are_refused(rule, field, value):
    with pytest.raises(
        ConfigError, match=rf"{rule.__name__}\.{field} must be a finite number > 0, got"
    ):
        rule(**{field: value})


@pytest.mark.parametrize("rule", [PairSTDP, TripletSTDP, RewardSTDP, SynapticScaling])
def test_w_min_above_w_max_is_refused(rule):
    with pytest.raises(
        ConfigError, match=rf"{rule.__name__}: w_min must be < w_max, got w_min=0.5, w_max=0.2"
    ):
        rule(w_min=0.5, w_max=0.2)


def test_other_rule_parameters_are_checked():
    with pytest.raises(ConfigError, match=r"RewardSTDP.baseline_rate must be in \(0, 1\]"):
        RewardSTDP(baseline_rate=1.5)
    with pytest.raises(ConfigError, match=r"RewardSTDP.n_contexts must be an integer >= 1, got 0"):
        RewardSTDP(n_contexts=0)
    with pytest.raises(ConfigError, match=r"PES.learning_rate must be a finite number >= 0"):
        PES(learning_rate=-1e-5)
    with pytest.raises(ConfigError, match=r"TripletSTDP.a3_plus must be a finite number >= 0"):
        TripletSTDP(a3_plus=-1.0)
    with pytest.raises(ShapeError, match=r"PES.encoders must be a 2-D array"):
        PES(encoders=np.ones(3))


def reward_network() -> Simulator:
    pre, post = Input(3, name="pre"), Population(3, LIF(), name="post")
    projection = Projection(pre, post, OneToOne(), 0.5, rule=RewardSTDP(), name="plastic")
    return Simulator(Network([pre, post], [projection]))


def test_a_nan_reward_is_refused_and_leaves_no_reward_pending():
    sim = reward_network()
    with pytest.raises(
        ConfigError, match=r"plastic\.rstdp\.reward must be finite \(no NaN or inf\)"
    ):
        sim.set_third_factor("plastic.rstdp", math.nan)
    with pytest.raises(ConfigError, match=r"must be finite"):
        sim.set_third_factor("rstdp", [math.inf])
    assert sim.state["plastic.rstdp.reward_pending"][0] == 0  # nothing pending
    assert np.all(np.isfinite(sim.state["plastic.rstdp.reward"]))
    sim.step()
    assert sim.state["plastic.rstdp.dopamine"][0] == 0.0


def test_a_reward_is_pending_until_the_next_step_takes_it():
    sim = reward_network()
    sim.set_third_factor("plastic.rstdp", 0.0)  # a zero reward is a reward (baseline, flag)
    assert sim.state["plastic.rstdp.reward_pending"][0] == 1
    sim.step()
    assert sim.state["plastic.rstdp.reward_pending"][0] == 0
    sim.set_third_factor("plastic.rstdp", -0.5)
    sim.step()
    dopamine = sim.state["plastic.rstdp.dopamine"][0]
    assert dopamine == -0.5
    sim.step()  # taken once: the dopamine only decays
    assert sim.state["plastic.rstdp.dopamine"][0] == dopamine * math.exp(-1e-3 / 0.2)


def test_pes_error_of_the_wrong_dimension_is_refused():
    pre, post = Input(4, name="pre"), Population(2, LIF(), name="post")
    net = Network([pre, post], [Projection(pre, post, AllToAll(), 0.0, rule=PES(error_dims=3))])
    with pytest.raises(ShapeError, match=r"error dimension 3 does not match the 2 postsynaptic"):
        Simulator(net)
