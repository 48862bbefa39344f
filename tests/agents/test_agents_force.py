"""Tactile force regulation on ArmPress: events in, a held normal force out."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from neurocontrol.agents import load_agent, make_agent
from neurocontrol.errors import ConfigError

from .conftest import drive


@pytest.fixture(scope="module")
def press():
    env = gym.make("neurocontrol/ArmPress-v0")
    yield env
    env.close()


def press_run(env, agent, seed: int = 0):
    obs, _ = env.reset(seed=seed)
    agent.reset(seed)
    force, decoders_at_contact, observations = [], None, []
    for _ in range(4000):
        observations.append({key: value.copy() for key, value in obs.items()})
        obs, reward, terminated, truncated, info = env.step(agent.act(obs))
        agent.observe(reward, terminated, truncated, info)
        force.append(info["normal_force"])
        regulator = getattr(agent, "force", None)
        if decoders_at_contact is None and regulator is not None and regulator.in_contact:
            decoders_at_contact = agent.decoders.copy()
    return np.array(force), decoders_at_contact, observations


def test_tactile_events_hold_the_target_force(press):
    agent = make_agent({"type": "adaptive_spiking", "n_neurons": 500, "force": {}}, press, seed=0)
    assert agent.force.target_force == press.unwrapped.target_force  # taken from the env
    force, at_contact, _ = press_run(press, agent)
    held = force[-1500:]
    target = press.unwrapped.target_force
    assert abs(held.mean() - target) < 1.0 and held.std() < 1.5, (held.mean(), held.std())
    # PES pauses in contact: the surface, not a model error, holds the hand off its reference
    np.testing.assert_array_equal(agent.decoders, at_contact)
    assert agent.ops[0] > 0  # tactile events counted as SynOps

    base_force, *_ = press_run(press, make_agent({"type": "osc"}, press))
    assert abs(base_force[-1500:].mean() - target) > 5.0  # position control alone misses it


def test_force_regulation_checkpoint_continues_bit_identically(press, tmp_path):
    spec = {"type": "adaptive_rate", "n_neurons": 200, "force": {"afferents_per_pad": 8}}
    agent = make_agent(spec, press, seed=1)
    *_, observations = press_run(press, agent)
    agent = make_agent(spec, press, seed=1)
    drive(agent, observations[:1700])  # in contact from about 1.5 s
    assert agent.force.in_contact
    state = agent.state_dict()
    assert state["force.encoder.in_contact"].any()  # the afferents' encoder is a part
    assert {"force.estimate", "force.integral", "force.encoder.rng_state"} <= set(state)
    agent.save(tmp_path / "press")
    continued = drive(agent, observations[1700:2500])
    restored = load_agent(tmp_path / "press", press)
    np.testing.assert_array_equal(drive(restored, observations[1700:2500]), continued)
    np.testing.assert_array_equal(restored.force.integral, agent.force.integral)


def test_force_regulation_needs_tactile_and_valid_parameters(planar, press):
    with pytest.raises(ConfigError, match="needs the 'tactile' observation of ArmPress"):
        make_agent({"type": "adaptive_spiking", "n_neurons": 50, "force": {}}, planar)
    with pytest.raises(ConfigError, match=r"force: .*unexpected keyword argument 'kd'"):
        make_agent({"type": "adaptive_spiking", "n_neurons": 50, "force": {"kd": 1}}, press)
    with pytest.raises(ConfigError, match=r"force.ki must be a finite number >= 0, got -1"):
        make_agent({"type": "adaptive_spiking", "n_neurons": 50, "force": {"ki": -1}}, press)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paused_adaptation_does_not_drive_the_posture_in_contact(seed):
    """Payload on and off while pressing: the arm holds its posture and stays within its limits.

    PES pauses in contact, so the decoders are evaluated at states they never
    learned (the arm at rest on the surface). Their torque in the null space of
    the hand task, opposed only by the weak posture task, let the redundant arm
    drift by more than a radian on seed 2, out of the region the decoders had
    seen; removing the payload then released it into the joint-speed stop. In
    contact the adaptive torque acts only through the hand.
    """
    env = gym.make("neurocontrol/ArmPress-v0", target_force=5.0)
    try:
        # The defaults drift 0.13, 0.11, 0.08 rad (seeds 0-2). Part of any drift is the arm's
        # own: with learning off the payload folds the posture by 0.17, 0.19, 0.09 rad (the
        # posture task is weak); the decoders' torque, kept to the hand, takes some of it
        # (the earlier sparse code at 1e-3, no fast readout: 0.153 on seed 0).
        agent = make_agent({"type": "adaptive_rate", "force": {}}, env, seed=seed)
        obs, _ = env.reset(seed=seed)
        agent.reset(seed)
        dt = env.unwrapped.dt
        q_touch, drift, force = None, 0.0, []
        for step in range(round(9.0 / dt)):
            if step == round(3.0 / dt):
                env.unwrapped.set_perturbation({"kind": "payload", "mass": 1.0})
            if step == round(7.0 / dt):
                env.unwrapped.set_perturbation(None)
            obs, reward, terminated, truncated, info = env.step(agent.act(obs))
            agent.observe(reward, terminated, truncated, info)
            assert not terminated, f"safety stop at {step * dt:.3f} s"
            if q_touch is None and agent.force.in_contact:
                q_touch = agent.base.q.copy()
            elif q_touch is not None:
                drift = max(drift, float(np.abs(agent.base.q - q_touch).max()))
            force.append(info["normal_force"])
        # rad; with the full adaptive torque in contact seeds 1 and 2 drift 0.24 and 0.75 rad
        assert drift < 0.15, drift
        held = np.array(force[-1000:])  # the last second, payload off
        assert abs(held.mean() - 5.0) < 0.5, held.mean()
    finally:
        env.close()
