"""Run a sweep on Ray: a local Ray by default, an existing cluster with an address.

:func:`run_sweep` checks the sweep and its base experiment, creates the
sweep directory (``<out>/<name>-<time>/``: ``config.yaml``, the resolved
sweep; ``status.json``; ``trials/`` with one run directory and one record per
trial; ``sweep.csv``; ``plots/``), starts or joins Ray, and runs the trials:
first the agents the space leaves alone (once per seed) when a metric needs
them (``retention``), then the swept ones. Grid and random sweeps run them as
plain Ray tasks on pooled workers (:mod:`neurocontrol.sweep.tasks`); with ASHA
or the Optuna searcher they run as Ray Tune trials, each reporting its
per-cycle figures to Tune while it runs (ASHA early stopping works on them).
Finished trials are never run again: ``resume`` continues a stopped sweep with
the trials it lacks. Whatever happens, ``sweep.csv`` and the plots are
rewritten from the records of the finished trials.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from neurocontrol.errors import ClusterError, ConfigError, RunInterrupted
from neurocontrol.sweep.spec import METRICS, SweepConfig, TrialPlan, load_sweep, sweep_from_dict
from neurocontrol.sweep.tasks import run_tasks
from neurocontrol.sweep.trial import read_record, record_path

__all__ = ["SweepOutcome", "connect", "run_sweep"]

#: Seconds to wait for a cluster address to answer before giving up.
CONNECT_TIMEOUT_S = 3.0


@dataclass
class SweepOutcome:
    """What a sweep did: its directory, its rows and its timings (s)."""

    path: Path
    rows: list[dict[str, Any]]
    counts: dict[str, int]
    ray_start_s: float = 0.0
    trials_s: float = 0.0
    wall_s: float = 0.0
    best: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False


def worker_env() -> dict[str, str]:
    """Environment of every Ray worker: one numba (and BLAS) thread, the shared on-disk caches."""
    from neurocontrol.core.builder.codegen import cache_directory

    env = {
        name: "1"
        for name in (
            "NUMBA_NUM_THREADS",
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
        )
    }
    env["NEUROCONTROL_CACHE_DIR"] = str(cache_directory().parent)
    if "NUMBA_CACHE_DIR" in os.environ:
        env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    return env


def connect(address: str | None = None, num_cpus: int | None = None) -> float:
    """Start a local Ray (``address`` None) or join the cluster at ``address``; seconds taken.

    ``address`` is ``auto`` (the cluster started on this machine with ``ray start
    --head``), ``host:port`` (a head's GCS port) or ``ray://host:port`` (Ray
    Client). A host:port that does not answer within :data:`CONNECT_TIMEOUT_S`
    is refused at once (ClusterError) rather than waited on.
    """
    started = time.perf_counter()
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # verbose=0 then means quiet: our lines only
    if address is None:
        # A local Ray talks over loopback only (not the machine's network address); read
        # when Ray is imported.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    env = worker_env()
    if address is None:
        # The local raylet hands its environment to the workers it starts: set there, not as a
        # runtime_env (that starts fresh workers through the runtime-env agent instead of the
        # ones Ray starts with, about a second more). Restored at once: this process may
        # have numba threads of its own.
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            ray.init(
                # "local": a Ray of its own even when `ray start` left one running on this
                # machine, which a plain ray.init() would join (and leave when it stops)
                address="local",
                num_cpus=num_cpus or os.cpu_count(),
                include_dashboard=False,
                log_to_driver=False,
                logging_level="warning",
            )
        finally:
            _restore_environ(saved)
        return time.perf_counter() - started
    if address != "auto":
        _check_answers(address)
    env.pop("NEUROCONTROL_CACHE_DIR")  # a node's own cache (its home may differ from ours)
    try:
        ray.init(
            address=address,
            log_to_driver=False,
            logging_level="warning",
            runtime_env={"env_vars": env},
        )
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        raise ClusterError(
            f"cannot join the Ray cluster at {address!r}: {exc}; start one with "
            "'ray start --head' (and 'ray start --address HEAD:6379' on the other machines)"
        ) from exc
    return time.perf_counter() - started


def _check_answers(address: str) -> None:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host = port = None
    if not host or port is None:
        raise ClusterError(
            f"cluster address {address!r} must be auto, host:port or ray://host:port "
            "(e.g. 127.0.0.1:6379)"
        )
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ClusterError(
            f"no Ray cluster answers at {address!r} within {CONNECT_TIMEOUT_S:g} s "
            f"({exc.strerror or exc}); start one with 'ray start --head' there, or drop --address "
            "for a local Ray"
        ) from exc


def run_sweep(
    sweep: SweepConfig | str | Path | None = None,
    out: str | Path = "sweeps",
    *,
    address: str | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
    max_workers: int | None = None,
    stream: IO[str] | None = None,
) -> SweepOutcome:
    """Run ``sweep`` (a :class:`SweepConfig` or a sweep file) into a new sweep directory.

    With ``resume`` (a sweep directory), continue that sweep instead: only
    trials without a record run. ``max_workers`` caps the trials run at once
    (default: the CPUs Ray has, divided by the CPUs per trial).

    Raises
    ------
    ConfigError
        For a bad sweep (before any trial starts).
    ClusterError
        If ``address`` does not answer.
    RunInterrupted
        On Ctrl-C: finished trials and ``sweep.csv`` are kept; ``run_path``
        names the sweep directory to resume.
    """
    from neurocontrol.experiment.runs import RunDirectory, check_run_name, prepare_output_folder
    from neurocontrol.experiment.training import preflight, stop_on_signals

    began = time.perf_counter()
    stream = stream if stream is not None else sys.stderr
    if resume is not None:
        if sweep is not None:
            raise ConfigError(
                "--resume continues a sweep with the file it started with; drop --config"
            )
        directory = RunDirectory.open(resume)
        if directory.status.effective == "running":
            raise ConfigError(
                f"sweep {str(resume)!r} is still running (process {directory.status.pid}); "
                "wait for it to end or stop it first"
            )
        from neurocontrol.utils.config import read_yaml

        config = sweep_from_dict(read_yaml(directory.file("config.yaml")), where="config.yaml")
        directory.set_status("running", message="")
    else:
        if sweep is None:
            raise ConfigError("a sweep needs a sweep file (--config launch/sweep_X.yaml)")
        config = sweep if isinstance(sweep, SweepConfig) else load_sweep(sweep)
        check_run_name(config.name)
        prepare_output_folder(out)
        preflight(config.base)
        config.points()  # every point is built below, before Ray starts
        directory = None
    plans = _plans(config)
    if directory is None:
        directory = RunDirectory(config.name, out, config=config.to_dict())
    sweep_dir = directory.path.resolve()
    outcome = SweepOutcome(sweep_dir, [], {})
    display = _Display(config, sweep_dir, plans, stream, progress)
    interrupted = False
    stopped_by = 2  # SIGINT: a plain KeyboardInterrupt
    signals = contextlib.ExitStack()
    try:
        outcome.ray_start_s = connect(address, max_workers)
        # after Ray's start, which may set handlers of its own: SIGINT and SIGTERM stop
        # the sweep as they stop a training run (finished trials kept)
        signals.enter_context(stop_on_signals())
        import ray

        cpus = float(ray.cluster_resources().get("CPU", 1))
        concurrency = max(1, int(cpus // config.cpus_per_trial))
        if max_workers is not None:
            concurrency = min(concurrency, max_workers)
        if config.max_concurrent is not None:
            concurrency = min(concurrency, config.max_concurrent)
        fit_started = time.perf_counter()
        shared = [p for p in plans if p.kind == "shared"]
        swept = [p for p in plans if p.kind == "swept"]
        stages: list[tuple[str, list[TrialPlan]]] = [("all", shared + swept)]
        if "retention" in config.metrics:
            stages = [("shared", shared), ("swept", swept)]
        references: dict[str, Any] = {}
        for stage, trials in stages:
            if stage == "swept" or stage == "all":
                references = _references(config, sweep_dir, shared)
            pending = [p for p in trials if read_record(sweep_dir, p.id) is None]
            if stage in ("swept", "all") and config.search == "optuna":
                pending = [p for p in pending if p.kind == "shared"]
            if pending and config.asha is None:  # no scheduler: plain tasks, no Tune
                interrupted |= run_tasks(
                    config, sweep_dir, pending, references, concurrency, display
                )
            elif pending:
                interrupted |= _fit(config, sweep_dir, pending, references, concurrency, display)
            if stage in ("swept", "all") and config.search == "optuna":
                interrupted |= _fit_searcher(config, sweep_dir, references, concurrency, display)
            if interrupted:
                break
        outcome.trials_s = time.perf_counter() - fit_started
    except KeyboardInterrupt as exc:  # RunInterrupted too (SIGINT or SIGTERM)
        interrupted = True
        stopped_by = getattr(exc, "signal_number", stopped_by)
    finally:
        # Ray stops before the report is drawn, not in a thread beside it: that saved about a
        # second and now and then crashed the process
        _disconnect()
        report_error: Exception | None = None
        try:
            from neurocontrol.sweep.report import write_report

            outcome.rows, outcome.best = write_report(config, sweep_dir, plans)
        except Exception as exc:  # the trials are kept: the status must not say running
            report_error = exc
        finally:
            signals.close()  # a signal from here on acts as it did before the sweep
        outcome.counts = display.counts(outcome.rows)
        unfinished = [p for p in plans if read_record(sweep_dir, p.id) is None]
        interrupted |= bool(unfinished)
        done = sum(1 for p in plans if read_record(sweep_dir, p.id) is not None)
        if report_error is not None:
            directory.set_status(
                "failed",
                message=f"the report failed ({type(report_error).__name__}: {report_error}); "
                f"the trials are kept: rewrite it with neurocontrol sweep --resume {sweep_dir}",
                done=done,
                total=len(plans),
            )
            raise report_error
        if interrupted:
            name = signal.Signals(stopped_by).name
            directory.set_status(
                "interrupted", message=f"stopped by {name}", done=done, total=len(plans)
            )
        else:
            directory.set_status("complete", done=done, total=len(plans))
    outcome.interrupted = interrupted
    outcome.wall_s = time.perf_counter() - began
    if interrupted:
        exc = RunInterrupted(stopped_by)
        exc.run_path, exc.done, exc.total = str(sweep_dir), done, len(plans)
        raise exc
    return outcome


def _plans(config: SweepConfig) -> list[TrialPlan]:
    """Every trial of a grid or random sweep (shared agents first); a searcher's: the shared."""
    plans = config.shared_trials()
    if config.search != "optuna":
        plans += [
            config.trial_for(point, seed) for point in config.points() for seed in config.seeds
        ]
    return plans


