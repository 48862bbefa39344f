"""Perturbations: validation, onset, effects on the applied torque, reset."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import neurocontrol  # noqa: F401  (registers the ids)
from neurocontrol.errors import ConfigError, PerturbationError


def make(env_id: str = "PlanarReach", **kwargs):
    return gymnasium.make(f"neurocontrol/{env_id}-v0", **kwargs).unwrapped


ACTION = np.array([0.3, -0.2], np.float32)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"kind": "payload", "mass": -1.0}, r"payload\.mass must be >= 0 kg, got -1\.0"),
        ({"kind": "payload", "mass": float("nan")}, r"payload\.mass must be finite kg, got nan"),
        (
            {"kind": "magnet", "mass": 1.0},
            r"unknown perturbation kind 'magnet'; accepted: .*payload",
        ),
        ({"kind": "payload", "weight": 1.0}, r"unknown parameter\(s\) \['weight'\].*'mass'"),
        ({"kind": "payload"}, r"perturbation 'payload' needs the parameter 'mass'"),
        ({"kind": "payload", "mass": 1.0, "onset": -2.0}, r"payload\.onset must be >= 0 s"),
        ({"kind": "curl_field", "strength": "strong"}, r"curl_field\.strength must be a number"),
        ({"kind": "actuator_gain", "gain": [1.0, 0.5, 0.2]}, r"scalar or 2 values.*got 3"),
        ({"kind": "actuator_gain", "gain": -0.5}, r"actuator_gain\.gain must be >= 0"),
        ({"kind": "joint_friction", "friction": -0.1}, r"joint_friction\.friction must be >= 0"),
        ({"kind": "dead_joint", "joint": 2}, r"dead_joint\.joint must be in \[0, 1\], got 2"),
        ({"kind": "dead_joint", "joint": 0.5}, r"dead_joint\.joint must be joint indices"),
        ({"kind": "command_delay", "delay_ms": 2.5}, r"2\.5 ms is not a whole number.*1 ms"),
        ({"kind": "joint_damping", "damping": 1e4}, r"joint_damping\.damping\[0\] = 10000.*stably"),
        (
            {"kind": "payload", "mass": {"uniform": [2.0, 1.0]}},
            r"'uniform' needs finite low <= high",
        ),
        ({"kind": "payload", "mass": {"normal": [1.0, 0.1]}}, r"must be \{'uniform'"),
        ("curl", r"must be None, a dict or a list of dicts, got str"),
        (["curl"], r"must be a dict with a 'kind', got str"),
        (42, r"must be None, a dict or a list of dicts, got int"),
    ],
)
def test_bad_perturbations_raise_perturbation_error(spec, match: str) -> None:
    env = make()
    env.reset(seed=0)
    with pytest.raises(PerturbationError, match=match):
        env.reset(options={"perturbation": spec})
    with pytest.raises(PerturbationError, match=match):
        env.set_perturbation(spec)
    assert issubclass(PerturbationError, ConfigError) and issubclass(PerturbationError, ValueError)
    env.close()


def test_a_rejected_perturbation_leaves_the_episode_untouched() -> None:
    env = make()
    env.reset(seed=0, options={"perturbation": {"kind": "curl_field", "strength": 10.0}})
    with pytest.raises(PerturbationError):
        env.set_perturbation({"kind": "payload", "mass": -1.0})
    _, _, _, _, info = env.step(ACTION)
    assert info["perturbation"] == {
        "kind": "curl_field",
        "strength": 10.0,
        "onset": 0.0,
        "active": True,
    }
    env.close()


def test_onset_switches_the_perturbation_on_at_its_time() -> None:
    env = make()
    spec = {"kind": "actuator_gain", "gain": 0.5, "onset": 0.01}
    _, info = env.reset(seed=0, options={"perturbation": spec})
    assert info["perturbation"]["active"] is False
    for step in range(20):
        _, _, _, _, info = env.step(ACTION)
        active = step >= 10  # the 11th physics step starts at t = 10 ms
        assert info["perturbation"]["active"] is active
        expected = info["tau_cmd"] * (0.5 if active else 1.0)
        np.testing.assert_allclose(info["tau_applied"], expected)
    env.close()


def test_dead_joint_gain_and_delay_shape_the_applied_torque() -> None:
    env = make()
    env.reset(seed=0, options={"perturbation": {"kind": "dead_joint", "joint": 1}})
    _, _, _, _, info = env.step(ACTION)
    np.testing.assert_allclose(info["tau_applied"], [info["tau_cmd"][0], 0.0])

    env.reset(seed=0, options={"perturbation": {"kind": "command_delay", "delay_ms": 3}})
    commands = [np.array([0.1 * k, -0.05 * k], np.float32) for k in range(1, 9)]
    applied = [env.step(a)[4]["tau_applied"] for a in commands]
    limit = env.robot_model.torque_limit
    np.testing.assert_allclose(applied[:3], np.zeros((3, 2)))  # the last command was 0
    for k in range(3, 8):
        np.testing.assert_allclose(applied[k], commands[k - 3] * limit, rtol=1e-6)
    env.close()


def test_joint_damping_and_friction_slow_the_arm() -> None:
    travelled = {}
    for name, spec in {
        "none": None,
        "damping": {"kind": "joint_damping", "damping": 2.0},
        "friction": {"kind": "joint_friction", "friction": [0.5, 0.5]},
    }.items():
        env = make()
        env.reset(seed=0, options={"perturbation": spec})
        for _ in range(200):
            observation, *_ = env.step(np.array([0.1, 0.04], np.float32))
        travelled[name] = np.abs(observation["proprio"][:2] - env.robot_model.q_home).sum()
        env.close()
    assert travelled["damping"] < 0.8 * travelled["none"]
    assert travelled["friction"] < 0.8 * travelled["none"]


def test_friction_holds_the_arm_against_a_smaller_torque() -> None:
    env = make()
    env.reset(seed=0, options={"perturbation": {"kind": "joint_friction", "friction": 1.0}})
    for _ in range(100):
        observation, *_ = env.step(np.array([0.05, 0.05], np.float32))  # 0.5 N·m < 1 N·m
    # the velocity motor is a solver constraint: it creeps by ~1e-5 rad, free motion is ~3e-2
    np.testing.assert_allclose(observation["proprio"][:2], env.robot_model.q_home, atol=1e-4)
    env.reset(seed=0)  # friction is gone after a reset without perturbation
    for _ in range(100):
        observation, *_ = env.step(np.array([0.05, 0.05], np.float32))
    assert np.abs(observation["proprio"][:2] - env.robot_model.q_home).max() > 1e-2
    env.close()


def test_set_perturbation_mid_episode_and_combined_info() -> None:
    env = make()
    env.reset(seed=0)
    for _ in range(5):
        env.step(ACTION)
    env.set_perturbation(
        [{"kind": "curl_field", "strength": -5.0}, {"kind": "payload", "mass": 1.0, "onset": 1.0}]
    )
    _, _, _, _, info = env.step(ACTION)
    parts = info["perturbation"]["parts"]
    assert info["perturbation"]["kind"] == "combined"
    assert [(p["kind"], p["active"]) for p in parts] == [
        ("curl_field", True),
        ("payload", False),
    ]
    env.set_perturbation(None)
    assert env.step(ACTION)[4]["perturbation"] == {"kind": "none"}
    env.close()


def test_random_parameters_are_drawn_from_the_env_rng() -> None:
    spec = {"kind": "payload", "mass": {"uniform": [0.5, 2.0]}, "onset": {"uniform": [1.0, 3.0]}}
    env = make(perturbation=spec)
    draws = [env.reset(seed=seed)[1]["perturbation"] for seed in (7, 8, 7)]
    assert draws[0] == draws[2] != draws[1]
    assert 0.5 <= draws[0]["mass"] <= 2.0 and 1.0 <= draws[0]["onset"] <= 3.0
    env.close()


def test_constructor_perturbation_applies_at_every_reset_unless_overridden() -> None:
    env = make(perturbation={"kind": "curl_field", "strength": 15.0})
    assert env.reset(seed=0)[1]["perturbation"]["kind"] == "curl_field"
    assert env.reset(seed=0, options={"perturbation": None})[1]["perturbation"] == {"kind": "none"}
    assert env.reset(seed=0)[1]["perturbation"]["strength"] == 15.0
    env.close()


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (
            {"kind": "surface_friction", "friction": -0.1},
            r"surface_friction\.friction must be >= 0, got -0\.1",
        ),
        (
            {"kind": "surface_friction", "friction": 12.0},
            r"surface_friction\.friction must be <= 10 \(Bullet clamps.*got 12\.0",
        ),
        (
            {"kind": "surface_friction", "friction": [1.0, 0.1]},
            r"scalar \(lateral\) or 3 values \[lateral, spinning, rolling\], got 2",
        ),
        (
            {"kind": "surface_friction", "friction": [1.0, float("inf"), 0.0]},
            r"surface_friction\.friction\.spinning must be finite",
        ),
        (
            {"kind": "surface_friction", "friction": [1.0, 0.0, {"uniform": [0.2, 0.1]}]},
            r"surface_friction\.friction\.rolling: 'uniform' needs finite low <= high",
        ),
        (
            [
                {"kind": "surface_friction", "friction": 0.5, "onset": 1.0},
                {"kind": "surface_friction", "friction": 2.0, "onset": 1.0},
            ],
            r"two surface_friction perturbations with the same onset.*\[1\.0, 1\.0\]",
        ),
    ],
)
def test_bad_surface_friction_raises_perturbation_error(spec, match: str) -> None:
    env = make("ArmPress")
    env.reset(seed=0)
    with pytest.raises(PerturbationError, match=match):
        env.set_perturbation(spec)
    with pytest.raises(PerturbationError, match=match):
        env.reset(options={"perturbation": spec})
    env.close()


def test_surface_friction_needs_an_env_with_a_surface() -> None:
    spec = {"kind": "surface_friction", "friction": 0.5}
    with pytest.raises(PerturbationError, match=r"this env has none \(accepted on ArmPress\)"):
        make(perturbation=spec)
    env = make("ArmReach")
    env.reset(seed=0)
    with pytest.raises(PerturbationError, match=r"surface_friction .* this env has none"):
        env.set_perturbation(spec)
    env.close()


def _table_friction(env) -> tuple[float, float, float]:
    """The table's (lateral, spinning, rolling) coefficients as PyBullet has them."""
    info = env.sim.client.getDynamicsInfo(env.surface, -1)
    return info[1], info[7], info[6]


