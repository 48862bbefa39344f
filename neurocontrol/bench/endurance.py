"""Endurance of checkpoints: saves killed at random moments, and many save/load cycles.

:func:`checkpoint_kill_trials` starts a writer process that saves one
checkpoint over and over (a few MB of arrays per generation) and kills it
with SIGKILL after a random delay, again and again; after each kill the
checkpoint must load and hold the generation the writer last completed or
the one it was writing, and may be refused only while no save has ever
completed. :func:`save_load_cycles` saves and reloads a real adaptive
spiking agent many times and reports memory, file descriptors and time per
cycle. Both print their figures and return them.
"""

from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol import checkpoint
from neurocontrol.errors import CheckpointError

__all__ = ["checkpoint_kill_trials", "save_load_cycles"]

_KIND = "endurance"
#: Shape of the float64 weights of each generation: 4 MB, so a save takes measurable time.
_WEIGHTS = (512, 1024)
#: Kills land uniformly within this many seconds after the writer is ready (several saves).
_MAX_DELAY = 0.15
_WRITER = "import sys; from neurocontrol.bench.endurance import _write_generations; " + (
    "_write_generations(sys.argv[1], int(sys.argv[2]))"
)
_CYCLE_SPEC = {"type": "adaptive_spiking", "n_neurons": 200}
_CYCLE_ENV = "neurocontrol/PlanarReach-v0"
_CURL = {"kind": "curl_field", "strength": 15.0}
_WARM_UP_CYCLES = 5


@functools.cache
def _base_weights() -> np.ndarray:
    return np.random.default_rng(0).standard_normal(_WEIGHTS)


def _generation_arrays(generation: int) -> dict[str, np.ndarray]:
    """The arrays of generation ``generation``: the same for the writer and the checker.

    Cheap to make (one addition), so that the writer spends its time saving.
    """
    return {
        "weights": _base_weights() + generation,
        "generation": np.array([generation], dtype=np.int64),
    }


def _write_generations(path: str, first: int) -> None:
    """Save generations ``first, first + 1, ...`` at ``path`` until killed (the writer process).

    Prints ``ready`` once, then ``<generation> <seconds>`` after each save returns.
    """
    print("ready", flush=True)
    generation = first
    while True:
        arrays = _generation_arrays(generation)
        start = time.perf_counter()
        checkpoint.save(path, {"generation": generation}, arrays, kind=_KIND)
        print(generation, time.perf_counter() - start, flush=True)
        generation += 1


def _check(path: Path, writing: int, previous: int | None) -> tuple[str, str]:
    """Outcome of a kill: ``new``, ``previous``, ``refused`` or ``lost``, and why."""
    try:
        config, arrays = checkpoint.load(path, kind=_KIND)
    except CheckpointError as exc:
        if previous is None:
            return "refused", str(exc)
        return "lost", f"generation {previous} was complete, yet the checkpoint is refused: {exc}"
    generation = config.get("generation")
    if generation not in (writing, previous):
        return "lost", f"loaded generation {generation!r}, not {previous} nor {writing}"
    expected = _generation_arrays(generation)
    if arrays.keys() != expected.keys() or not all(
        np.array_equal(arrays[name], value) for name, value in expected.items()
    ):
        return "lost", f"generation {generation} loaded with other arrays than were saved"
    return ("new" if generation == writing else "previous"), ""


