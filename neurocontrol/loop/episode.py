"""The closed loop: env <-> agent at 1 kHz, headless, with latency statistics.

:func:`run_episode` and :func:`run_episodes` drive one agent on one env and
record per-step arrays (allocated once per episode, written in place).
``pace=`` holds the loop to wall-clock time for hardware-in-the-loop use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from neurocontrol.agents.agent import Agent, control_period
from neurocontrol.errors import ConfigError
from neurocontrol.utils.statistics import latency_summary, per_cycle_rms, rms
from neurocontrol.utils.validation import require_int, require_positive

__all__ = [
    "EpisodeResult",
    "RunResult",
    "StepCallback",
    "perturbation_active",
    "run_episode",
    "run_episodes",
]

#: ``callback(step, obs, action, reward, info) -> stop?``; return True to end the episode.
StepCallback = Callable[[int, Any, np.ndarray, float, dict], "bool | None"]

#: info entries every episode records under their own names
_RECORDED_INFO_KEYS = ("tracking_error", "distance", "sim_time", "target_index", "cycle")
#: observation entries recorded as rows where the observation has them
_OBSERVED_KEYS = ("ee", "goal")


@dataclass
class EpisodeResult:
    """Per-step record and summary of one episode.

    ``trace`` maps names to 1-D arrays of one entry per control step:
    ``sim_time`` (s), ``tracking_error`` and ``distance`` (m), ``reward``,
    ``perturbed`` (1.0 while a perturbation is active), ``target_index`` and
    ``cycle`` (of the env's target sequence, -1 where the env has none),
    ``agent_us`` and ``env_us`` (wall-clock microseconds of ``act`` +
    ``observe`` and of ``env.step``), and ``action`` (steps x action dim).
    Where the observation has them (the arm envs), ``ee`` (steps x 2d: hand
    position, m, and velocity, m/s) and ``goal`` (steps x 3d: reference
    position and velocity, end point) are copied from it after each step,
    float32, for hand-path figures.
    """

    seed: int | None
    steps: int
    terminated: bool
    truncated: bool
    wall_time: float
    trace: dict[str, np.ndarray] = field(repr=False)

    @property
    def sim_time(self) -> float:
        """Simulated seconds covered by the episode."""
        if self.steps == 0:
            return 0.0
        times = self.trace["sim_time"]
        dt = times[1] - times[0] if self.steps > 1 else times[0]
        return float(times[-1] - times[0] + dt)

    @property
    def real_time_factor(self) -> float:
        """Simulated seconds per wall-clock second."""
        return self.sim_time / self.wall_time if self.wall_time > 0 else float("inf")

    def per_cycle_error(self, cycle_duration: float) -> np.ndarray:
        """RMS tracking error (m) for each cycle of ``cycle_duration`` seconds."""
        return per_cycle_rms(self.trace["tracking_error"], self.trace["sim_time"], cycle_duration)

    def summary(self) -> dict[str, Any]:
        """Plain-data summary (JSON-able)."""
        return {
            "seed": self.seed,
            "steps": self.steps,
            "sim_time_s": self.sim_time,
            "wall_time_s": self.wall_time,
            "real_time_factor": self.real_time_factor,
            "total_reward": float(np.sum(self.trace["reward"])),
            "rms_tracking_error_m": rms(self.trace["tracking_error"]),
            "final_distance_m": float(self.trace["distance"][-1]) if self.steps else float("nan"),
            "terminated": self.terminated,
            "truncated": self.truncated,
            "agent": latency_summary(self.trace["agent_us"]),
            "env": latency_summary(self.trace["env_us"]),
        }


@dataclass
class RunResult:
    """Several episodes of one agent on one env."""

    episodes: list[EpisodeResult]

    def summary(self) -> dict[str, Any]:
        """Latency over all steps, real-time factor, and one summary per episode."""
        agent_us = np.concatenate([ep.trace["agent_us"] for ep in self.episodes])
        env_us = np.concatenate([ep.trace["env_us"] for ep in self.episodes])
        sim_time = sum(ep.sim_time for ep in self.episodes)
        wall_time = sum(ep.wall_time for ep in self.episodes)
        return {
            "episodes": [ep.summary() for ep in self.episodes],
            "agent": latency_summary(agent_us),
            "env": latency_summary(env_us),
            "step": latency_summary(agent_us + env_us),
            "sim_time_s": sim_time,
            "wall_time_s": wall_time,
            "real_time_factor": sim_time / wall_time if wall_time > 0 else float("inf"),
        }


def perturbation_active(entry: Any) -> bool:
    """Whether an env's ``info["perturbation"]`` entry has an active part."""
    if not isinstance(entry, dict):
        return False
    if entry.get("active"):
        return True
    return any(part.get("active") for part in entry.get("parts", ()))


def _max_steps(env: gym.Env, max_steps: int | None) -> int:
    if max_steps is not None:
        return require_int("max_steps", max_steps, minimum=1)
    spec_steps = env.spec.max_episode_steps if env.spec is not None else None
    if spec_steps is None:
        raise ConfigError(
            "max_steps is required for an env without a TimeLimit "
            "(env.spec.max_episode_steps is None)"
        )
    return int(spec_steps)


def run_episode(
    env: gym.Env,
    agent: Agent,
    seed: int | None = None,
    *,
    options: dict[str, Any] | None = None,
    max_steps: int | None = None,
    pace: float | None = None,
    callbacks: Sequence[StepCallback] = (),
    progress: Any = None,
    info_keys: Sequence[str] = (),
) -> EpisodeResult:
    """Run one episode of ``agent`` on ``env``.

    Parameters
    ----------
    env, agent
        The environment and the controller driving it.
    seed
        Seed for both ``env.reset`` and ``agent.reset``.
    options
        Passed to ``env.reset`` (e.g. ``{"perturbation": {...}}``).
    max_steps
        Step budget; defaults to the env's TimeLimit.
    pace
        If given, hold the loop to ``pace`` x wall-clock time (1.0 = real time,
        for hardware-in-the-loop); ``None`` runs as fast as possible.
    callbacks
        Called after each step as ``cb(step, obs, action, reward, info)``;
        returning True ends the episode early.
    progress
        An object with ``update(n)`` and ``set_postfix_str(s)`` (a ``tqdm`` bar),
        updated every 100 steps with simulated time, real-time factor and error.
    info_keys
        Further scalar ``info`` entries to record per step (e.g. ``normal_force``,
        ``is_success``), each as a float array in ``trace`` under its own name
        (NaN on steps where the env does not report it).

    Raises
    ------
    ConfigError
        If an ``info_keys`` entry clashes with a recorded quantity that is not
        an ``info`` entry (``reward``, ``perturbed``, ``action``, ...).
    """
    n_max = _max_steps(env, max_steps)
    if pace is not None:
        require_positive("pace", pace)
    dt = control_period(env)
    action_dim = int(np.prod(env.action_space.shape))
    trace = {
        "sim_time": np.zeros(n_max),
        "tracking_error": np.zeros(n_max),
        "distance": np.zeros(n_max),
        "reward": np.zeros(n_max),
        "perturbed": np.zeros(n_max),
        "target_index": np.zeros(n_max),
        "cycle": np.zeros(n_max),
        "agent_us": np.zeros(n_max),
        "env_us": np.zeros(n_max),
        "action": np.zeros((n_max, action_dim), dtype=np.float32),
    }
    extra = [key for key in dict.fromkeys(info_keys) if key not in _RECORDED_INFO_KEYS]
    for key in extra:
        if key in trace or key in _OBSERVED_KEYS:
            refused = (set(trace) | set(_OBSERVED_KEYS)) - set(_RECORDED_INFO_KEYS)
            raise ConfigError(
                f"info_keys: {key!r} names a recorded quantity that is not an info entry; "
                f"not allowed: {sorted(refused)}"
            )
        trace[key] = np.full(n_max, np.nan)
    extra_arrays = [(key, trace[key]) for key in extra]
    agent.reset(seed)
    obs, info = env.reset(seed=seed, options=options)
    ee_rows, goal_rows = _observed_rows(obs, n_max, trace)
    clock = time.perf_counter_ns
    terminated = truncated = False
    steps = 0
    start = clock()
    while steps < n_max:
        t0 = clock()
        action = agent.act(obs)
        t1 = clock()
        obs, reward, terminated, truncated, info = env.step(action)
        t2 = clock()
        agent.observe(reward, terminated, truncated, info)
        t3 = clock()
        trace["agent_us"][steps] = ((t1 - t0) + (t3 - t2)) * 1e-3
        trace["env_us"][steps] = (t2 - t1) * 1e-3
        trace["action"][steps] = action
        trace["reward"][steps] = reward
        trace["sim_time"][steps] = info.get("sim_time", (steps + 1) * dt)
        trace["tracking_error"][steps] = info.get("tracking_error", np.nan)
        trace["distance"][steps] = info.get("distance", np.nan)
        trace["target_index"][steps] = info.get("target_index", -1)
        trace["cycle"][steps] = info.get("cycle", -1)
        trace["perturbed"][steps] = perturbation_active(info.get("perturbation"))
        if ee_rows is not None:  # one row copy each (~0.3 us): the hand path for figures
            ee_rows[steps] = obs["ee"]
            goal_rows[steps] = obs["goal"]
        for key, values in extra_arrays:
            values[steps] = info.get(key, np.nan)
        steps += 1
        stop = False
        for callback in callbacks:
            stop = bool(callback(steps - 1, obs, action, reward, info)) or stop
        if pace is not None:
            _sleep_until(start + int(steps * dt / pace * 1e9), clock)
        if progress is not None and steps % 100 == 0:
            elapsed = (clock() - start) * 1e-9
            progress.update(100)
            progress.set_postfix_str(
                f"t={steps * dt:.1f}s rtf={steps * dt / max(elapsed, 1e-9):.1f}x "
                f"err={trace['tracking_error'][steps - 1] * 1e3:.1f}mm"
            )
        if terminated or truncated or stop:
            break
    wall_time = (clock() - start) * 1e-9
    return EpisodeResult(
        seed=seed,
        steps=steps,
        terminated=bool(terminated),
        truncated=bool(truncated),
        wall_time=wall_time,
        trace={name: values[:steps] for name, values in trace.items()},
    )


def _observed_rows(
    obs: Any, n_max: int, trace: dict[str, np.ndarray]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Add ``ee`` and ``goal`` arrays to ``trace`` if the observation has both keys."""
    if not (isinstance(obs, dict) and "ee" in obs and "goal" in obs):
        return None, None
    for key in _OBSERVED_KEYS:
        trace[key] = np.zeros((n_max, np.size(obs[key])), dtype=np.float32)
    return trace["ee"], trace["goal"]


def _sleep_until(deadline_ns: int, clock: Callable[[], int]) -> None:
    """Sleep coarsely, then spin the last ~0.2 ms, to meet a wall-clock deadline."""
    remaining = deadline_ns - clock()
    if remaining > 300_000:
        time.sleep((remaining - 200_000) * 1e-9)
    while clock() < deadline_ns:
        pass  # spin: sleep() overshoots by ~0.1 ms, too much for a 1 ms step


def run_episodes(
    env: gym.Env,
    agent: Agent,
    n_episodes: int,
    seed: int | None = 0,
    **kwargs: Any,
) -> RunResult:
    """Run ``n_episodes`` episodes, seeded ``seed, seed + 1, ...`` (or unseeded if None).

    Keyword arguments are passed to :func:`run_episode`.
    """
    require_int("n_episodes", n_episodes, minimum=1)
    episodes = [
        run_episode(env, agent, None if seed is None else seed + k, **kwargs)
        for k in range(n_episodes)
    ]
    return RunResult(episodes)
