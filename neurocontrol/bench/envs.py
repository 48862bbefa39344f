"""``bench envs``: the cost of ``env.step`` against the bare PyBullet round trip, per env id.

For each id a scripted task-space controller (built on the env's nominal
``robot_model``) first drives one episode and its joint torques are recorded;
this is not timed. Then, from the same seeded reset, the same torques are
replayed, each replay timed over ``--steps`` steps:

- **env.step**: the raw (unwrapped) env, actions = recorded torques / limit;
- **bare round trip**: only what every step must do anyway, as direct
  PyBullet calls on a second world of the same id: ``getJointStates`` (all
  joints), ``getLinkState`` of the hand with velocity, ``getContactPoints``
  with the table (ArmPress only), ``setJointMotorControlArray`` (torques) and
  ``stepSimulation``;
- **make()**: the env as ``gymnasium.make`` wraps it (TimeLimit,
  OrderEnforcing, PassiveEnvChecker), on a third world.

All three see the same physics (same states, same contacts), so the ratio
env / bare is the overhead the env adds. Each replay is timed in segments of
``--segment`` steps, the three interleaved segment by segment; a figure is
the sum over segments of each segment's best time over the ``--repeats``
replays, per step. On a shared machine a 3000-step replay is almost never
free of other processes while a 100-step segment often is, so this estimates
the cost on one unshared core far more stably than the best whole replay
(which the JSON output also gives, as ``*_whole_run_us``).
Targets: ratio <= 1.5 for every id; real-time factor at 1 kHz >= 10
for PlanarReach and ArmReach, >= 5 for ArmPress.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from neurocontrol.utils.arguments import env_id as known_env_id
from neurocontrol.utils.arguments import positive_int

__all__ = ["add_arguments", "run"]

#: id -> minimum real-time factor
REAL_TIME_TARGET = {
    "neurocontrol/PlanarReach-v0": 10.0,
    "neurocontrol/ArmReach-v0": 10.0,
    "neurocontrol/ArmPress-v0": 5.0,
}
MAX_RATIO = 1.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``envs`` suite."""
    parser.add_argument(
        "--steps", type=positive_int, default=3000, help="timed steps per run (3000)"
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=7, help="runs per figure; best kept (7)"
    )
    parser.add_argument(
        "--segment", type=positive_int, default=100, help="steps per separately timed segment (100)"
    )
    parser.add_argument(
        "--ids",
        nargs="+",
        type=known_env_id,
        default=None,
        metavar="ID",
        help="env ids (default: all three)",
    )


def scripted_torques(env: Any, steps: int, seed: int = 0) -> np.ndarray:
    """Joint torques (steps, n) of a task-space controller driving ``env`` from ``reset(seed)``.

    Operational-space control on the nominal model: track the reference
    (``goal``) with 400/s^2 stiffness and 40/s damping, hold a home posture in
    the null space, compensate gravity; on ArmPress, push with the target
    force once pressing.
    """
    model = env.robot_model
    n, d = model.n_joints, model.dim
    observation, _ = env.reset(seed=seed)
    torques = np.empty((steps, n))
    for k in range(steps):
        q = observation["proprio"][:n].astype(np.float64)
        dq = observation["proprio"][n : 2 * n].astype(np.float64)
        hand, velocity = observation["ee"][:d], observation["ee"][d:]
        reference, reference_velocity = observation["goal"][:d], observation["goal"][d : 2 * d]
        jacobian, mass = model.jacobian(q), model.mass_matrix(q)
        inverse_mass = np.linalg.inv(mass)
        task_inertia = np.linalg.inv(jacobian @ inverse_mass @ jacobian.T)
        acceleration = 400.0 * (reference - hand) + 40.0 * (reference_velocity - velocity)
        pressing = "tactile" in observation and env.task.phase == 2
        if pressing:
            acceleration[2] = -40.0 * velocity[2]
        force = task_inertia @ acceleration
        if pressing:
            force[2] -= env.target_force
        null = np.eye(n) - jacobian.T @ (inverse_mass @ jacobian.T @ task_inertia).T
        tau = jacobian.T @ force + null @ (mass @ (50.0 * (model.q_home - q) - 10.0 * dq))
        tau = np.clip(tau + model.gravity(q), -model.torque_limit, model.torque_limit)
        torques[k] = tau
        observation, _, terminated, truncated, _ = env.step(tau / model.torque_limit)
        if terminated or truncated:
            observation, _ = env.reset(seed=seed)
    return torques


def _segments(count: int, segment: int) -> list[tuple[int, int]]:
    """``[start, stop)`` bounds of consecutive segments covering ``count`` steps."""
    return [(start, min(start + segment, count)) for start in range(0, count, segment)]


def _env_segments(env: Any, actions: np.ndarray, seed: int, segment: int) -> Iterator[int]:
    """Run ``env`` from ``reset(seed)``; yield the nanoseconds of each segment of steps."""
    env.reset(seed=seed)
    step = env.step
    clock = time.perf_counter_ns
    for first, stop in _segments(len(actions), segment):
        part = actions[first:stop]
        start = clock()
        for action in part:
            step(action)
        yield clock() - start