def checkpoint_kill_trials(n_kills: int, seed: int, directory: str | Path) -> dict[str, Any]:
    """Kill a process that keeps saving a checkpoint ``n_kills`` times; check it after each kill.

    Each kill starts a new writer (``sys.executable``) on the same checkpoint
    in ``directory`` (``endurance.json``; one of an earlier run is dropped),
    continuing the generation count, and sends SIGKILL a random delay
    (``seed``) after it is ready.

    Returns
    -------
    dict
        ``kills``; ``loaded_new`` (the generation being written was committed),
        ``loaded_previous`` (the last completed one), ``refused`` (no save had
        completed yet), ``lost`` (anything else: must be 0) and ``failures``
        (why, per lost kill); ``saves_completed``, ``save_seconds_median``;
        ``killed_mid_save`` (kills that left a temporary or a second arrays
        file behind), ``max_files_after_kill`` and
        ``files_after_final_save`` (2: a last save removes them).
    """
    if os.name != "posix":
        raise OSError("checkpoint kill trials need POSIX signals (SIGKILL)")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "endurance"
    path.with_name(path.name + ".json").unlink(missing_ok=True)  # a new run starts with none
    rng = np.random.default_rng(seed)
    counts = {"new": 0, "previous": 0, "refused": 0, "lost": 0}
    failures: list[str] = []
    save_seconds: list[float] = []
    previous: int | None = None  # the generation the checkpoint must hold at least
    next_generation = 0
    max_files = 0
    mid_save = 0
    for kill in range(n_kills):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(next_generation)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            ready = writer.stdout.readline() if writer.stdout else ""
            if ready.strip() != "ready":
                writer.kill()  # a no-op if it has exited already
                raise ChildProcessError(
                    f"the checkpoint writer did not start (exit status {writer.wait()}, "
                    f"first output {ready!r})"
                )
            time.sleep(rng.uniform(0.0, _MAX_DELAY))
        finally:
            writer.send_signal(signal.SIGKILL)
            output, _ = writer.communicate()
        completed = [line.split() for line in output.splitlines()]
        save_seconds += [float(seconds) for _, seconds in completed]
        if completed:
            previous = int(completed[-1][0])
        writing = next_generation + len(completed)
        outcome, why = _check(path, writing, previous)
        counts[outcome] += 1
        if outcome == "lost":
            failures.append(f"kill {kill}: {why}")
        if outcome == "new":
            previous = writing
        next_generation = writing + 1
        files = len(list(directory.iterdir()))
        mid_save += files > 2  # a temporary or a second arrays file: killed inside a save
        max_files = max(max_files, files)
    checkpoint.save(
        path, {"generation": next_generation}, _generation_arrays(next_generation), _KIND
    )
    figures = {
        "kills": n_kills,
        "loaded_new": counts["new"],
        "loaded_previous": counts["previous"],
        "refused": counts["refused"],
        "lost": counts["lost"],
        "failures": failures,
        "saves_completed": len(save_seconds),
        "save_seconds_median": float(np.median(save_seconds)) if save_seconds else float("nan"),
        "killed_mid_save": mid_save,
        "max_files_after_kill": max_files,
        "files_after_final_save": len(list(directory.iterdir())),
    }
    print(
        f"checkpoint kill trials: {n_kills} kills of a writer saving "
        f"{np.prod(_WEIGHTS) * 8 / 1e6:.1f} MB per generation; loaded the generation being "
        f"written {counts['new']}, the previous one {counts['previous']}, refused (none "
        f"complete yet) {counts['refused']}, lost {counts['lost']}; "
        f"{figures['saves_completed']} saves completed, median "
        f"{figures['save_seconds_median'] * 1e3:.1f} ms; {mid_save} kills inside a save, at most "
        f"{max_files} files after a kill, "
        f"{figures['files_after_final_save']} after a last save"
    )
    for failure in failures:
        print(f"  {failure}")
    return figures


def _resident_bytes() -> int:
    """Resident set size now (``/proc/self/status``), else the peak (``resource``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
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
    env = gym.make(_CYCLE_ENV)
    try:
        agent = make_agent(dict(_CYCLE_SPEC), env, seed=0)
        obs, _ = env.reset(seed=0, options={"perturbation": _CURL})
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
    print(
        f"save/load cycles: {n_cycles} of a {_CYCLE_SPEC['n_neurons']}-neuron adaptive spiking "
        f"agent; RSS {figures['rss_before_mb']:.1f} -> {figures['rss_after_mb']:.1f} MB "
        f"({figures['rss_growth_mb']:+.1f}), open descriptors {fds_before} -> {fds_after}, "
        f"save {figures['save_ms']:.1f} ms, load {figures['load_ms']:.1f} ms per cycle, "
        f"{figures['mismatches']} loads differing from the saved state, "
        f"{figures['files']} files left"
    )
    return figures
