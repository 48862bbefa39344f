"""Processes killed with SIGKILL while they write: checkpoints and training runs.

:func:`checkpoint_kill_trials` starts a writer process that saves one
checkpoint over and over (a few MB of arrays per generation) and kills it
after a random delay, again and again; after each kill the checkpoint must
load and hold the generation the writer last completed or the one it was
writing, and may be refused only while no save has ever completed.
:func:`run_kill_trials` starts short training runs (the console script) and
kills them at random moments; afterwards every run directory must be
complete (every result there, its checkpoint loading) or say in its status
that it is not, and every incomplete one must resume to complete.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.core import checkpoint
from neurocontrol.errors import CheckpointError, NeuroControlError

__all__ = ["checkpoint_kill_trials", "run_kill_trials"]

_KIND = "endurance"
#: Shape of the float64 weights of each generation: 4 MB, so a save takes measurable time.
_WEIGHTS = (512, 1024)
#: Kills land uniformly within this many seconds after the writer is ready (several saves).
_MAX_DELAY = 0.15
_WRITER = "import sys; from neurocontrol.bench.kill_trials import _write_generations; " + (
    "_write_generations(sys.argv[1], int(sys.argv[2]))"
)


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
    return figures


#: A short training run: two agents, two seeds of half a second; every kind of result file.
KILLED_RUN_CONFIG: dict[str, Any] = {
    "name": "killed",
    "env": {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2}},
    "agents": {
        "spiking": {"type": "adaptive_spiking", "n_neurons": 50},
        "base": {"type": "osc"},
    },
    "schedule": [{"at": 0.25, "perturbation": {"kind": "curl_field", "strength": 15.0}}],
    "duration": 0.5,
    "seeds": [0, 1],
    "cycle_duration": 0.1,
}
#: Files every complete run of that config holds.
_COMPLETE_FILES = (
    "config.yaml", "status.json", "summary.json", "cycles.csv", "episodes.csv", "steps.csv",
    "checkpoint.json", "tracking_error.png", "learning_curve.png",
)  # fmt: skip


def _train(config: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "neurocontrol.cli.commands", "train", "--config", str(config)]
    return subprocess.Popen(
        [*command, "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _inspect_run(run: Path) -> tuple[str, str]:
    """``complete``, ``incomplete`` (its status says so: the state) or ``bad`` (why)."""
    from neurocontrol.agents.persistence import read_checkpoint
    from neurocontrol.experiment.runs import RunDirectory

    try:
        status = RunDirectory.open(run).status
    except NeuroControlError as exc:
        return "bad", f"{run.name}: {exc}"
    if not status.complete:
        return "incomplete", status.effective
    missing = [name for name in _COMPLETE_FILES if not (run / name).is_file()]
    if missing:
        return "bad", f"{run.name}: complete, but {missing} are missing"
    try:
        json.loads((run / "summary.json").read_text(encoding="utf-8"))
        read_checkpoint(run / "checkpoint")
    except (ValueError, CheckpointError) as exc:
        return "bad", f"{run.name}: complete, but a result does not read: {exc}"
    return "complete", ""


def run_kill_trials(n_kills: int, seed: int, directory: str | Path) -> dict[str, Any]:
    """Kill ``n_kills`` short training runs at random moments; check every run directory.

    One uninterrupted run (``sys.executable -m neurocontrol.cli.commands train``) of
    :data:`KILLED_RUN_CONFIG` measures how long a run takes, start-up
    included; each further run gets SIGKILL after a delay drawn uniformly
    from 0 to 1.1 times that (``seed``), so kills fall in start-up, episodes
    and the writing of results alike. Then every run directory is inspected,
    and each incomplete one is resumed (in this process).

    Returns
    -------
    dict
        ``kills``, ``run_seconds`` (the uninterrupted run), ``run_directories``,
        ``complete`` (every result file there and readable), ``incomplete``
        (their status says so; ``incomplete_states`` counts the states),
        ``bad`` (anything else: must be 0; ``problems`` says why),
        ``staging_left`` (hidden folders of runs killed while their directory
        was being assembled), ``resumed_to_complete`` (of the incomplete ones).
    """
    from neurocontrol.experiment.training import resume_run

    if os.name != "posix":
        raise OSError("run kill trials need POSIX signals (SIGKILL)")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config, out = directory / "killed.yaml", directory / "runs"
    config.write_text(json.dumps(KILLED_RUN_CONFIG), encoding="utf-8")  # JSON is YAML
    start = time.perf_counter()
    if _train(config, out).wait() != 0:
        raise ChildProcessError(f"the uninterrupted run of {config} failed")
    run_seconds = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    for _ in range(n_kills):
        process = _train(config, out)
        time.sleep(rng.uniform(0.0, 1.1 * run_seconds))
        process.send_signal(signal.SIGKILL)
        process.wait()
    runs = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    outcomes = {"complete": 0, "incomplete": 0, "bad": 0}
    states: dict[str, int] = {}
    problems = []
    for run in runs:
        outcome, detail = _inspect_run(run)
        outcomes[outcome] += 1
        if outcome == "incomplete":
            states[detail] = states.get(detail, 0) + 1
        elif outcome == "bad":
            problems.append(detail)
    resumed = 0
    for run in runs:
        if _inspect_run(run)[0] == "incomplete":
            resume_run(run)
            resumed += _inspect_run(run)[0] == "complete"
    return {
        "kills": n_kills,
        "run_seconds": run_seconds,
        "run_directories": len(runs),
        **outcomes,
        "incomplete_states": states,
        "problems": problems,
        "staging_left": sum(p.name.startswith(".") for p in out.iterdir()),
        "resumed_to_complete": resumed,
    }
