"""Seeded rollouts of every env id against digests recorded from an earlier version of the envs.

Each scenario drives one env through reset options, perturbations (onsets,
``set_perturbation``), ``set_targets``, decimation, clipped actions and a
safety stop; every returned observation, reward, flag and info entry of every
step is encoded exactly (dtype, shape, bytes, key order, Python type) and
hashed. The recorded file holds the actions replayed and each step's digest,
so a change of any value, anywhere, names the first step that differs.

Regenerate (only when a change of results is intended)::

    python tests/envs/test_env_recorded_rollouts.py
"""

from __future__ import annotations

import hashlib
import struct
import sys
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest

import neurocontrol  # noqa: F401  (registers the ids)

RECORDED = Path(__file__).resolve().parents[1] / "data" / "env_rollouts.npz"

#: name -> env id, make() kwargs, seed, reset options, steps, action scale, mid-episode calls
SCENARIOS: dict[str, dict[str, Any]] = {
    "planar": {
        "id": "neurocontrol/PlanarReach-v0",
        "kwargs": {"tracking_weight": 0.5, "gravity_compensation": True},
        "seed": 3,
        "options": {
            "perturbation": [
                {"kind": "curl_field", "strength": 15.0, "onset": 0.05},
                {"kind": "command_delay", "delay_ms": 3.0, "onset": 0.1},
            ],
            "targets": {"rotation": 30.0},
        },
        "steps": 400,
        "scale": 1.2,  # some actions beyond [-1, 1]: clipped
        "calls": {
            150: ("set_targets", {"n_targets": 4, "radius": 0.08}),
            250: ("set_perturbation", {"kind": "actuator_gain", "gain": 0.8}),
        },
    },
    "planar_decimated": {
        "id": "neurocontrol/PlanarReach-v0",
        "kwargs": {
            "control_decimation": 3,
            "movement_time": 0.1,
            "hold_time": 0.05,
            "order": "sequential",
            "perturbation": {"kind": "joint_damping", "damping": 0.2},
        },
        "seed": 5,
        "options": None,
        "steps": 200,
        "scale": 0.5,
        "calls": {},
    },
    "planar_unsafe": {
        "id": "neurocontrol/PlanarReach-v0",
        "kwargs": {"max_joint_velocity": 1.0, "success_radius": 0.05},
        "seed": 7,
        "options": None,
        "steps": 200,
        "scale": 1.5,
        "calls": {},
    },
    "arm_reach": {
        "id": "neurocontrol/ArmReach-v0",
        "kwargs": {"tracking_weight": 1.0, "movement_time": 0.2, "hold_time": 0.1},
        "seed": 11,
        "options": {
            "perturbation": [
                {"kind": "payload", "mass": 0.5, "onset": 0.05},
                {"kind": "joint_friction", "friction": 0.3, "onset": 0.1},
            ],
            "targets": {"offset": [0.0, 0.05, 0.0]},
        },
        "steps": 300,
        "scale": 0.05,
        "calls": {200: ("set_targets", {"rotation": 45.0})},
    },
    "arm_press": {
        "id": "neurocontrol/ArmPress-v0",
        "kwargs": {
            "approach_time": 0.4,
            "descend_time": 0.2,
            "slide_amplitude": 0.02,
            "slide_period": 0.3,
        },
        "seed": 2,
        "options": {"perturbation": {"kind": "surface_friction", "friction": 0.3, "onset": 0.7}},
        "steps": 900,
        "scale": None,  # scripted: a task-space controller that touches down and presses
        "calls": {},
    },
    "arm_press_decimated": {
        "id": "neurocontrol/ArmPress-v0",
        "kwargs": {"control_decimation": 2, "press_point_range": 0.0},
        "seed": 4,
        "options": {
            "perturbation": [
                {"kind": "dead_joint", "joint": 3},
                {"kind": "curl_field", "strength": -10.0, "onset": 0.02},
            ]
        },
        "steps": 100,
        "scale": 0.05,
        "calls": {},
    },
}


def _encode(value: Any) -> bytes:
    """An exact, type-aware byte encoding (a float64 differs from a float of equal value)."""
    if isinstance(value, np.ndarray):
        return b"A" + value.dtype.str.encode() + repr(value.shape).encode() + value.tobytes()
    if isinstance(value, dict):
        items = b";".join(str(k).encode() + b"=" + _encode(v) for k, v in value.items())
        return b"D{" + items + b"}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__.encode() + b"[" + b",".join(map(_encode, value)) + b"]"
    name = type(value).__name__.encode()
    if isinstance(value, float):
        return name + b":" + struct.pack("<d", value)
    return name + b":" + repr(value).encode()


def _digest(*outputs: Any) -> int:
    return int.from_bytes(hashlib.sha256(_encode(outputs)).digest()[:8], "little")


def _actions(scenario: dict[str, Any]) -> np.ndarray:
    """The scenario's actions, from an env of its own (a reset after a run may see its contacts)."""
    steps, scale = scenario["steps"], scenario["scale"]
    env: Any = gymnasium.make(scenario["id"], **scenario["kwargs"]).unwrapped
    try:
        if scale is None:
            from neurocontrol.bench.envs import scripted_torques

            torques = scripted_torques(env, steps, scenario["seed"])
            return (torques / env.robot_model.torque_limit).astype(np.float32)
        rng = np.random.default_rng(scenario["seed"])
        return (scale * rng.uniform(-1.0, 1.0, (steps, env.n_joints))).astype(np.float32)
    finally:
        env.close()


def rollout(name: str, actions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Actions and per-output digests of scenario ``name`` (new actions when None)."""
    scenario = SCENARIOS[name]
    if actions is None:
        actions = _actions(scenario)
    env = gymnasium.make(scenario["id"], **scenario["kwargs"])
    try:
        seed = scenario["seed"]
        digests = [_digest(*env.reset(seed=seed, options=scenario["options"]))]
        for k, action in enumerate(actions):
            call = scenario["calls"].get(k)
            if call is not None:
                getattr(env.unwrapped, call[0])(call[1])
            outputs = env.step(action)
            digests.append(_digest(*outputs))
            if outputs[2] or outputs[3]:  # a new episode, seeded afresh
                digests.append(_digest(*env.reset(seed=seed + k + 1)))
    finally:
        env.close()
    return actions, np.array(digests, dtype=np.uint64)


@pytest.fixture(scope="module")
def recorded() -> dict[str, np.ndarray]:
    with np.load(RECORDED) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_seeded_rollout_gives_the_recorded_outputs_bit_for_bit(recorded, name: str) -> None:
    _, digests = rollout(name, recorded[f"{name}.actions"])
    expected = recorded[f"{name}.digests"]
    assert len(digests) == len(expected), f"{name}: another number of outputs (episode ends)"
    differ = np.flatnonzero(digests != expected)
    assert differ.size == 0, f"{name}: outputs differ from output {differ[0]} on ({differ.size})"


def test_the_unsafe_scenario_ends_episodes_on_its_safety_limit(recorded) -> None:
    # more outputs than steps + 1: some step ended an episode and a reset followed
    assert len(recorded["planar_unsafe.digests"]) > SCENARIOS["planar_unsafe"]["steps"] + 1


def _write() -> None:
    arrays: dict[str, np.ndarray] = {}
    for name in sorted(SCENARIOS):
        actions, digests = rollout(name)
        arrays[f"{name}.actions"], arrays[f"{name}.digests"] = actions, digests
        print(f"{name}: {len(actions)} actions, {len(digests)} outputs", file=sys.stderr)
    np.savez_compressed(RECORDED, **arrays)


if __name__ == "__main__":
    _write()
