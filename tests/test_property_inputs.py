"""Property tests: whatever is thrown at an env or an agent, only a NeuroControlError escapes.

Random actions (any shape, dtype and value), random observations and random
perturbation specs (valid and invalid) go to every env and every agent type.
Each call either succeeds with finite output (an action within the action
space, a finite observation) or raises a
:class:`~neurocontrol.errors.NeuroControlError`; no other exception type.
Derandomized, so a run is reproducible.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.agents import AGENT_TYPES, make_agent
from neurocontrol.envs.perturbations import KINDS
from neurocontrol.errors import NeuroControlError

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENV_IDS = ("PlanarReach", "ArmReach", "ArmPress")

# -- strategies ---------------------------------------------------------------------------

DTYPES = [
    np.float16, np.float32, np.float64, np.int8, np.int64, np.uint64, np.bool_, np.complex128,
]  # fmt: skip
special_floats = st.sampled_from([np.nan, np.inf, -np.inf, 1e308, -1e308, 1e30, 0.0, -0.0])
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), special_floats)


ANY_SHAPE = hnp.array_shapes(min_dims=0, max_dims=2, max_side=8)


def numeric_arrays(shape=ANY_SHAPE):
    return st.sampled_from(DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, shape, elements=hnp.from_dtype(np.dtype(dtype)))
    )


odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    floats,
    st.text(max_size=5),
    st.lists(floats, max_size=8),
    st.lists(st.one_of(st.integers(), st.text(max_size=2), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=3), floats, max_size=2),
    st.builds(object),
    numeric_arrays(),
    st.just(np.array(["a", "b"], dtype=object)),
)


def actions(n):
    """Anything an env could be handed as an action, right-shaped float arrays among it."""
    right = hnp.arrays(np.float32, (n,), elements=st.floats(width=32))
    in_range = hnp.arrays(np.float64, (n,), elements=st.floats(-1, 1))
    return st.one_of(right, in_range, numeric_arrays(st.just((n,))), odd_values)


def box_values(space):
    """Valid values of a Box: uniform within its bounds, float32 or float64."""
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    return st.tuples(
        st.lists(st.floats(0, 1), min_size=low.size, max_size=low.size),
        st.sampled_from([np.float32, np.float64]),
    ).map(lambda t: (low + np.array(t[0]) * (high - low)).astype(t[1]))


def observations(space):
    """Valid observations of a Dict space, and damaged ones (values, keys, types)."""
    keys = list(space.spaces)
    valid = st.fixed_dictionaries({key: box_values(space[key]) for key in keys})

    def damage(obs_and_change):
        obs, (key, value, drop) = obs_and_change
        obs = dict(obs)
        if drop:
            obs.pop(key)
        else:
            obs[key] = value
        return obs

    change = st.tuples(
        st.sampled_from(keys),
        st.one_of(odd_values, st.sampled_from(keys).flatmap(lambda k: numeric_arrays(
            st.just(space[k].shape)))),
        st.booleans(),
    )  # fmt: skip
    return st.one_of(valid, st.tuples(valid, change).map(damage), odd_values)


parameter_values = st.one_of(
    floats,
    st.floats(-10, 10),
    st.integers(-3, 10),
    st.lists(st.floats(-2, 5), max_size=8),
    st.lists(st.integers(-1, 8), max_size=8),
    st.fixed_dictionaries({"uniform": st.lists(st.floats(-1, 20), min_size=2, max_size=2)}),
    odd_values,
)
perturbation_specs = st.one_of(
    st.none(),
    odd_values,
    st.builds(
        lambda kind, param, value, onset, extra: {
            "kind": kind,
            **({} if param is None else {param: value}),
            **({} if onset is None else {"onset": onset}),
            **extra,
        },
        st.one_of(st.sampled_from([*KINDS, "none"]), st.text(max_size=4), odd_values),
        st.one_of(st.sampled_from(sorted({p for ps in KINDS.values() for p in ps})), st.none()),
        parameter_values,
        st.one_of(st.none(), st.floats(0, 0.5), parameter_values),
        st.dictionaries(st.sampled_from(["scale", "onset_ms", "x"]), floats, max_size=1),
    ),
)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envs():
    made = {name: gym.make(f"neurocontrol/{name}-v0", max_episode_steps=1000) for name in ENV_IDS}
    for env in made.values():
        env.reset(seed=0)
    yield made
    for env in made.values():
        env.close()


@pytest.fixture(scope="module")
def agents(envs, tmp_path_factory):
    """Every agent type of the factory (and the force-regulating one) on a matching env."""
    planar, press = envs["PlanarReach"], envs["ArmPress"]
    small = {"n_neurons": 30}
    specs = {
        "osc": {"type": "osc"},
        "joint_pd": {"type": "joint_pd"},
        "adaptive_spiking": {"type": "adaptive_spiking", **small},
        "adaptive_rate": {"type": "adaptive_rate", **small},
        "hybrid": {
            "type": "hybrid",
            "spiking": {"type": "adaptive_spiking", **small},
            "dense": {"type": "adaptive_rate", **small},
        },
        "reward_spiking": {"type": "reward_spiking"},
    }
    built = {kind: (make_agent(spec, planar, seed=0), planar) for kind, spec in specs.items()}
    try:
        from stable_baselines3 import PPO
    except ImportError:
        pass
    else:
        path = tmp_path_factory.mktemp("sb3") / "ppo.zip"
        PPO("MultiInputPolicy", planar, n_steps=64, batch_size=32, seed=0, device="cpu").save(path)
        sb3 = {"type": "sb3", "algorithm": "PPO", "path": str(path)}
        built["sb3"] = (make_agent(sb3, planar), planar)
    force = {"type": "adaptive_spiking", **small, "force": {}}
    built["adaptive_force"] = (make_agent(force, press, seed=0), press)
    assert set(AGENT_TYPES) - {"sb3"} <= set(built)
    return built


# -- properties -------------------------------------------------------------------------------


def _finite_observation(obs):
    return all(np.all(np.isfinite(value)) for value in obs.values())


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_any_action_steps_finitely_or_raises_a_package_error(envs, env_id):
    env = envs[env_id]
    n = env.action_space.shape[0]

    @SETTINGS
    @given(action=actions(n))
    def check(action):
        try:
            obs, reward, terminated, truncated, _ = env.step(action)
        except NeuroControlError:
            return
        assert _finite_observation(obs)
        assert np.isfinite(reward)
        if terminated or truncated:
            env.reset(seed=0)

    check()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_any_perturbation_spec_resets_finitely_or_raises_a_package_error(envs, env_id):
    env = envs[env_id]
    zero = np.zeros(env.action_space.shape, dtype=np.float32)

    @SETTINGS
    @given(spec=perturbation_specs)
    def check(spec):
        try:
            obs, _ = env.reset(seed=0, options={"perturbation": spec})
        except NeuroControlError:
            return
        assert _finite_observation(obs)
        for _ in range(3):
            obs, reward, *_ = env.step(zero)
            assert _finite_observation(obs)
            assert np.isfinite(reward)

    check()
    env.reset(seed=0)


AGENTS = [*AGENT_TYPES, "adaptive_force"]


@pytest.mark.parametrize("kind", AGENTS)
def test_any_observation_gives_a_bounded_action_or_a_package_error(agents, kind):
    if kind not in agents:
        pytest.skip("agent type 'sb3' needs Stable-Baselines3")
    agent, env = agents[kind]

    @SETTINGS
    @given(obs=observations(env.observation_space))
    def check(obs):
        try:
            action = agent.act(obs)
        except NeuroControlError:
            return
        assert env.action_space.contains(action), action
        agent.observe(0.0, False, False, {})

    check()
