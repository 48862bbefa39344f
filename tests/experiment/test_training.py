"""Training runs keep their work: checks before computing, status, signals, resume.

Real envs, real agents, real processes and signals: a run is started as the
console script in a subprocess, stopped with SIGINT or SIGTERM once it has
stored an episode, and resumed; the result must equal an uninterrupted run's.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurocontrol.agents.factory import make_agent
from neurocontrol.cli.commands import main
from neurocontrol.errors import (
    CheckpointError,
    ConfigError,
    PerturbationError,
    SimulationError,
    StorageError,
)
from neurocontrol.experiment.journal import RunJournal
from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.experiment.training import resume_run, start_run
from neurocontrol.utils.config import from_dict

SHORT = {
    "name": "safe",
    "env": {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2}},
    "agents": {
        "spiking": {"type": "adaptive_spiking", "n_neurons": 100},
        "base": {"type": "osc"},
    },
    "schedule": [{"at": 0.5, "perturbation": {"kind": "curl_field", "strength": 15.0}}],
    "duration": 1.0,
    "seeds": [0, 1],
    "cycle_duration": 0.25,
}


def short_config(**changes) -> ExperimentConfig:
    return from_dict(ExperimentConfig, {**SHORT, **changes})


class CountingFactory:
    """The package's agent factory, counting the agents it builds (and failing on demand)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.built = 0
        self.fail_at = fail_at

    def __call__(self, spec, env, seed):
        self.built += 1
        if self.built == self.fail_at:
            raise SimulationError("the agent could not be built (a fault injected by the test)")
        return make_agent(spec, env, seed)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the short config."""
    run, result = start_run(short_config(), tmp_path_factory.mktemp("reference"))
    return run.path, result


def assert_same_results(run_path: Path, reference_path: Path) -> None:
    """Per-step traces, per-cycle values and checkpoint arrays equal (wall-clock left out)."""
    names = sorted(p.name for p in (reference_path / "episodes").iterdir())
    assert names == sorted(p.name for p in (run_path / "episodes").iterdir())
    for name in names:
        with (
            np.load(run_path / "episodes" / name) as got,
            np.load(reference_path / "episodes" / name) as want,
        ):
            assert got.files == want.files
            for key in want.files:
                if key.endswith("_us") or key == "meta":  # latency and times: wall clock
                    continue
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"{name}:{key}")
    assert (run_path / "cycles.csv").read_text() == (reference_path / "cycles.csv").read_text()
    with (
        np.load(next(run_path.glob("checkpoint*.npz"))) as got,
        np.load(next(reference_path.glob("checkpoint*.npz"))) as want,
    ):
        assert got.files == want.files
        for key in want.files:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def status(run_path: Path) -> dict:
    return json.loads((run_path / "status.json").read_text())


# -- checked before computing ---------------------------------------------------------------


def test_a_bad_run_name_is_refused_before_anything_is_built(tmp_path) -> None:
    factory = CountingFactory()
    with pytest.raises(ConfigError, match="run name must start with a letter or digit"):
        start_run(short_config(name="my run"), tmp_path, make_agent=factory)
    assert factory.built == 0 and list(tmp_path.iterdir()) == []


def test_an_output_folder_that_cannot_be_written_is_refused_before_computing(tmp_path) -> None:
    factory = CountingFactory()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="lies under a file"):
        start_run(short_config(), blocker / "runs", make_agent=factory)
    with pytest.raises(StorageError, match="exists and is not a folder"):
        start_run(short_config(), blocker, make_agent=factory)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(StorageError, match="cannot write in output folder"):
            start_run(short_config(), locked, make_agent=factory)
        with pytest.raises(StorageError, match="cannot create output folder"):
            start_run(short_config(), locked / "runs", make_agent=factory)
    assert factory.built == 0


def test_a_bad_agent_spec_or_measure_is_refused_before_the_run_starts(tmp_path) -> None:
    agents = {**SHORT["agents"], "typo": {"type": "adaptive_spiking", "n_nerons": 10}}
    with pytest.raises(ConfigError, match="n_nerons"):
        start_run(short_config(agents=agents), tmp_path)
    with pytest.raises(ConfigError, match="force_error"):
        start_run(short_config(metric="force_error"), tmp_path)
    assert list(tmp_path.iterdir()) == []  # no run directory for a run that never started


def test_a_late_schedule_event_the_env_refuses_stops_the_run_before_it_starts(tmp_path) -> None:
    schedule = [{"at": 0.05, "perturbation": {"kind": "payload", "mass": -1.0}}]
    factory = CountingFactory()
    with pytest.raises(PerturbationError, match="mass"):
        start_run(short_config(schedule=schedule), tmp_path, make_agent=factory)
    assert list(tmp_path.iterdir()) == [] and factory.built == 2  # preflight only


def test_the_cli_refuses_a_bad_name_with_one_line_and_exit_2(tmp_path, capsys) -> None:
    assert main(["train", "--name", "my run", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "neurocontrol train: error: run name must start" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# -- status and the episode store -----------------------------------------------------------


def test_a_complete_run_has_its_status_and_every_episode(reference) -> None:
    run_path, result = reference
    state = status(run_path)
    assert state["state"] == "complete" and state["done"] == state["total"] == 4
    assert state["pid"] == os.getpid() and len(state["config_sha256"]) == 64
    stored = sorted(p.name for p in (run_path / "episodes").iterdir())
    assert stored == [
        "0-outputs.npz", "0-seed0.npz", "0-seed1.npz", "1-outputs.npz", "1-seed0.npz",
        "1-seed1.npz",
    ]  # fmt: skip
    journal = RunJournal(RunDirectory.open(run_path), total=4)
    episode = journal.episode(0, "spiking", 1)
    want = result.agents["spiking"].episodes[1]
    assert episode.episode.steps == want.steps
    for key, values in want.trace.items():
        np.testing.assert_array_equal(episode.episode.trace[key], values)
    assert not [p for p in run_path.parent.iterdir() if p.name.startswith(".")]  # no staging


def test_the_journal_refuses_episodes_of_another_config_or_damaged_files(tmp_path) -> None:
    run, _ = start_run(short_config(seeds=[0]), tmp_path)
    journal = RunJournal(run, total=2)
    with pytest.raises(CheckpointError, match=r"holds agent 'spiking' seed 0, not 'other' seed 0"):
        journal.episode(0, "other", 0)
    with pytest.raises(CheckpointError, match="holds the outputs of agent 'spiking', not 'x'"):
        journal.agent_outputs(0, "x")
    (run.file("episodes") / ".1-seed1.npz.1a2b.tmp.npz").write_bytes(b"half")  # being written
    assert journal.done() == 2
    damaged = run.file("episodes") / "1-seed0.npz"
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="delete it to run that episode again"):
        journal.episode(1, "base", 0)


def test_a_run_whose_process_died_reads_as_stopped(tmp_path) -> None:
    run = RunDirectory("dead", tmp_path)
    assert run.status.state == "running" and run.status.effective == "running"
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    run.set_status(pid=int(child.stdout))
    assert RunDirectory.open(run.path).status.effective == "stopped"
    with pytest.raises(ConfigError, match="run state must be one of running, complete"):
        run.set_status("paused")


def test_open_refuses_a_folder_that_is_not_a_run(tmp_path) -> None:
    with pytest.raises(StorageError, match="does not exist or is not a folder"):
        RunDirectory.open(tmp_path / "missing")
    with pytest.raises(CheckpointError, match=r"has no status\.json"):
        RunDirectory.open(tmp_path)
    (tmp_path / "status.json").write_text('{"state": "paused"}')
    with pytest.raises(CheckpointError, match="is not a valid run status"):
        RunDirectory.open(tmp_path)


# -- failures and signals --------------------------------------------------------------------


def test_a_failure_marks_the_run_failed_keeps_what_finished_and_resumes(
    tmp_path, reference
) -> None:
    factory = CountingFactory(fail_at=2 + 2)  # preflight builds 2; the 2nd episode fails
    with pytest.raises(SimulationError, match="a fault injected by the test"):
        start_run(short_config(), tmp_path, make_agent=factory)
    (run_path,) = tmp_path.iterdir()
    state = status(run_path)
    assert state["state"] == "failed" and state["done"] == 1
    assert "a fault injected by the test" in state["message"]
    run, _ = resume_run(run_path)
    assert status(run.path)["state"] == "complete"
    assert_same_results(run.path, reference[0])


def _start_cli(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "neurocontrol.cli.commands", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_episodes(root: Path, count: int, process: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        stored = [p for p in root.glob("*/episodes/*-seed*.npz") if not p.name.startswith(".")]
        if len(stored) >= count:
            return stored[0].parent.parent
        if process.poll() is not None:
            raise AssertionError(f"the run ended before storing an episode: {process.stderr}")
        time.sleep(0.02)
    process.kill()
    raise AssertionError("no episode stored within 300 s")


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_cleanly_and_resume_gives_the_same_result(
    tmp_path, reference, stop, code
) -> None:
    config = tmp_path / "short.yaml"
    config.write_text(json.dumps(SHORT))  # JSON is YAML
    process = _start_cli(["train", "--config", str(config), "--out", str(tmp_path / "runs")])
    run_path = _wait_for_episodes(tmp_path / "runs", 1, process)
    process.send_signal(stop)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code
    assert "Traceback" not in err
    assert f"stopped by {stop.name}; kept " in err and f"--resume {run_path}" in err
    state = status(run_path)
    assert state["state"] == "interrupted" and state["message"] == f"stopped by {stop.name}"
    assert 1 <= state["done"] < 4
    assert not list(run_path.glob("summary.json"))

    assert main(["train", "--resume", str(run_path), "--quiet"]) == 0
    assert status(run_path)["state"] == "complete"
    assert_same_results(run_path, reference[0])


# -- resume refusals -------------------------------------------------------------------------


def test_resume_refuses_a_live_run_an_edited_config_and_overrides(tmp_path, capsys) -> None:
    run, _ = start_run(short_config(seeds=[0], agents={"base": {"type": "osc"}}), tmp_path)
    run.set_status("running")  # as if this process were still running it
    with pytest.raises(ConfigError, match=r"is still running \(process \d+ on this host\)"):
        resume_run(run.path)
    run.set_status("interrupted")
    config = run.file("config.yaml")
    config.write_text(config.read_text().replace("duration: 1.0", "duration: 2.0"))
    with pytest.raises(ConfigError, match="was edited since the run started"):
        resume_run(run.path)
    code = main(["train", "--resume", str(run.path), "--seeds", "3", "--out", "x"])
    err = capsys.readouterr().err
    assert code == 2 and "drop --seeds, --out" in err and "Traceback" not in err


def test_resuming_a_complete_run_runs_nothing_and_rewrites_the_same_results(
    tmp_path, reference
) -> None:
    config = dataclasses.replace(short_config(), seeds=[0])
    run, first = start_run(config, tmp_path)
    summary = json.loads(run.file("summary.json").read_text())
    factory = CountingFactory()
    _, again = resume_run(run.path, make_agent=factory)
    assert factory.built == 0
    assert json.loads(run.file("summary.json").read_text())["table"] == summary["table"]
    assert again.table() == first.table()


def test_a_full_disk_fails_the_run_with_one_line_and_keeps_its_status(tmp_path) -> None:
    """Files above 32 KiB cannot be written (RLIMIT_FSIZE): the first episode's store fails."""
    config = tmp_path / "short.yaml"
    config.write_text(json.dumps(SHORT))
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (32768, 32768))\n"
        "from neurocontrol.cli.commands import main\n"
        f"sys.exit(main(['train', '--config', {str(config)!r}, '--out', "
        f"{str(tmp_path / 'runs')!r}, '--quiet']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "neurocontrol train: error: cannot write the results of run" in done.stderr
    assert "File too large" in done.stderr and "finish it with --resume" in done.stderr
    (run_path,) = (tmp_path / "runs").iterdir()
    state = status(run_path)
    assert state["state"] == "failed" and "File too large" in state["message"]


def test_a_run_without_figures_writes_every_result_but_the_plots(tmp_path) -> None:
    run, _ = start_run(short_config(), tmp_path, figures=False)
    names = {f.name for f in run.path.iterdir()}
    assert {"summary.json", "cycles.csv", "steps.csv", "checkpoint.json", "status.json"} <= names
    assert not any(name.endswith(".png") for name in names)
    assert run.status.complete