def test_surface_friction_changes_the_table_at_its_onset_and_reset_restores_it() -> None:
    env = make("ArmPress")
    env.reset(seed=0)
    assert env.surface == env.table
    nominal = _table_friction(env)
    assert nominal == (1.0, 0.0, 0.0)
    env.set_perturbation(
        [
            {"kind": "surface_friction", "friction": 0.2, "onset": 0.003},
            {"kind": "surface_friction", "friction": [2.0, 0.01, 0.002], "onset": 0.006},
        ]
    )
    seen = []
    for _ in range(8):
        info = env.step(np.zeros(7, np.float32))[4]
        seen.append(_table_friction(env))
    # steps start at t = 0, 1, ... ms: onset 3 ms acts from the 4th step on; the later onset wins
    assert seen[:3] == [nominal] * 3
    assert seen[3:6] == [(0.2, 0.0, 0.0)] * 3
    np.testing.assert_allclose(seen[6:], [(2.0, 0.01, 0.002)] * 2)
    parts = info["perturbation"]["parts"]
    assert [p["friction"] for p in parts] == [0.2, [2.0, 0.01, 0.002]]
    env.set_perturbation(None)
    assert _table_friction(env) == nominal
    env.set_perturbation({"kind": "surface_friction", "friction": 0.3})
    assert _table_friction(env)[0] == pytest.approx(0.3)
    env.reset(seed=0)
    assert _table_friction(env) == nominal
    env.close()


def test_surface_friction_values_are_drawn_from_the_env_rng() -> None:
    spec = {"kind": "surface_friction", "friction": [{"uniform": [0.1, 1.0]}, 0.0, 0.0]}
    env = make("ArmPress", perturbation=spec)
    draws = [env.reset(seed=seed)[1]["perturbation"]["friction"][0] for seed in (3, 4, 3)]
    assert draws[0] == draws[2] != draws[1]
    assert 0.1 <= draws[0] <= 1.0
    assert _table_friction(env)[0] == pytest.approx(draws[2])
    env.close()
