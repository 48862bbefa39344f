"""Every agent refuses a bad observation clearly and is left exactly as it was.

A refused observation must not poison an agent: after it, the next valid
observations give bit-for-bit the actions of a twin that never saw it.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import AGENT_TYPES, load_agent, make_agent
from neurocontrol.errors import ConfigError, ObservationError, SimulationError

from .conftest import drive

N_BEFORE = 40  # valid observations before the bad one
N_AFTER = 60  # valid observations after it, compared with the twin's

#: One spec per agent type the factory knows (small networks: the mechanism, not the scale).
SPECS = {
    "osc": {"type": "osc"},
    "joint_pd": {"type": "joint_pd"},
    "adaptive_spiking": {"type": "adaptive_spiking", "n_neurons": 60, "learning_rate": 6e-2},
    "adaptive_rate": {"type": "adaptive_rate", "n_neurons": 60, "learning_rate": 6e-2},
    "hybrid": {
        "type": "hybrid",
        "spiking": {"type": "adaptive_spiking", "n_neurons": 40, "base": {"type": "joint_pd"}},
        "dense": {"type": "adaptive_rate", "n_neurons": 40, "base": {"type": "joint_pd"}},
        "mode": "blend",
    },
    "reward_spiking": {"type": "reward_spiking", "decision_time": 0.01, "move_time": 0.02},
}


def test_every_factory_type_is_covered():
    assert set(AGENT_TYPES) == {*SPECS, "sb3"}


@pytest.fixture(scope="module")
def sb3_spec(planar, tmp_path_factory):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO

    path = tmp_path_factory.mktemp("sb3") / "ppo.zip"
    PPO("MultiInputPolicy", planar, n_steps=64, batch_size=32, seed=0, device="cpu").save(path)
    return {"type": "sb3", "algorithm": "PPO", "path": str(path)}


@pytest.fixture(params=[*SPECS, "sb3"])
def agent_pair(request, planar):
    """Two agents of one type built alike (same seed) on PlanarReach."""
    spec = request.getfixturevalue("sb3_spec") if request.param == "sb3" else SPECS[request.param]
    pair = [make_agent(spec, planar, seed=4) for _ in range(2)]
    for agent in pair:
        agent.reset(seed=4)
    return pair


def _extreme(obs):
    obs["goal"][:2] = 1e30  # a reference a broken sensor put far out of any workspace
    return obs


def _nan(obs):
    obs["proprio"][1] = np.nan
    return obs


def _inf(obs):
    obs["ee"][0] = -np.inf
    return obs


def _wrong_shape(obs):
    obs["proprio"] = obs["proprio"][:-1]
    return obs


BAD = {
    "extreme": (_extreme, r"\['goal'\]\[0\] = 1e\+30 is outside the accepted range \["),
    "nan": (_nan, r"\['proprio'\]\[1\] is nan: the observation contains NaN or inf; accepted"),
    "inf": (_inf, r"\['ee'\]\[0\] is -inf: the observation contains NaN"),
    "wrong_shape": (_wrong_shape, r"\['proprio'\] expects an observation of shape \(6,\), got"),
}


def _copy(obs):
    return {key: value.copy() for key, value in obs.items()}


def _state(agent):
    return {key: value.copy() for key, value in agent.state_dict().items()}


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


@pytest.mark.parametrize("bad", list(BAD))
def test_a_refused_observation_leaves_the_agent_as_it_was(agent_pair, planar_observations, bad):
    agent, twin = agent_pair
    stream = planar_observations
    np.testing.assert_array_equal(drive(agent, stream[:N_BEFORE]), drive(twin, stream[:N_BEFORE]))
    before = _state(agent) if agent.agent_type != "sb3" else None
    corrupt, message = BAD[bad]
    with pytest.raises(ObservationError, match=message):
        agent.act(corrupt(_copy(stream[N_BEFORE])))
    if before is not None:
        _assert_same_state(before, _state(agent))
    after = stream[N_BEFORE : N_BEFORE + N_AFTER]
    np.testing.assert_array_equal(drive(agent, after), drive(twin, after))


@pytest.fixture(scope="module")
def press():
    env = gym.make("neurocontrol/ArmPress-v0")
    yield env
    env.close()


def test_a_bad_tactile_reading_leaves_the_force_regulator_as_it_was(press):
    """The force path reads ``tactile`` after the base: the base's check covers it too."""
    spec = {"type": "adaptive_spiking", "n_neurons": 40, "force": {}}
    driver = make_agent({"type": "osc"}, press)
    obs, _ = press.reset(seed=1)
    stream = []
    for _ in range(30):
        stream.append(_copy(obs))
        obs, *_ = press.step(driver.act(obs))
    agent, twin = (make_agent(spec, press, seed=1) for _ in range(2))
    np.testing.assert_array_equal(drive(agent, stream[:20]), drive(twin, stream[:20]))
    before = _state(agent)
    bad = _copy(stream[20])
    bad["tactile"][0] = np.nan
    with pytest.raises(ObservationError, match=r"\['tactile'\]\[0\] is nan"):
        agent.act(bad)
    bad["tactile"][0] = 1e9
    with pytest.raises(ObservationError, match=r"\['tactile'\]\[0\] = 1e\+09 is outside"):
        agent.act(bad)
    _assert_same_state(before, _state(agent))
    np.testing.assert_array_equal(drive(agent, stream[20:]), drive(twin, stream[20:]))


