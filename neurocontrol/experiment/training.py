"""Training runs that never lose work: checked first, kept as they go, resumable.

:func:`start_run` checks everything it can before computing anything (the
run name, that the output folder can be written, that every agent spec
builds on the env and that the env reports what the measure needs), then
creates the run directory with its config and status and runs the
experiment, keeping each episode the moment it ends
(:class:`~neurocontrol.experiment.journal.RunJournal`). SIGINT and SIGTERM stop it
cleanly (:class:`~neurocontrol.errors.RunInterrupted`): what finished stays,
the status says ``interrupted``; an error marks it ``failed`` with the
reason. :func:`resume_run` finishes such a run, running only the episodes
it lacks; episodes are independent (a fresh agent and a reset env each), so
the result equals that of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym

from neurocontrol.errors import ConfigError, NeuroControlError, RunInterrupted, StorageError
from neurocontrol.experiment.journal import RunJournal
from neurocontrol.experiment.protocol import (
    AgentFactory,
    ExperimentConfig,
    ExperimentResult,
    check_measurable,
    run_experiment,
)
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.runs import RunDirectory, check_run_name, prepare_output_folder
from neurocontrol.loop.episode import run_episode
from neurocontrol.utils.config import load_yaml, to_dict

__all__ = ["preflight", "resume_run", "start_run", "stop_on_signals"]

#: ``(agent label, seed) -> step callbacks`` for each episode that runs.
EpisodeCallbacks = Callable[[str, int], Sequence[Any]]
#: Signals that stop a run cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Steps of the first agent run by :func:`preflight` to see what the env reports.
PREFLIGHT_STEPS = 2


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`RunInterrupted` inside the block.

    The first signal raises; later ones are ignored while the run stops and
    saves; the previous handlers come back when the block ends. Outside the
    main thread (where Python delivers no signals) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}

    def stop(number: int, _frame: Any) -> None:
        for other in STOP_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        raise RunInterrupted(number)

    for number in STOP_SIGNALS:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def preflight(config: ExperimentConfig, make_agent: AgentFactory | None = None) -> None:
    """Build every agent of ``config`` on its env and run the first one a few steps.

    Refuses, before any long computation, an agent spec that does not build,
    a measure the env does not report and a schedule event whose perturbation
    or target set the env refuses (the errors those raise).
    """
    if make_agent is None:
        from neurocontrol.agents.factory import make_agent as default_factory

        make_agent = default_factory
    env = gym.make(config.env.id, **config.env.kwargs)
    try:
        agents = [make_agent(spec, env, config.seeds[0]) for spec in config.agents.values()]
        episode = run_episode(
            env,
            agents[0],
            seed=config.seeds[0],
            max_steps=PREFLIGHT_STEPS,
            info_keys=config.measure.info_keys,
        )
        check_measurable(episode, config, config.env.id)
        for event in config.perturbation_events:
            env.unwrapped.set_perturbation(event.perturbation)
        for event in config.target_events:
            env.unwrapped.resolve_targets(event.targets)
    finally:
        env.close()


def start_run(
    config: ExperimentConfig,
    out: str | Path = "runs",
    progress: bool = False,
    make_agent: AgentFactory | None = None,
    episode_callbacks: EpisodeCallbacks | None = None,
    figures: bool = True,
) -> tuple[RunDirectory, ExperimentResult]:
    """Check, then run ``config`` into a new run directory under ``out``; return both.

    ``episode_callbacks`` is handed to :func:`~neurocontrol.experiment.protocol.run_experiment`;
    ``figures=False`` writes no PNG plots (see
    :func:`~neurocontrol.experiment.reporting.write_experiment`).
    """
    with stop_on_signals():
        check_run_name(config.name)
        prepare_output_folder(out)
        preflight(config, make_agent)
        run = RunDirectory(config.name, out, config=to_dict(config))
        return run, _execute(run, config, progress, make_agent, episode_callbacks, figures)


def resume_run(
    path: str | Path,
    progress: bool = False,
    make_agent: AgentFactory | None = None,
    episode_callbacks: EpisodeCallbacks | None = None,
    figures: bool = True,
) -> tuple[RunDirectory, ExperimentResult]:
    """Finish the run at ``path``: only the episodes it lacks are run, then its results.

    A complete run is rebuilt from its episodes without running any. Refused:
    a run still running (its process alive on this host), a run whose
    ``config.yaml`` was edited since it started, a folder that is not a run.
    """
    with stop_on_signals():
        run = RunDirectory.open(path)
        status = run.status
        if status.effective == "running":
            raise ConfigError(
                f"run {str(path)!r} is still running (process {status.pid} on this host); "
                "wait for it to end or stop it first"
            )
        if status.config_sha256 and run.config_sha256() != status.config_sha256:
            raise ConfigError(
                f"{run.file('config.yaml')} was edited since the run started; a resumed run "
                "must run the config it started with (start a new run for a new config)"
            )
        config = load_yaml(run.file("config.yaml"), ExperimentConfig)
        if not status.complete:
            run.set_status("running", message="")
        return run, _execute(run, config, progress, make_agent, episode_callbacks, figures)


def _execute(
    run: RunDirectory,
    config: ExperimentConfig,
    progress: bool,
    make_agent: AgentFactory | None,
    episode_callbacks: EpisodeCallbacks | None = None,
    figures: bool = True,
) -> ExperimentResult:
    """Run ``config`` into ``run`` with its journal; the status follows what happens."""
    journal = RunJournal(run, total=len(config.agents) * len(config.seeds))
    try:
        result = run_experiment(
            config, make_agent, progress=progress, journal=journal, live_dir=run.path,
            episode_callbacks=episode_callbacks,
        )  # fmt: skip
        write_experiment(result, run=run, figures=figures)
    except RunInterrupted as exc:
        if not run.status.complete:
            message = f"stopped by {exc.signal_name}"
            run.set_status("interrupted", message=message, done=journal.done())
        exc.run_path, exc.done, exc.total = str(run.path), journal.done(), journal.total
        raise
    except OSError as exc:  # a full or failing disk: say where, and that the rest is kept
        if isinstance(exc, NeuroControlError):
            _mark_failed(run, journal, exc)
            raise
        error = StorageError(
            f"cannot write the results of run {str(run.path)!r}: {exc.strerror or exc} "
            f"({exc.filename or 'a file'}); the {journal.done()} finished episodes are kept: "
            "free space, then finish it with --resume"
        )
        _mark_failed(run, journal, error)
        raise error from exc
    except BaseException as exc:
        _mark_failed(run, journal, exc)
        raise
    return result


def _mark_failed(run: RunDirectory, journal: RunJournal, exc: BaseException) -> None:
    """Say in the status why the run stopped (if the disk still takes the status file)."""
    if run.status.complete:
        return
    reason = str(exc) if isinstance(exc, NeuroControlError) else repr(exc)
    with contextlib.suppress(OSError):
        run.set_status("failed", message=reason, done=journal.done())