def _bare_segments(env: Any, torques: list[list[float]], seed: int, segment: int) -> Iterator[int]:
    """The bare PyBullet round trip on ``env``'s world; nanoseconds per segment."""
    import pybullet

    env.reset(seed=seed)
    cid, body = env.sim.client_id, env.robot.body
    joints, hand = env.robot.joints, env.robot.hand_link
    table = getattr(env, "table", None)
    get_joints, get_link = pybullet.getJointStates, pybullet.getLinkState
    get_contacts, send = pybullet.getContactPoints, pybullet.setJointMotorControlArray
    step, torque_control = pybullet.stepSimulation, pybullet.TORQUE_CONTROL
    clock = time.perf_counter_ns
    for first, stop in _segments(len(torques), segment):
        part = torques[first:stop]
        start = clock()
        for tau in part:
            send(body, joints, torque_control, forces=tau, physicsClientId=cid)
            step(physicsClientId=cid)
            get_joints(body, joints, physicsClientId=cid)
            get_link(
                body, hand, computeLinkVelocity=1, computeForwardKinematics=1, physicsClientId=cid
            )
            if table is not None:
                get_contacts(bodyA=body, bodyB=table, physicsClientId=cid)
        yield clock() - start


def _per_step_us(table: np.ndarray, steps: int) -> tuple[float, float]:
    """Per-step us: (sum of per-segment minima, best whole run) of ``table`` (repeats, segments)."""
    return float(table.min(axis=0).sum()) / 1e3 / steps, float(
        table.sum(axis=1).min()
    ) / 1e3 / steps


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every requested id; return the figures and a printable ``table``."""
    import gymnasium

    import neurocontrol  # registers the ids

    ids = list(args.ids or neurocontrol.ENV_IDS)
    steps, repeats, seed = int(args.steps), max(1, int(args.repeats)), 0
    segment = max(1, int(getattr(args, "segment", 100)))
    results: dict[str, dict[str, Any]] = {}
    for env_id in ids:
        # three worlds, same seed and torques, so the same physics: the raw env, a
        # world for the bare round trip, and the env as gymnasium.make wraps it
        env: Any = gymnasium.make(env_id).unwrapped
        world: Any = gymnasium.make(env_id).unwrapped
        wrapped: Any = gymnasium.make(env_id, max_episode_steps=steps + 1)
        try:
            torques = scripted_torques(env, steps, seed)
            actions = (torques / env.robot_model.torque_limit).astype(np.float32)
            # replay exactly the torques the env commands (float32 action x limit)
            commanded = (actions.astype(np.float64) * env.robot_model.torque_limit).tolist()
            count = len(_segments(steps, segment))
            times = np.zeros((3, repeats, count))  # env, bare, wrapped
            enabled = gc.isenabled()
            gc.disable()
            try:
                for repeat in range(repeats):
                    runs = (
                        _env_segments(env, actions, seed, segment),
                        _bare_segments(world, commanded, seed, segment),
                        _env_segments(wrapped, actions, seed, segment),
                    )
                    # segment by segment, so a change of machine speed hits all three alike
                    for k in range(count):
                        for j, segments in enumerate(runs):
                            times[j, repeat, k] = next(segments)
            finally:
                if enabled:
                    gc.enable()
            env_us, env_run_us = _per_step_us(times[0], steps)
            bare_us, bare_run_us = _per_step_us(times[1], steps)
            wrapped_us, _ = _per_step_us(times[2], steps)
            dt = env.dt * env.control_decimation
        finally:
            for each in (env, world, wrapped):
                each.close()
        ratio = env_us / bare_us
        real_time = dt * 1e6 / env_us
        results[env_id] = {
            "env_step_us": round(env_us, 2),
            "bare_round_trip_us": round(bare_us, 2),
            "ratio": round(ratio, 3),
            "real_time_factor": round(real_time, 1),
            "wrapped_env_step_us": round(wrapped_us, 2),
            "env_step_whole_run_us": round(env_run_us, 2),
            "bare_round_trip_whole_run_us": round(bare_run_us, 2),
            "meets_target": bool(ratio <= MAX_RATIO and real_time >= REAL_TIME_TARGET[env_id]),
        }
    header = (
        f"{'env id':<30}{'env.step us':>12}{'bare us':>10}{'ratio':>8}"
        f"{'x real time':>13}{'make() us':>11}  target"
    )
    table = [
        f"env.step (raw env) vs bare PyBullet round trip, {steps} steps at dt = 1 ms, "
        f"best of {repeats} per {segment}-step segment",
        header,
    ]
    for env_id, r in results.items():
        target = f"ratio<={MAX_RATIO:g}, >={REAL_TIME_TARGET[env_id]:g}x"
        table.append(
            f"{env_id:<30}{r['env_step_us']:>12.1f}{r['bare_round_trip_us']:>10.1f}"
            f"{r['ratio']:>8.2f}{r['real_time_factor']:>13.1f}{r['wrapped_env_step_us']:>11.1f}"
            f"  {target} {'ok' if r['meets_target'] else 'MISSED'}"
        )
    return {
        "table": table,
        "steps": steps,
        "repeats": repeats,
        "segment": segment,
        "envs": results,
    }