@pytest.mark.parametrize("kind", ["joint_pd", "osc"])
def test_a_singular_posture_leaves_the_base_controller_as_it_was(planar, planar_observations, kind):
    """Damping 0 at a stretched arm: not positive definite, and nothing of the step is kept."""
    spec = {"type": kind, "damping": 0.0}
    agent, twin = make_agent(spec, planar), make_agent(spec, planar)
    stretched = _copy(planar_observations[0])
    stretched["proprio"][:2] = 0.0  # stretched along x: J's first row is exactly 0
    before = _state(agent)
    with pytest.raises(SimulationError, match="not positive definite"):
        agent.act(stretched)  # the first step of an episode: joint_pd's reference starts here
    _assert_same_state(before, _state(agent))
    stream = planar_observations[:50]
    np.testing.assert_array_equal(drive(agent, stream), drive(twin, stream))


# -- observations of the wrong form -------------------------------------------------------


def _with(obs, key, value):
    changed = _copy(obs)
    changed[key] = value
    return changed


@pytest.fixture(scope="module")
def agents(planar, sb3_spec):
    specs = {**SPECS, "sb3": sb3_spec}
    return {kind: make_agent(spec, planar, seed=0) for kind, spec in specs.items()}


WRONG_FORMS = [
    ("float16", lambda o: _with(o, "proprio", o["proprio"].astype(np.float16)), "dtype float16"),
    ("complex", lambda o: _with(o, "ee", o["ee"].astype(complex)), "dtype complex128"),
    ("object", lambda o: _with(o, "goal", o["goal"].astype(object)), "dtype object"),
    ("strings", lambda o: _with(o, "goal", o["goal"].astype(str)), "dtype <U"),
    ("integers", lambda o: _with(o, "ee", o["ee"].astype(np.int64)), "dtype int64"),
    ("list", lambda o: _with(o, "ee", o["ee"].tolist()), r"\['ee'\] must be a numpy array"),
    ("dict value", lambda o: _with(o, "proprio", {"q": o["proprio"]}), "got a dict"),
    ("missing key", lambda o: {k: o[k] for k in ("proprio", "ee")}, "observation key 'goal'"),
    ("array", lambda o: o["proprio"], r"expects a dict observation .* got ndarray"),
    ("none", lambda o: None, "expects a dict observation .* got NoneType"),
]


@pytest.mark.parametrize(
    ("form", "corrupt", "message"), WRONG_FORMS, ids=[form[0] for form in WRONG_FORMS]
)
def test_an_observation_of_the_wrong_form_is_refused_clearly(
    agents, planar_observations, form, corrupt, message
):
    obs = planar_observations[5]
    for kind, agent in agents.items():
        with pytest.raises(ObservationError, match=message) as refused:
            agent.act(corrupt(obs))
        if "dtype" in message:
            assert "accepted: float32 or float64" in str(refused.value), kind


def test_float64_observations_are_accepted_like_float32(planar, sb3_spec, planar_observations):
    """The envs emit float32; float64 (finite, in range) is read to the same actions."""
    stream = planar_observations[:20]
    wide = [{key: value.astype(np.float64) for key, value in obs.items()} for obs in stream]
    for spec in [*SPECS.values(), sb3_spec]:
        agent, twin = make_agent(spec, planar, seed=2), make_agent(spec, planar, seed=2)
        np.testing.assert_array_equal(drive(agent, wide), drive(twin, stream))


# -- envs that are not the package's ------------------------------------------------------


class _NoUnwrapped:
    observation_space = action_space = None


@pytest.mark.parametrize(
    ("env", "what"),
    [
        (lambda: gym.make("CartPole-v1"), "CartPoleEnv"),
        (lambda: None, "None"),
        (_NoUnwrapped, "_NoUnwrapped"),
    ],
    ids=["cartpole", "none", "no-unwrapped"],
)
def test_make_and_load_agent_refuse_an_env_that_is_not_the_packages(tmp_path, env, what):
    foreign = env()
    accepted = r"accepted: gymnasium.make of 'neurocontrol/PlanarReach-v0'"
    for kind in AGENT_TYPES:
        spec = {**SPECS.get(kind, {}), "type": kind}
        with pytest.raises(ConfigError, match=rf"arm envs, got {what}; {accepted}"):
            make_agent(spec, foreign)
    with pytest.raises(ConfigError, match=rf"got {what}; {accepted}"):
        load_agent(tmp_path / "never-read", foreign)