def _references(config: SweepConfig, sweep_dir: Path, shared: Sequence[TrialPlan]) -> dict:
    """Seed (as text) -> the reference agent's metrics on that seed, from the shared trials."""
    out: dict[str, Any] = {}
    if config.reference is None:
        return out
    for plan in shared:
        record = read_record(sweep_dir, plan.id)
        if record and config.reference in record.get("agents", {}):
            out[str(plan.seed)] = record["agents"][config.reference]
    return out


def _context(config: SweepConfig, sweep_dir: Path, references: dict) -> dict[str, Any]:
    return {
        "sweep_dir": str(sweep_dir),
        "references": references,
        "metrics": list(METRICS),
        "sweep": config.to_dict(),
    }


@contextlib.contextmanager
def _lean_tune(concurrency: int) -> Iterator[None]:
    """Tune without what a sweep does not use, for one ``fit``: the environment restored after.

    The sweep keeps its own records, so Tune's per-result CSV/JSON/TensorBoard
    loggers and its frequent experiment-state snapshots (``resume`` reads the
    records, not Tune's state) are only cost; placement groups are made for the
    trials that can run, not a queue of them. Ray Tune documents these
    environment variables; ``fit`` reads them.
    """
    settings = {
        "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
        "TUNE_GLOBAL_CHECKPOINT_S": "600",
        "TUNE_MAX_PENDING_TRIALS_PG": str(max(1, concurrency)),
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update({k: v for k, v in settings.items() if saved[k] is None})
    # with no result files, the result grid Tune builds at the end warns of each trial
    analysis = logging.getLogger("ray.tune.analysis.experiment_analysis")
    level = analysis.level
    analysis.setLevel(logging.ERROR)
    try:
        yield
    finally:
        analysis.setLevel(level)
        _restore_environ(saved)


def _restore_environ(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _tune_run(config: SweepConfig, sweep_dir: Path, stage: str, display: Any) -> Any:
    from ray import tune

    return tune.RunConfig(
        name=f"{stage}-{int(time.time() * 1000)}",
        storage_path=str(sweep_dir / ".tune"),
        verbose=0,
        callbacks=[display.callback()],
    )


def _scheduler(config: SweepConfig) -> Any:
    if config.asha is None:
        return None
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(
        metric="error",
        mode="min",
        time_attr="training_iteration",
        grace_period=config.asha["grace_cycles"],
        reduction_factor=config.asha["reduction_factor"],
        max_t=10**6,
    )


def _fit(
    config: SweepConfig,
    sweep_dir: Path,
    trials: list[TrialPlan],
    references: dict,
    concurrency: int,
    display: Any,
) -> bool:
    """Run ``trials`` as one Tune experiment; True if it was stopped before they all finished."""
    from ray import tune

    from neurocontrol.sweep.trial import tune_trainable

    trainable = tune.with_resources(tune_trainable, {"cpu": config.cpus_per_trial})
    tuner = tune.Tuner(
        trainable,
        param_space={
            "context": _context(config, sweep_dir, references),
            "trial": tune.grid_search([t.to_dict() for t in trials]),
        },
        tune_config=tune.TuneConfig(
            max_concurrent_trials=concurrency, reuse_actors=True, scheduler=_scheduler(config)
        ),
        run_config=_tune_run(config, sweep_dir, "grid", display),
    )
    with _lean_tune(concurrency):
        tuner.fit()
    display.record_stopped()
    return any(read_record(sweep_dir, t.id) is None for t in trials)


def _fit_searcher(
    config: SweepConfig, sweep_dir: Path, references: dict, concurrency: int, display: Any
) -> bool:
    """An Optuna search over the space: ``samples`` points, every seed of each in one trial."""
    try:
        from ray.tune.search.optuna import OptunaSearch
    except ImportError as exc:  # pragma: no cover - ray ships the adapter
        raise ConfigError("search: optuna needs Ray Tune's Optuna adapter") from exc
    try:
        import optuna  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "search: optuna needs the optuna package (pip install optuna); or use search: random"
        ) from exc
    from ray import tune

    from neurocontrol.sweep.trial import tune_trainable

    done = len({r for r in (sweep_dir / "trials").glob("t*.json")}) // max(1, len(config.seeds))
    left = config.samples - done
    if left <= 0:
        return False
    metric, mode = config.primary
    tuner = tune.Tuner(
        tune.with_resources(tune_trainable, {"cpu": config.cpus_per_trial}),
        param_space={
            "context": _context(config, sweep_dir, references),
            "point": {key: domain.to_tune() for key, domain in config.space.items()},
        },
        tune_config=tune.TuneConfig(
            search_alg=OptunaSearch(metric=metric, mode=mode, seed=config.search_seed),
            num_samples=left,
            max_concurrent_trials=concurrency,
            scheduler=_scheduler(config),
        ),
        run_config=_tune_run(config, sweep_dir, "optuna", display),
    )
    with _lean_tune(concurrency):
        tuner.fit()
    done = len(list((sweep_dir / "trials").glob("t*.json"))) // max(1, len(config.seeds))
    return done < config.samples


def _disconnect() -> None:
    """Stop Ray (a local one), or leave the cluster."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


class _Display:
    """Progress lines: trials done / running / failed of all, and the best so far."""

    def __init__(
        self,
        config: SweepConfig,
        sweep_dir: Path,
        plans: list[TrialPlan],
        stream: IO[str],
        enabled: bool,
    ) -> None:
        self.config, self.sweep_dir, self.stream, self.enabled = config, sweep_dir, stream, enabled
        self.total = len(plans) if config.search != "optuna" else len(plans) + config.samples
        self.running: set[str] = set()
        self.finished: dict[str, dict[str, Any]] = {}
        self.last_results: dict[str, dict[str, Any]] = {}
        self.completed: set[str] = set()
        for plan in plans:
            record = read_record(sweep_dir, plan.id)
            if record is not None:
                self.finished[plan.id] = record
        self.best: tuple[float, str] | None = None
        for record in self.finished.values():
            self._consider(record)

    def callback(self) -> Any:
        from neurocontrol.sweep.progress import ProgressCallback

        return ProgressCallback(self)

    def trial_started(self, key: str) -> None:
        """Trial ``key`` (a Tune trial id, or the plan's id) started."""
        self.running.add(key)
        self.show()

    def result(self, key: str, result: dict[str, Any], plan: dict | None) -> None:
        self.last_results[key] = dict(result, _trial=plan)

    def trial_ended(self, key: str, plan_id: str) -> None:
        """Trial ``key`` ended; its record (if it left one) is that of plan ``plan_id``."""
        self.running.discard(key)
        self.completed.add(key)
        record = read_record(self.sweep_dir, plan_id)
        if record is not None:
            self.finished[record["id"]] = record
            self._consider(record)
        self.show()

    def record_stopped(self) -> None:
        """Record trials the scheduler stopped early (they end without a record of their own)."""
        import json

        from neurocontrol.utils.fileio import atomic_write_text

        if self.config.asha is None:
            return
        for tune_id in self.completed:
            result = self.last_results.get(tune_id)
            plan = (result or {}).get("_trial")
            if not plan or read_record(self.sweep_dir, plan["id"]) is not None:
                continue
            error = result.get("error")
            label = next(iter(plan["experiment"]["agents"]))
            record = {
                "id": plan["id"],
                "kind": plan["kind"],
                "seed": plan["seed"],
                "params": plan["params"],
                "status": "stopped",
                "run_dir": "",
                "agents": {label: {"error": error}},
                "error": f"stopped early by ASHA after cycle {result.get('cycle')}",
            }
            atomic_write_text(record_path(self.sweep_dir, plan["id"]), json.dumps(record) + "\n")
            self.finished[plan["id"]] = record

    def _consider(self, record: dict[str, Any]) -> None:
        metric, mode = self.config.primary
        if record.get("kind") != "swept" or record.get("status") != "complete":
            return
        for label, values in record.get("agents", {}).items():
            value = values.get(metric)
            if value is None or not math.isfinite(value):
                continue
            score = value if mode == "min" else -value
            if self.best is None or score < self.best[0]:
                params = ", ".join(
                    f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in record["params"].items()
                )
                self.best = (
                    score,
                    f"{metric} {value:.4g} ({label}, seed {record['seed']}; {params})",
                )

    def counts(self, rows: list[dict[str, Any]] | None = None) -> dict[str, int]:
        failed = sum(1 for r in self.finished.values() if r.get("status") == "failed")
        return {
            "total": self.total,
            "done": len(self.finished),
            "running": len(self.running),
            "failed": failed,
        }

    def show(self) -> None:
        if not self.enabled:
            return
        c = self.counts()
        best = f"; best {self.best[1]}" if self.best else ""
        print(
            f"sweep {self.config.name}: {c['done']}/{c['total']} trials done, {c['running']} "
            f"running, {c['failed']} failed{best}",
            file=self.stream,
            flush=True,
        )
