"""make_agent builds every agent type from plain data and refuses what it does not know."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.agents import (
    AGENT_TYPES,
    AdaptiveController,
    HybridAgent,
    JointPDController,
    OperationalSpaceController,
    make_agent,
)
from neurocontrol.errors import ConfigError, ObservationError


def test_builds_each_type_from_plain_data(planar):
    osc = make_agent({"type": "osc", "kp": 150.0}, planar)
    assert isinstance(osc, OperationalSpaceController) and osc.kp == 150.0
    assert isinstance(make_agent({"type": "joint_pd", "kd": [3, 4]}, planar), JointPDController)
    spiking = make_agent(
        {"type": "adaptive_spiking", "base": {"type": "osc", "kp": 200}, "n_neurons": 100,
         "learning_rate": 2e-3, "tau_synapse": 0.01}, planar, seed=3,
    )  # fmt: skip
    assert isinstance(spiking, AdaptiveController) and spiking.neurons == "spiking"
    assert (spiking.n_neurons, spiking.learning_rate, spiking.seed) == (100, 2e-3, 3)
    assert spiking.base.kp == 200 and spiking.network.node("torque").tau == 0.01
    rate = make_agent({"type": "adaptive_rate", "n_neurons": 100, "seed": 9}, planar, seed=3)
    assert isinstance(rate, AdaptiveController) and rate.neurons == "rate"
    assert rate.seed == 9  # the spec's seed wins
    assert (spiking.agent_type, rate.agent_type) == ("adaptive_spiking", "adaptive_rate")
    hybrid = make_agent(
        {"type": "hybrid", "spiking": {"type": "adaptive_spiking", "n_neurons": 100},
         "dense": {"type": "adaptive_rate", "n_neurons": 100}, "mode": "dense",
         "energy": "loihi"}, planar, seed=2,
    )  # fmt: skip
    assert isinstance(hybrid, HybridAgent) and hybrid.mode == "dense"
    assert hybrid.energy.e_synop == 23.6e-12
    # the twins share their tuning curves: same seed, same encoders and intercepts
    np.testing.assert_array_equal(hybrid.spiking.tuning.encoders, hybrid.dense.tuning.encoders)
    assert set(AGENT_TYPES) >= {"osc", "joint_pd", "adaptive_spiking", "adaptive_rate", "hybrid"}


def test_spec_round_trips(planar):
    spec = {"type": "adaptive_spiking", "base": {"type": "joint_pd"}, "n_neurons": 120}
    agent = make_agent(spec, planar, seed=1)
    again = make_agent(agent.spec(), planar)
    assert again.spec() == agent.spec()
    np.testing.assert_array_equal(again.tuning.gains, agent.tuning.gains)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "ppo"}, r"agent spec has type 'ppo'; allowed types: \['osc', 'joint_pd'"),
        ({"kp": 1.0}, r"agent spec has type None; allowed types"),
        ("osc", r"agent spec must be a mapping with a 'type', got 'osc'"),
        ({"type": "osc", "kpp": 1.0}, r"unknown key\(s\) \['kpp'\] in agent spec of type 'osc'; "
         r"allowed: \['damping', 'dt', 'feedforward', 'gravity_compensation', 'kd', 'kd_null', "
         r"'kp', 'kp_null'\]"),
        ({"type": "adaptive_spiking", "neurons": 10},
         r"unknown key\(s\) \['neurons'\] .*'n_neurons'"),
        ({"type": "adaptive_rate", "decoding": "spike_events"},
         r"unknown key\(s\) \['decoding'\] .*'pes_pre_tau'"),
        ({"type": "adaptive_rate", "tau_synapse": 0.0}, r"tau_synapse must be .*> 0"),
        ({"type": "adaptive_rate", "base": {"type": "pid"}},
         r"base controller spec has type 'pid'; allowed types: \['joint_pd', 'osc'\]"),
        ({"type": "adaptive_rate", "base": {"type": "osc", "ki": 1}},
         r"unknown key\(s\) \['ki'\] in base controller spec of type 'osc'"),
        ({"type": "adaptive_spiking", "learning_rate": -1e-5}, r"learning_rate must be .*>= 0"),
        ({"type": "adaptive_spiking", "n_neurons": 0}, r"n_neurons must be"),
        ({"type": "adaptive_spiking", "input_coding": "poisson"},
         r"input_coding must be one of .*'population_events'.*got 'poisson'"),
        ({"type": "hybrid", "spiking": {"type": "osc"}}, r"hybrid spec needs a 'dense' agent spec"),
        ({"type": "hybrid", "spiking": {"type": "osc"}, "dense": {"type": "osc"}, "energy": "gpu"},
         r"energy must be 'horowitz', 'loihi' or a mapping"),
        ({"type": "sb3", "algorithm": "PPO"}, r"sb3 spec needs 'path'"),
    ],
)  # fmt: skip
def test_bad_specs_name_the_key_and_the_allowed_values(planar, spec, message):
    with pytest.raises(ConfigError, match=message):
        make_agent(spec, planar)


@pytest.mark.parametrize("kind", ["osc", "adaptive_spiking", "adaptive_rate"])
def test_observation_not_matching_the_agent_spaces(planar, kind):
    agent = make_agent({"type": kind, **({"n_neurons": 50} if "adaptive" in kind else {})}, planar)
    obs, _ = planar.reset(seed=0)
    with pytest.raises(ObservationError, match=r"expects observation key 'goal'"):
        agent.act({"proprio": obs["proprio"], "ee": obs["ee"]})
    with pytest.raises(ObservationError, match=r"\['ee'\] expects an observation of shape \(4,\)"):
        agent.act({**obs, "ee": np.zeros(6, np.float32)})
    with pytest.raises(ObservationError, match="contains NaN or inf"):
        agent.act({**obs, "proprio": np.full(6, np.nan, np.float32)})
    with pytest.raises(ObservationError, match="expects a dict observation"):
        agent.act(np.zeros(16, np.float32))
    action, _ = agent.predict(obs)
    assert action.shape == (2,) and action.dtype == np.float32
