"""The envs answer bad reset options, use after close, absurd perturbations and late onsets."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.envs import ArmPressEnv, PlanarReachEnv
from neurocontrol.envs.perturbations import MAX_PERTURBATIONS
from neurocontrol.errors import ConfigError, PerturbationError, SimulationError


@pytest.fixture(scope="module")
def planar():
    env = gym.make("neurocontrol/PlanarReach-v0", max_episode_steps=500)
    yield env
    env.close()


# -- reset options --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "shown"),
    [(["perturbation"], r"list: \['perturbation'\]"), ("perturbation", "str"), (3, "int: 3")],
    ids=["list", "string", "number"],
)
def test_reset_options_that_are_not_a_mapping_are_refused(planar, options, shown):
    with pytest.raises(ConfigError, match=rf"reset options must be a dict .* or None, got {shown}"):
        planar.reset(options=options)


def test_unknown_reset_options_are_listed_with_the_accepted_ones(planar):
    listed = r"unknown reset option\(s\) \['speed', 1\]; accepted: \['perturbation', 'targets'\]"
    with pytest.raises(ConfigError, match=listed):
        planar.reset(options={"speed": 2, 1: None, "perturbation": None})


# -- after close ----------------------------------------------------------------------------


@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
def test_an_env_refuses_every_call_after_close_and_closes_twice(render_mode):
    env = gym.make("neurocontrol/PlanarReach-v0", render_mode=render_mode)
    env.reset(seed=0)
    env.close()
    env.close()
    name = "PlanarReachEnv"
    calls = {
        "step": lambda: env.step(np.zeros(2, dtype=np.float32)),
        "reset": lambda: env.reset(seed=0),
        "render": env.render,
        "set_perturbation": lambda: env.unwrapped.set_perturbation(None),
    }
    for call, run in calls.items():
        with pytest.raises(SimulationError, match=rf"{name}\.{call}\(\) after close\(\).*new env"):
            run()


# -- perturbation parameters whose memory or time would be absurd -----------------------------


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (
            {"kind": "command_delay", "delay_ms": 1e9},
            r"delay_ms must be <= 10000 ms \(10 s of commands\), got 1e\+09",
        ),
        (
            [{"kind": "command_delay", "delay_ms": 6000}] * 2,
            r"the summed command_delay.delay_ms must be <= 10000 ms .* got 12000",
        ),
        (
            {"kind": "command_delay", "delay_ms": {"uniform": [0, 1e12]}},
            r"delay_ms must be <= 10000 ms",
        ),
        (
            [{"kind": "curl_field", "strength": 1.0}] * (MAX_PERTURBATIONS + 1),
            rf"at most {MAX_PERTURBATIONS} perturbations \(MAX_PERTURBATIONS\), got 65",
        ),
        ({"kind": "dead_joint", "joint": [0] * 10**6}, r"lists 1000000 joints; at most 2"),
        ({"kind": "actuator_gain", "gain": np.ones(10**6)}, r"one per joint\), got 10+$"),
        ({"kind": "actuator_gain", "gain": np.array(np.nan)}, r"gain must be finite"),
        ({"kind": ["curl_field"], "strength": 1.0}, r"unknown perturbation kind \['curl_field'\]"),
        ({"kind": "payload", "mass": "1"}, r"payload.mass must be a number kg, got '1'"),
    ],
    ids=["delay", "summed-delay", "random-delay", "count", "dead-joints", "gains", "0-d", "kind",
         "type"],
)  # fmt: skip
def test_absurd_perturbation_parameters_are_refused_naming_their_limit(planar, spec, match):
    with pytest.raises(PerturbationError, match=match):
        planar.reset(seed=0, options={"perturbation": spec})


def test_a_delay_line_longer_than_its_limit_at_a_fine_dt_is_refused():
    env = PlanarReachEnv(dt=1e-5)
    try:
        with pytest.raises(
            PerturbationError,
            match=r"2000 ms is 200000 physics steps at dt = 1e-05 s; the delay line holds at most "
            r"100000 commands",
        ):
            env.set_perturbation({"kind": "command_delay", "delay_ms": 2000})
    finally:
        env.close()


def test_a_zero_d_array_is_a_scalar_parameter(planar):
    _, info = planar.reset(
        seed=0, options={"perturbation": {"kind": "actuator_gain", "gain": np.array(0.5)}}
    )
    assert info["perturbation"]["gain"] == [0.5, 0.5]


# -- onsets beyond the episode --------------------------------------------------------------


def test_an_onset_past_the_time_limit_is_refused(planar):
    late = {"kind": "curl_field", "strength": 10.0, "onset": 0.5}  # 500 steps of 1 ms: the end
    with pytest.raises(
        PerturbationError,
        match=r"curl_field.onset = 0.5 s is past the end of the episode \(0.5 s, 500 physics "
        r"steps of 0.001 s\): it would never act; accepted: onsets < 0.5 s",
    ):
        planar.reset(seed=0, options={"perturbation": late})
    assert planar.unwrapped.episode_steps == 500
    _, info = planar.reset(seed=0, options={"perturbation": {**late, "onset": 0.499}})
    assert info["perturbation"]["onset"] == 0.499
    random_late = r"\{'uniform': \[0.1, 2.0\]\} \(up to 2 s\) is past"
    with pytest.raises(PerturbationError, match=random_late):
        planar.unwrapped.set_perturbation({**late, "onset": {"uniform": [0.1, 2.0]}})


def test_the_time_limit_counts_env_steps_of_several_physics_steps():
    env = gym.make("neurocontrol/PlanarReach-v0", control_decimation=4, max_episode_steps=100)
    try:
        payload = {"kind": "payload", "mass": 1.0}
        env.reset(seed=0, options={"perturbation": {**payload, "onset": 0.399}})
        with pytest.raises(PerturbationError, match=r"past the end of the episode \(0.4 s, 400"):
            env.reset(seed=0, options={"perturbation": {**payload, "onset": 0.4}})
    finally:
        env.close()


def test_a_time_limit_wrapped_by_hand_is_found_too():
    env = gym.wrappers.TimeLimit(ArmPressEnv(), max_episode_steps=50)
    try:
        with pytest.raises(PerturbationError, match=r"\(0.05 s, 50 physics steps"):
            env.reset(options={"perturbation": {"kind": "payload", "mass": 1.0, "onset": 1.0}})
    finally:
        env.close()


def test_an_onset_of_unknown_reach_is_warned_about_by_name():
    env = PlanarReachEnv(perturbation={"kind": "curl_field", "strength": 5.0, "onset": 30.0})
    try:
        assert env.episode_steps is None
        with pytest.warns(UserWarning, match=r"curl_field.onset = 30 s is not checked .* unknown"):
            env.reset(seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an onset of 0 needs no warning
            env.reset(seed=0, options={"perturbation": {"kind": "curl_field", "strength": 5.0}})
    finally:
        env.close()
