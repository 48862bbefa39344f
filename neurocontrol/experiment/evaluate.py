"""Evaluate a trained run: reload its env and checkpoint, run an episode headless.

With ``schedule=True`` the episode replays the run's perturbation schedule
(and learning switches); with ``video`` it is filmed
(:class:`~neurocontrol.viz.video.VideoRecorder`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

from neurocontrol.agents.agent import control_period
from neurocontrol.errors import CheckpointError, ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.loop.episode import run_episode
from neurocontrol.utils.config import load_yaml
from neurocontrol.utils.validation import require_int, require_positive

__all__ = ["evaluate_run"]


def evaluate_run(
    run_dir: str | Path,
    duration: float | None = None,
    seed: int = 100,
    perturbation: Any = None,
    schedule: bool = False,
    video: str | Path | None = None,
    video_options: Any = None,
) -> dict[str, Any]:
    """Run the checkpointed agent of ``run_dir`` for ``duration`` simulated seconds.

    The agent continues from its saved state (learning stays on: the adaptive
    controllers keep adapting, as they would on the robot). ``schedule``
    replays the run's schedule instead of one fixed ``perturbation``;
    ``duration`` defaults to 12 s, or to the run's duration with
    ``schedule``. ``video`` films the episode into that .mp4 file
    (``video_options``: a :class:`~neurocontrol.viz.video.VideoOptions`). Returns
    the episode summary plus ``table``, printable lines.
    """
    run_dir = Path(run_dir)
    if schedule and perturbation is not None:
        raise ConfigError(
            "perturbation and schedule exclude each other: the schedule sets the perturbation; "
            "give one of them"
        )
    if duration is not None:
        require_positive("duration", duration)
    require_int("seed", seed, minimum=0)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise CheckpointError(f"{str(run_dir)!r} is not a run directory: no config.yaml in it")
    config = load_yaml(config_path, ExperimentConfig)
    if duration is None:
        duration = config.duration if schedule else 12.0
    from neurocontrol.agents.factory import load_agent

    label = next(iter(config.agents))
    kwargs = dict(config.env.kwargs)
    if video is not None:
        kwargs["render_mode"] = "rgb_array"
    env = gym.make(config.env.id, **kwargs)
    recorder = None
    try:
        agent = load_agent(run_dir / "checkpoint", env)
        dt = control_period(env)
        steps = max(1, round(duration / dt))
        # the registered TimeLimit is one cycle: the episode runs for `duration` instead
        env = gym.wrappers.TimeLimit(env.unwrapped, max_episode_steps=steps)
        events = [e for e in config.schedule if e.at < duration] if schedule else []
        options, callbacks = _replay(env, agent, events, dt, perturbation)
        if video is not None:
            from neurocontrol.viz.video import VideoRecorder, phase_labels

            recorder = VideoRecorder(
                env,
                video,
                video_options,
                caption=phase_labels(events),
                title=f"{label}, seed {seed}",
            )
            callbacks.append(recorder)
        result = run_episode(
            env, agent, seed=seed, options=options, max_steps=steps, callbacks=callbacks
        )
        if recorder is not None:
            recorder.close()
    finally:
        if recorder is not None:
            recorder.discard()  # still open here only if the episode failed
        env.close()
    summary = result.summary()
    summary["schedule"] = schedule
    if recorder is not None:
        summary["video"] = {"path": str(video), "frames": recorder.frames, "fps": recorder.fps}
    what = "the run's schedule" if schedule else f"perturbation: {perturbation or 'none'}"
    summary["table"] = [
        f"{label} from {run_dir.name}, seed {seed}, {result.sim_time:.1f} s simulated",
        what,
        f"RMS tracking error: {summary['rms_tracking_error_m'] * 1e3:.2f} mm",
        f"agent step p50 / p99: {summary['agent']['p50_us']:.1f} / "
        f"{summary['agent']['p99_us']:.1f} us",
        f"real-time factor: {summary['real_time_factor']:.1f}x",
    ]
    if recorder is not None:
        summary["table"].append(
            f"video: {video} ({recorder.frames} frames at {recorder.fps:g} fps)"
        )
    return summary


def _replay(
    env: gym.Env, agent: Any, events: list[Any], dt: float, perturbation: Any
) -> tuple[dict[str, Any], list[Any]]:
    """Reset options and step callbacks that apply ``events`` (or one fixed perturbation)."""
    if not events:
        return {"perturbation": perturbation}, []
    from neurocontrol.experiment.protocol import _apply_event, _schedule_callback

    initial = [e for e in events if e.at == 0.0]
    start = [e.perturbation for e in initial if not e.switches_learning]
    for event in initial:
        if event.switches_learning:
            _apply_event(env, agent, event)
    later = [e for e in events if e.at > 0.0]
    return {"perturbation": start[-1] if start else None}, [
        _schedule_callback(env, agent, later, dt)
    ]
