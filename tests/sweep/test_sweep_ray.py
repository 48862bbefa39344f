"""Sweeps on the real Ray: a local Ray, a cluster joined by address, Ctrl-C and resume.

Tiny trials (0.6 s simulated, 40 neurons) and at most 2 workers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from neurocontrol.errors import ClusterError
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.sweep import run_sweep, sweep_from_dict
from neurocontrol.sweep.report import read_sweep_csv

#: one Ray at a time: the Ray tests run in one test worker (pytest --dist loadgroup)
pytestmark = pytest.mark.xdist_group("ray")

#: Ray on loopback only (else it advertises the machine's network address)
#: and a loopback test cluster without tokens (the head and this process alike)
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_local_sweep_records_a_failing_trial_and_goes_on(tiny_sweep, tmp_path):
    # n_neurons -5 raises inside its trial (the agent does not build): recorded, not fatal
    tiny_sweep["space"] = {"agents.rate.n_neurons": {"grid": [40, -5]}}
    outcome = run_sweep(sweep_from_dict(tiny_sweep), tmp_path, max_workers=2, progress=False)
    rows = {
        (r["kind"], r["agents.rate.n_neurons"]): r
        for r in read_sweep_csv(outcome.path / "sweep.csv")
    }
    assert set(rows) == {("shared", ""), ("swept", "40"), ("swept", "-5")}
    good, bad, base = rows["swept", "40"], rows["swept", "-5"], rows["shared", ""]
    assert good["status"] == "complete" and float(good["adapted_error"]) > 0
    assert good["retention"] != "" or float(base["frozen_error"]) <= float(good["adapted_error"])
    assert RunDirectory.open(good["run_dir"]).status.complete
    trial_files = {f.name for f in Path(good["run_dir"]).iterdir()}
    assert {"summary.json", "cycles.csv", "steps.csv"} <= trial_files  # its figures...
    assert not any(name.endswith(".png") for name in trial_files)  # ...but no PNGs per trial
    assert bad["status"] == "failed" and "n_neurons" in bad["failure"]
    assert outcome.counts["failed"] == 1 and outcome.counts["done"] == 3
    assert (outcome.path / "plots" / "pareto_adapted_error_retention.png").is_file()
    assert (outcome.path / "plots" / "adapted_error_vs_agents_rate_n_neurons.png").is_file()
    assert RunDirectory.open(outcome.path).status.complete


def sweep_command(sweep: dict, folder: Path) -> list[str]:
    """The CLI running ``sweep`` (written to ``folder/sweep.yaml``) into ``folder/out``."""
    sweep_file = folder / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump(sweep))
    out = str(folder / "out")
    return [sys.executable, "-m", "neurocontrol.cli.commands", "sweep", "--config", str(sweep_file),
            "--out", out]  # fmt: skip


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_finished_trials_and_resume_runs_the_rest(tiny_sweep, tmp_path, stop):
    # eight trials one at a time after the shared one: the signal comes long before the end
    rates = [1e-6 * 2**k for k in range(8)]
    tiny_sweep["space"] = {"agents.rate.learning_rate": {"grid": rates}}
    tiny_sweep["metrics"] = {"adapted_error": "min"}
    tiny_sweep["max_concurrent"] = 1
    command = sweep_command(tiny_sweep, tmp_path)
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a test runner started in the background ignores SIGINT,
        # and a child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    for line in process.stderr:  # wait for a finished trial, then Ctrl-C
        lines.append(line)
        if " 1/9 trials done" in line:
            process.send_signal(stop)
            break
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 128 + stop, "".join(lines) + rest
    assert "finish it with: neurocontrol sweep --resume" in rest
    sweep_dir = next((tmp_path / "out").glob("tiny-sweep-*"))
    status = RunDirectory.open(sweep_dir).status
    assert status.state == "interrupted" and status.message == f"stopped by {stop.name}"
    kept = read_sweep_csv(sweep_dir / "sweep.csv")
    assert 1 <= len(kept) < 9 and all(r["status"] == "complete" for r in kept)
    records = {p.name: p.stat().st_mtime_ns for p in (sweep_dir / "trials").glob("*.json")}
    outcome = run_sweep(resume=sweep_dir, max_workers=2, progress=False)
    assert outcome.counts["done"] == 9 and len(outcome.rows) == 9
    for name, mtime in records.items():  # finished trials were not run again
        assert (sweep_dir / "trials" / name).stat().st_mtime_ns == mtime
    assert RunDirectory.open(sweep_dir).status.complete


@pytest.fixture
def ray_head():
    """A Ray head on loopback, started as `ray start --head` would be; stopped afterwards."""
    port = _free_port()
    # short: Ray's socket paths under it must fit a Unix socket address (107 bytes)
    temp_dir = tempfile.mkdtemp(prefix="rayh", dir="/tmp")
    ray_cli = Path(sys.executable).parent / "ray"
    head = subprocess.Popen(
        [
            str(ray_cli),
            "start",
            "--head",
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            f"--temp-dir={temp_dir}",
            "--disable-usage-stats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NUMBA_NUM_THREADS": "1", **LOOPBACK},
        start_new_session=True,  # its shutdown signals stay in its own process group
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None, "ray start --head exited"
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_sweep_joins_a_cluster_by_address(tiny_sweep, tmp_path, ray_head):
    tiny_sweep["metrics"] = {"adapted_error": "min"}
    tiny_sweep["base"]["agents"].pop("base")  # 2 trials: the two learning rates
    command = [*sweep_command(tiny_sweep, tmp_path), "--address", ray_head, "--json"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**os.environ, **LOOPBACK}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    rows = read_sweep_csv(Path(summary["sweep_dir"]) / "sweep.csv")
    assert len(rows) == 2 and all(r["status"] == "complete" for r in rows)
    assert summary["best"]["adapted_error"]["value"] > 0


def test_an_address_that_does_not_answer_is_refused_at_once(tiny_sweep, tmp_path):
    started = time.monotonic()
    with pytest.raises(ClusterError, match=r"no Ray cluster answers at '127.0.0.1:\d+' within 3 s"):
        run_sweep(sweep_from_dict(tiny_sweep), tmp_path, address=f"127.0.0.1:{_free_port()}")
    assert time.monotonic() - started < 10
    with pytest.raises(ClusterError, match="must be auto, host:port or ray://host:port"):
        run_sweep(sweep_from_dict(tiny_sweep), tmp_path, address="nowhere")
    sweep_dir = next(tmp_path.glob("tiny-sweep-*"))
    assert json.loads((sweep_dir / "status.json").read_text())["state"] == "interrupted"


def test_asha_sweep_runs_on_tune_with_per_cycle_reports_and_no_tune_loggers(tiny_sweep, tmp_path):
    # ASHA needs Tune's trial loop (the others run as plain Ray tasks): its trials report each
    # cycle, a stopped one gets a record of its own, and Tune writes no per-result logs
    tiny_sweep["space"] = {"agents.rate.learning_rate": {"grid": [1e-6, 1e-5, 1e-4, 1e-3]}}
    tiny_sweep["metrics"] = {"adapted_error": "min"}
    tiny_sweep["base"]["agents"].pop("base")
    tiny_sweep["early_stopping"] = {"asha": {"grace_cycles": 1, "reduction_factor": 2}}
    ours = ("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "TUNE_GLOBAL_CHECKPOINT_S", "NUMBA_NUM_THREADS")
    before = {name: os.environ.get(name) for name in ours}
    outcome = run_sweep(sweep_from_dict(tiny_sweep), tmp_path, max_workers=2, progress=False)
    rows = read_sweep_csv(outcome.path / "sweep.csv")
    assert len(rows) == 4 and {r["status"] for r in rows} <= {"complete", "stopped"}
    assert any(r["status"] == "complete" for r in rows)
    # the two large rates track far worse by their first cycle: ASHA stops them on those reports
    stopped = [r for r in rows if r["status"] == "stopped"]
    assert stopped and all("stopped early by ASHA after cycle" in r["failure"] for r in stopped)
    tune_files = {p.name for p in (outcome.path / ".tune").rglob("*") if p.is_file()}
    assert tune_files and not tune_files & {"progress.csv", "result.json"}
    assert not any(name.startswith("events.out.tfevents") for name in tune_files)
    # Tune's settings and the workers' were for the sweep only
    assert {name: os.environ.get(name) for name in ours} == before


def test_a_trial_whose_worker_dies_is_recorded_as_failed_and_the_others_run(tiny_sweep, tmp_path):
    import ray

    from neurocontrol.sweep.driver import _Display, connect
    from neurocontrol.sweep.tasks import run_tasks
    from neurocontrol.sweep.trial import execute_trial, read_record

    tiny_sweep["metrics"] = {"adapted_error": "min"}
    tiny_sweep["base"]["agents"].pop("base")
    sweep = sweep_from_dict(tiny_sweep)
    plans = [sweep.trial_for(point, 0) for point in sweep.points()]
    doomed = plans[0].id

    def execute(trial, sweep_dir, references):  # the worker of one trial dies under it
        if trial["id"] == doomed:
            os._exit(3)
        return execute_trial(trial, sweep_dir, references)

    connect(num_cpus=2)
    try:
        display = _Display(sweep, tmp_path, plans, sys.stderr, enabled=False)
        assert run_tasks(sweep, tmp_path, plans, {}, 2, display, execute=execute) is False
    finally:
        ray.shutdown()
    lost, good = read_record(tmp_path, doomed), read_record(tmp_path, plans[1].id)
    assert lost["status"] == "failed" and "its Ray worker was lost" in lost["error"]
    assert good["status"] == "complete"
    assert display.counts()["failed"] == 1 and display.counts()["done"] == 2


def test_optuna_search_runs_its_samples_on_tune_every_seed_in_one_trial(tiny_sweep, tmp_path):
    # a searcher proposes each point from the results so far: each of its trials runs every
    # seed of one point; the shared agents still run once per seed as plain tasks
    tiny_sweep["space"] = {"agents.rate.learning_rate": {"loguniform": [1e-6, 1e-3]}}
    tiny_sweep.update(search="optuna", samples=2, seeds=[0, 1])
    outcome = run_sweep(sweep_from_dict(tiny_sweep), tmp_path, max_workers=2, progress=False)
    rows = read_sweep_csv(outcome.path / "sweep.csv")
    swept = [r for r in rows if r["kind"] == "swept"]
    shared = [r for r in rows if r["kind"] == "shared"]
    assert sorted(r["seed"] for r in shared) == ["0", "1"]
    assert len(swept) == 4 and {r["status"] for r in swept} == {"complete"}
    rates = {float(r["agents.rate.learning_rate"]) for r in swept}
    assert len(rates) == 2 and all(1e-6 <= rate <= 1e-3 for rate in rates)
    for rate in rates:  # both seeds of each proposed point
        assert sorted(
            r["seed"] for r in swept if float(r["agents.rate.learning_rate"]) == rate
        ) == ["0", "1"]
    assert all(float(r["adapted_error"]) > 0 for r in swept)
    assert RunDirectory.open(outcome.path).status.complete
