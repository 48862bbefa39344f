"""Endurance: a million closed-loop steps, many resets and save/load cycles, kills.

``neurocontrol bench endurance`` runs, and prints the figures of:

- **closed loop**: 10^6 steps of the default adaptive spiking agent, learning
  on, as episodes of 12 s on PlanarReach with a perturbation switching on
  halfway through each (another kind each episode): non-finite values in
  the traces and weights, weights outside their rule's bounds, and the
  growth of resident memory from episode 10 to the last (the loop's
  per-episode trace is allocated once per episode: expected memory);
- **resets**: 1,000 resets of one env with a perturbation (another kind
  each time), and envs created and closed: memory, open descriptors and
  PyBullet clients left connected;
- **save/load**: 1,000 save and load cycles of an agent checkpoint;
- **checkpoint kills** and **run kills**
  (:mod:`neurocontrol.bench.kill_trials`): writers killed with SIGKILL.

Targets: no NaN, weights within bounds, memory growth < 10 MB, no
descriptor or client left open, no checkpoint lost, every run directory
complete or marked incomplete (and resumable).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.utils.arguments import nonnegative_int, positive_int

__all__ = [
    "PERTURBATIONS",
    "add_arguments",
    "closed_loop_soak",
    "reset_cycles",
    "run",
    "save_load_cycles",
]

#: Perturbations of PlanarReach the soaks switch through, one per episode or reset.
PERTURBATIONS: tuple[dict[str, Any], ...] = (
    {"kind": "curl_field", "strength": 15.0},
    {"kind": "payload", "mass": 0.5},
    {"kind": "joint_damping", "damping": 0.2},
    {"kind": "joint_friction", "friction": 0.1},
    {"kind": "actuator_gain", "gain": 0.7},
    {"kind": "command_delay", "delay_ms": 5},
)
_ENV = "neurocontrol/PlanarReach-v0"
_CYCLE_SPEC = {"type": "adaptive_spiking", "n_neurons": 200}
_WARM_UP_CYCLES = 5
#: Episode after which memory growth is counted (buffers sized by first use are in by then).
_SETTLED_EPISODE = 10


def _resident_bytes() -> int:
    """Resident set size now (``/proc/self/status``), else the peak (``resource``)."""
    # no /proc (macOS): the peak below
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _open_descriptors() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return len(os.listdir(folder))
    return -1


def save_load_cycles(n_cycles: int, directory: str | Path) -> dict[str, Any]:
    """Save and load a real adaptive spiking agent's checkpoint ``n_cycles`` times.

    The agent (200 neurons, PlanarReach) learns in a curl field for 300 steps first; each
    cycle saves it in ``directory`` and rebuilds it with
    :func:`~neurocontrol.agents.load_agent`, whose state must equal the
    saved one. Memory and descriptors are counted after a few warm-up
    cycles, so that first-use allocations do not count as growth.

    Returns
    -------
    dict
        ``cycles``, ``mismatches`` (loads whose state differed: must be 0),
        ``rss_before_mb``, ``rss_after_mb``, ``rss_growth_mb``,
        ``fds_before``, ``fds_after``, ``save_ms``, ``load_ms`` (mean per cycle)
        and ``files`` (left in ``directory``: 2).
    """
    import gymnasium as gym

    from neurocontrol.agents import load_agent, make_agent

    directory = Path(directory)
    path = directory / "cycles"
    env = gym.make(_ENV)
    try:
        agent = make_agent(dict(_CYCLE_SPEC), env, seed=0)
        obs, _ = env.reset(seed=0, options={"perturbation": PERTURBATIONS[0]})
        for _ in range(300):
            action = agent.act(obs)
            agent.observe(0.0, False, False, {})
            obs, *_ = env.step(action)
        saved = agent.state_dict()

        def cycle() -> tuple[float, float, bool]:
            start = time.perf_counter()
            agent.save(path)
            middle = time.perf_counter()
            state = load_agent(path, env).state_dict()
            end = time.perf_counter()
            same = state.keys() == saved.keys() and all(
                np.array_equal(state[key], value) for key, value in saved.items()
            )
            return middle - start, end - middle, same

        for _ in range(_WARM_UP_CYCLES):
            cycle()
        rss_before, fds_before = _resident_bytes(), _open_descriptors()
        timings = [cycle() for _ in range(n_cycles)]
        rss_after, fds_after = _resident_bytes(), _open_descriptors()
    finally:
        env.close()
    figures = {
        "cycles": n_cycles,
        "mismatches": sum(not same for *_, same in timings),
        "rss_before_mb": rss_before / 2**20,
        "rss_after_mb": rss_after / 2**20,
        "rss_growth_mb": (rss_after - rss_before) / 2**20,
        "fds_before": fds_before,
        "fds_after": fds_after,
        "save_ms": 1e3 * float(np.mean([t[0] for t in timings])) if timings else float("nan"),
        "load_ms": 1e3 * float(np.mean([t[1] for t in timings])) if timings else float("nan"),
        "files": len(list(directory.iterdir())),
    }
    return figures


def closed_loop_soak(steps: int, episode_seconds: float = 12.0, seed: int = 0) -> dict[str, Any]:
    """``steps`` closed-loop steps of the default adaptive spiking agent, learning on.

    One agent for the whole soak (its learning carries across episodes);
    episodes of ``episode_seconds`` on PlanarReach, each with the next of
    :data:`PERTURBATIONS` switching on halfway through. After each episode
    the traces and every plastic projection's weights are scanned.

    Returns
    -------
    dict
        ``steps``, ``episodes``, ``us_per_step`` (wall clock, resets included),
        ``nonfinite`` (values in traces and weights: must be 0),
        ``weights_out_of_bounds`` (must be 0), ``rss_settled_mb`` (after
        episode 10, or the first), ``rss_last_mb`` and ``rss_growth_mb``.
    """
    import gymnasium as gym

    from neurocontrol.agents import make_agent
    from neurocontrol.loop.episode import run_episode

    env = gym.make(_ENV)
    try:
        agent = make_agent({"type": "adaptive_spiking"}, env, seed=seed)
        per_episode = round(episode_seconds / agent.base.dt)
        plastic = [
            (projection.name, rule.weight_bounds)
            for projection in agent.network.projections
            for rule in projection.rules
        ]
        rss: list[int] = []
        nonfinite = out_of_bounds = done = episodes = 0
        start = time.perf_counter()
        while done < steps:
            n = min(per_episode, steps - done)
            perturbation = PERTURBATIONS[episodes % len(PERTURBATIONS)]

            def switch_on(step: int, *_: Any, at: int = n // 2, spec: Any = perturbation) -> None:
                if step == at:
                    env.unwrapped.set_perturbation(spec)

            episode = run_episode(
                env, agent, seed=seed + episodes, max_steps=n, callbacks=[switch_on]
            )
            done += episode.steps
            episodes += 1
            for key in ("tracking_error", "action"):
                nonfinite += int(np.count_nonzero(~np.isfinite(episode.trace[key])))
            for name, (low, high) in plastic:
                weights = agent.simulator.weights(name)
                nonfinite += int(np.count_nonzero(~np.isfinite(weights)))
                out_of_bounds += int(np.count_nonzero((weights < low) | (weights > high)))
            del episode
            rss.append(_resident_bytes())
        wall = time.perf_counter() - start
    finally:
        env.close()
    settled = rss[min(_SETTLED_EPISODE, len(rss)) - 1]
    return {
        "steps": done,
        "episodes": episodes,
        "us_per_step": wall / max(done, 1) * 1e6,
        "nonfinite": nonfinite,
        "weights_out_of_bounds": out_of_bounds,
        "rss_settled_mb": settled / 2**20,
        "rss_last_mb": rss[-1] / 2**20,
        "rss_growth_mb": (rss[-1] - settled) / 2**20,
    }


def _connected_clients() -> int:
    """PyBullet clients connected in this process."""
    import pybullet

    return sum(pybullet.isConnected(physicsClientId=k) for k in range(_MAX_CLIENT_ID))


#: Client ids scanned by :func:`_connected_clients` (PyBullet numbers them from 0 up).
_MAX_CLIENT_ID = 256


def reset_cycles(n_resets: int, n_envs: int = 50, seed: int = 0) -> dict[str, Any]:
    """``n_resets`` resets of one env with perturbations; ``n_envs`` envs created and closed.

    Each reset takes the next of :data:`PERTURBATIONS` (in ``options``) and
    steps once. Memory and descriptors are counted after a warm-up of one
    round of perturbations; PyBullet clients before the first env and after
    the last is closed.

    Returns
    -------
    dict
        ``resets``, ``envs``, ``us_per_reset``, ``rss_growth_mb``,
        ``fds_before``, ``fds_after``, ``clients_before``, ``clients_after``.
    """
    import gymnasium as gym

    import neurocontrol  # noqa: F401  (registers the envs)

    clients_before = _connected_clients()
    env = gym.make(_ENV)
    try:
        zero = np.zeros(env.action_space.shape)

        def reset(k: int) -> None:
            perturbation = PERTURBATIONS[k % len(PERTURBATIONS)]
            env.reset(seed=seed + k, options={"perturbation": perturbation})
            env.step(zero)

        for k in range(len(PERTURBATIONS)):
            reset(k)
        rss_before, fds_before = _resident_bytes(), _open_descriptors()
        start = time.perf_counter()
        for k in range(n_resets):
            reset(k)
        per_reset = (time.perf_counter() - start) / max(n_resets, 1)
    finally:
        env.close()
    for _ in range(n_envs):
        gym.make(_ENV).close()
    return {
        "resets": n_resets,
        "envs": n_envs,
        "us_per_reset": per_reset * 1e6,
        "rss_growth_mb": (_resident_bytes() - rss_before) / 2**20,
        "fds_before": fds_before,
        "fds_after": _open_descriptors(),
        "clients_before": clients_before,
        "clients_after": _connected_clients(),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench endurance`` (0 skips a part)."""
    parser.add_argument(
        "--steps", type=nonnegative_int, default=1_000_000,
        help="closed-loop steps of the adaptive spiking agent (1000000)",
    )  # fmt: skip
    parser.add_argument("--resets", type=nonnegative_int, default=1000, help="env resets (1000)")
    parser.add_argument(
        "--cycles", type=nonnegative_int, default=1000, help="checkpoint save/load cycles (1000)"
    )
    parser.add_argument(
        "--checkpoint-kills", type=nonnegative_int, default=100,
        help="kills of a process saving checkpoints (100)",
    )  # fmt: skip
    parser.add_argument(
        "--run-kills", type=nonnegative_int, default=100,
        help="training runs killed at random moments (100)",
    )  # fmt: skip
    parser.add_argument("--seed", type=positive_int, default=1, help="seed of the kill delays (1)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the parts asked for; return the figures and a printable table."""
    from neurocontrol.bench.kill_trials import checkpoint_kill_trials, run_kill_trials

    figures: dict[str, Any] = {}
    table: list[str] = []
    with tempfile.TemporaryDirectory(prefix="neurocontrol-endurance-") as scratch:
        folder = Path(scratch)
        if args.steps:
            figures["closed_loop"] = soak = closed_loop_soak(args.steps)
            table.append(
                f"closed loop: {soak['steps']} steps in {soak['episodes']} episodes of the "
                f"adaptive spiking agent, {soak['us_per_step']:.1f} us per step; non-finite "
                f"{soak['nonfinite']}, weights out of bounds {soak['weights_out_of_bounds']}; "
                f"RSS {soak['rss_settled_mb']:.1f} MB after episode {_SETTLED_EPISODE}, "
                f"{soak['rss_last_mb']:.1f} MB at the end ({soak['rss_growth_mb']:+.1f})"
            )
        if args.resets:
            figures["resets"] = resets = reset_cycles(args.resets)
            table.append(
                f"resets: {resets['resets']} with perturbations, {resets['us_per_reset']:.0f} us "
                f"each, RSS {resets['rss_growth_mb']:+.1f} MB, descriptors "
                f"{resets['fds_before']} -> {resets['fds_after']}; {resets['envs']} envs made "
                f"and closed, PyBullet clients {resets['clients_before']} -> "
                f"{resets['clients_after']}"
            )
        if args.cycles:
            figures["save_load"] = cycles = save_load_cycles(args.cycles, folder / "cycles")
            table.append(
                f"save/load: {cycles['cycles']} cycles of a {_CYCLE_SPEC['n_neurons']}-neuron "
                f"agent, save {cycles['save_ms']:.1f} ms, load {cycles['load_ms']:.1f} ms; RSS "
                f"{cycles['rss_growth_mb']:+.1f} MB, descriptors {cycles['fds_before']} -> "
                f"{cycles['fds_after']}, {cycles['mismatches']} loads unlike the saved state"
            )
        if args.checkpoint_kills:
            kills = checkpoint_kill_trials(args.checkpoint_kills, args.seed, folder / "kills")
            figures["checkpoint_kills"] = kills
            table.append(
                f"checkpoint kills: {kills['kills']}, {kills['killed_mid_save']} inside a save; "
                f"loaded the generation being written {kills['loaded_new']}, the previous one "
                f"{kills['loaded_previous']}, refused (none complete yet) {kills['refused']}, "
                f"lost {kills['lost']}"
            )
            table += [f"  {failure}" for failure in kills["failures"]]
        if args.run_kills:
            runs = run_kill_trials(args.run_kills, args.seed, folder / "runs")
            figures["run_kills"] = runs
            table.append(
                f"run kills: {runs['kills']} (a run takes {runs['run_seconds']:.1f} s); "
                f"{runs['run_directories']} run directories: {runs['complete']} complete, "
                f"{runs['incomplete']} marked incomplete {runs['incomplete_states']}, "
                f"{runs['bad']} neither; {runs['resumed_to_complete']} of the incomplete resumed "
                f"to complete; {runs['staging_left']} half-assembled hidden folders"
            )
            table += [f"  {problem}" for problem in runs["problems"]]
    figures["table"] = table
    return figures
