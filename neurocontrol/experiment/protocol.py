"""Adaptation experiments: one config, several controllers, the same seeds and schedule.

An experiment runs each controller named in its config for ``duration``
seconds of simulated time per seed, on the same env with the same
perturbation schedule (perturbations switched on and off at given times), and
summarises one measure (``metric``, see :mod:`neurocontrol.experiment.measures`): RMS
tracking error or RMS force error per cycle of the env's target sequence (or
per window of ``cycle_duration`` seconds), or the success rate per block of
``trial_block`` trials (reward-only reaching). It is a
pure function of its validated config: :func:`run_experiment` returns the
metrics, so a sweep can call it anywhere; :func:`write_experiment` puts them
on disk (config, CSV, JSON, checkpoint, plots).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import gymnasium as gym
import numpy as np

from neurocontrol.agents.agent import Agent, control_period
from neurocontrol.core.recording import SpikeRecorder
from neurocontrol.errors import ConfigError
from neurocontrol.experiment import probes
from neurocontrol.experiment.measures import MEASURES, Measure, block_rates, trial_outcomes
from neurocontrol.loop.episode import EpisodeResult, run_episode
from neurocontrol.utils.registration import ENV_IDS
from neurocontrol.utils.statistics import nan_mean, window_rms
from neurocontrol.utils.validation import require_int, require_nonnegative, require_positive

__all__ = [
    "AgentOutputs",
    "AgentResult",
    "EnvConfig",
    "ExperimentConfig",
    "ExperimentResult",
    "Journal",
    "ScheduleEvent",
    "SeedRun",
    "check_measurable",
    "cycle_table",
    "default_config",
    "measure_table",
    "run_experiment",
]

#: the envs whose target set a schedule event can switch
REACH_ENV_IDS = ("neurocontrol/PlanarReach-v0", "neurocontrol/ArmReach-v0")

AgentFactory = Callable[[Mapping[str, Any], gym.Env, int], Agent]


@dataclass(frozen=True)
class EnvConfig:
    """Which env, and the keyword arguments for ``gymnasium.make``."""

    id: str = "neurocontrol/PlanarReach-v0"
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id not in ENV_IDS:
            raise ConfigError(f"env.id must be one of {', '.join(ENV_IDS)}; got {self.id!r}")
        if "max_episode_steps" in self.kwargs:
            raise ConfigError("env.kwargs.max_episode_steps is set from duration; remove it")


@dataclass(frozen=True)
class ScheduleEvent:
    """At ``at`` seconds, replace the active perturbation, switch learning, or the target set.

    An event of none of the other kinds replaces the active perturbation by
    ``perturbation`` (None clears it). An event with ``learning`` (false:
    every agent's on-line learning stops, its learned state kept; true: it
    resumes) leaves the perturbation as it is: the probe of what an agent has
    stored, as against what its learning keeps correcting step by step. An
    event with ``targets`` replaces the reach env's target set (a spec of
    :meth:`~neurocontrol.envs.reach.PlanarReachEnv.resolve_targets`: ``{}`` is
    the env's own set) from its next centre-out reach on: reaching to targets
    never trained. An event is of one kind only.
    """

    at: float
    perturbation: dict | list | None = None
    label: str = ""
    learning: bool | None = None
    targets: dict | list | None = None

    def __post_init__(self) -> None:
        require_nonnegative("at", self.at)
        given = [
            name
            for name, value in (
                ("perturbation", self.perturbation),
                ("learning", self.learning),
                ("targets", self.targets),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ConfigError(
                f"schedule event at {self.at} s sets both {given[0]} and {given[1]}; an event "
                "switches one of perturbation, learning or targets: split it into separate events"
            )

    @property
    def kind(self) -> Literal["perturbation", "learning", "targets"]:
        """What the event switches."""
        if self.learning is not None:
            return "learning"
        return "perturbation" if self.targets is None else "targets"

    @property
    def switches_learning(self) -> bool:
        """True for a learning switch (the perturbation is left as it is)."""
        return self.learning is not None

    @property
    def switches_targets(self) -> bool:
        """True for a target-set switch (the perturbation and learning are left as they are)."""
        return self.targets is not None

    @property
    def description(self) -> str:
        """The label, or what the event does."""
        if self.label:
            return self.label
        if self.switches_learning:
            return "learning on" if self.learning else "learning frozen"
        if self.switches_targets:
            return "targets changed" if self.targets else "env's targets"
        return "perturbation off" if self.perturbation is None else "perturbation on"

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``at``, ``perturbation``, ``label`` and ``learning`` / ``targets`` if set."""
        out: dict[str, Any] = {
            "at": self.at,
            "perturbation": self.perturbation,
            "label": self.label,
        }
        if self.switches_learning:
            out["learning"] = self.learning
        if self.switches_targets:
            out["targets"] = self.targets
        return out


@dataclass(frozen=True)
class ExperimentConfig:
    """A validated experiment.

    Parameters
    ----------
    name
        Run name (folder ``runs/<name>-<timestamp>``).
    env
        The env and its arguments.
    agents
        Label -> agent spec (``{"type": ..., ...}``, see
        :func:`neurocontrol.agents.factory.make_agent`); every agent runs the
        same seeds and schedule. The first one is the agent this run trains and
        checkpoints.
    schedule
        Perturbation events in time order.
    duration
        Simulated seconds per seed.
    seeds
        One episode per seed and agent.
    metric
        What is measured (:mod:`neurocontrol.experiment.measures`): ``tracking_error`` (m),
        ``force_error`` (N, ArmPress) or ``trial_success`` (reach envs).
    cycle_duration
        If set, RMS measures are taken per window of this many seconds instead
        of per cycle of the env's target sequence (required where the env has
        none, e.g. ArmPress).
    trial_block
        Trials per block of the success rate (``trial_success`` only).
    video
        Film one episode into the run directory: ``true`` or a mapping of
        :class:`~neurocontrol.viz.video.VideoOptions` (``fps``, ``width``,
        ``height``, ``agent``, ``seed``, ``file``); default: the first agent's
        first seed at 30 fps into ``video.mp4``.
    tensorboard
        Log per-cycle figures to ``tensorboard/`` in the run directory as the
        run goes (:mod:`neurocontrol.viz.livelog`).
    """

    name: str = "experiment"
    env: EnvConfig = field(default_factory=EnvConfig)
    agents: dict = field(default_factory=lambda: {"base": {"type": "osc"}})
    schedule: list[ScheduleEvent] = field(default_factory=list)
    duration: float = 12.0
    seeds: list[int] = field(default_factory=lambda: [0])
    metric: Literal["tracking_error", "force_error", "trial_success"] = "tracking_error"
    cycle_duration: float | None = None
    trial_block: int = 50
    video: dict | bool | None = None
    tensorboard: bool = False

    def __post_init__(self) -> None:
        require_positive("duration", self.duration)
        if self.metric not in MEASURES:
            raise ConfigError(f"metric must be one of {', '.join(MEASURES)}; got {self.metric!r}")
        require_int("trial_block", self.trial_block, minimum=1)
        if self.cycle_duration is not None:
            require_positive("cycle_duration", self.cycle_duration)
            if self.measure.trial_based:
                raise ConfigError(
                    f"cycle_duration applies to RMS measures; metric {self.metric!r} counts "
                    "trials in blocks of trial_block"
                )
            if self.cycle_duration > self.duration:
                raise ConfigError(
                    f"cycle_duration ({self.cycle_duration} s) must not exceed duration "
                    f"({self.duration} s)"
                )
        if not self.agents:
            raise ConfigError("agents must name at least one agent spec")
        for label, spec in self.agents.items():
            if not isinstance(spec, Mapping) or "type" not in spec:
                raise ConfigError(
                    f"agents.{label} must be a mapping with a 'type' key, got {spec!r}"
                )
        if not self.seeds:
            raise ConfigError("seeds must list at least one seed")
        for k, seed in enumerate(self.seeds):
            require_int(f"seeds[{k}]", seed, minimum=0)
        times = [event.at for event in self.schedule]
        if times != sorted(times):
            raise ConfigError(f"schedule must be in time order, got times {times}")
        for k, event in enumerate(self.schedule):
            where = f"schedule[{k}] ({event.description!r})"
            if event.at >= self.duration:
                raise ConfigError(
                    f"{where} at {event.at:g} s is not before duration {self.duration:g} s; "
                    "an event must fall inside the run (at < duration)"
                )
            _check_onsets(f"{where}.perturbation", event.perturbation, self.duration)
        if self.target_events and self.env.id not in REACH_ENV_IDS:
            raise ConfigError(
                f"schedule event at {self.target_events[0].at:g} s switches targets; target sets "
                f"belong to the reach envs ({', '.join(REACH_ENV_IDS)}), not {self.env.id}"
            )
        if self.measure.trial_based and any(e.switches_learning for e in self.schedule):
            raise ConfigError(
                f"learning switches apply to RMS measures (their phases are cycles); metric "
                f"{self.metric!r} is measured in blocks of trials"
            )
        _ = self.video_options  # refuses a bad video entry now, not when the episode starts

    @property
    def measure(self) -> Measure:
        """The :class:`~neurocontrol.experiment.measures.Measure` named by ``metric``."""
        return MEASURES[self.metric]

    @property
    def video_options(self) -> Any:
        """The :class:`~neurocontrol.viz.video.VideoOptions` of ``video``, or None (no video)."""
        if self.video is None or self.video is False:
            return None
        from neurocontrol.viz.video import VideoOptions

        options = VideoOptions.from_spec(self.video)
        if options.agent is not None and options.agent not in self.agents:
            raise ConfigError(
                f"video.agent must be one of the agents ({', '.join(self.agents)}); "
                f"got {options.agent!r}"
            )
        if options.seed is not None and options.seed not in self.seeds:
            raise ConfigError(
                f"video.seed must be one of the seeds {self.seeds}; got {options.seed}"
            )
        return options

    @property
    def onsets(self) -> dict[str, float]:
        """Event label (or a description) -> time, for plots."""
        return {event.description: event.at for event in self.schedule}

    @property
    def perturbation_events(self) -> list[ScheduleEvent]:
        """The events that replace the perturbation (learning and target switches left out)."""
        return [event for event in self.schedule if event.kind == "perturbation"]

    @property
    def target_events(self) -> list[ScheduleEvent]:
        """The events that replace the reach env's target set."""
        return [event for event in self.schedule if event.switches_targets]

    def learning_at(self, times: np.ndarray) -> np.ndarray:
        """Whether the agents learn at each of ``times`` (s): on until a switch turns it off."""
        times = np.asarray(times, dtype=float)
        learning = np.ones(times.shape, dtype=bool)
        for event in self.schedule:
            if event.switches_learning:
                learning[times >= event.at] = bool(event.learning)
        return learning


def _check_onsets(where: str, spec: Any, duration: float) -> None:
    """Refuse a perturbation ``onset`` (or the upper end of its range) at or after ``duration``.

    Only the onset's time is checked here; the env validates the rest of the
    spec (and a malformed onset) when the event applies it.
    """
    parts = [spec] if isinstance(spec, Mapping) else spec if isinstance(spec, list) else []
    for part in parts:
        if not isinstance(part, Mapping) or "onset" not in part:
            continue
        onset = part["onset"]
        if isinstance(onset, Mapping) and isinstance(onset.get("uniform"), list):
            numbers = [v for v in onset["uniform"] if _is_number(v)]
            latest = max(numbers, default=None)
        else:
            latest = onset if _is_number(onset) else None
        if latest is not None and latest >= duration:
            raise ConfigError(
                f"{where}: the {part.get('kind')!r} onset {onset!r} is not before duration "
                f"{duration:g} s; an onset must fall inside the run (onset < duration)"
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def default_config() -> ExperimentConfig:
    """The main job: the adaptive spiking controller on PlanarReach in a curl field.

    One 12 s cycle of centre-out reaches unperturbed, a 15 N·s/m curl field for
    two cycles, then one cycle with the field off (after-effect); the rate-coded
    twin, the hybrid (spiking drives, the twin in shadow: the energy log) and
    the base controller alone run the same seed and schedule. The spiking
    side takes level-crossing input and learns per spike; the twin evaluates
    the same network with the LIF rate model and dense input currents (see
    :class:`~neurocontrol.agents.adaptive.AdaptiveController`).
    """
    spiking = {"type": "adaptive_spiking", "input_coding": "delta_events"}
    twin = {"type": "adaptive_rate", "tau_synapse": 0.02}  # decodes through the same synapse
    return ExperimentConfig(
        name="curl-quick",
        env=EnvConfig("neurocontrol/PlanarReach-v0"),
        agents={
            "spiking (PES)": spiking,
            "rate twin (PES)": twin,
            "hybrid (spiking drives)": {
                "type": "hybrid",
                "mode": "spiking",
                "spiking": spiking,
                "dense": twin,
            },
            "base (OSC)": {"type": "osc", "feedforward": True},  # the adaptive agents' base
        },
        schedule=[
            ScheduleEvent(12.0, {"kind": "curl_field", "strength": 15.0}, "curl field on"),
            ScheduleEvent(36.0, None, "curl field off"),
        ],
        duration=48.0,
        seeds=[0],
    )


@dataclass
class SeedRun:
    """One agent's episode on one seed, what it cost, and its spikes if recorded.

    ``cpu_time`` (s) is the process CPU time of the episode and
    ``load_average`` the machine's 1-minute load average at its end; ``raster``
    is ``(steps, neuron_ids)`` of one second around the first onset, recorded
    on the first seed of an agent that has a spiking simulator.
    """

    episode: EpisodeResult
    cpu_time: float
    load_average: float
    raster: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class AgentOutputs:
    """What the results keep of an agent after its last seed: its decoders and its log.

    ``decoders`` is the learned decoder matrix of an agent that has one;
    ``log`` the comparison log of an agent that keeps one (a hybrid's
    :meth:`~neurocontrol.agents.hybrid.HybridController.log`).
    """

    decoders: np.ndarray | None = None
    log: dict[str, Any] | None = None

    @classmethod
    def of(cls, agent: Agent) -> AgentOutputs:
        """Copies of ``agent``'s decoders and log, where it has them."""
        decoders = getattr(agent, "decoders", None)
        log = getattr(agent, "log", None)
        return cls(
            np.array(decoders) if isinstance(decoders, np.ndarray) else None,
            log() if callable(log) else None,
        )


@dataclass
class AgentResult:
    """One agent's episodes (one per seed) and its trained instance of the last seed.

    ``config`` says what is measured (default: tracking error per env cycle).
    ``cpu_times`` (s) is the process CPU time of each episode and
    ``load_averages`` the machine's 1-minute load average at its end: on a
    shared machine the wall-clock real-time factor depends on what else runs,
    the CPU time only on the run itself. ``agent`` is None when every seed
    was taken from a run's store (a resumed run); ``outputs`` holds what the
    results need of it either way.
    """

    label: str
    episodes: list[EpisodeResult]
    agent: Agent | None
    raster: tuple[np.ndarray, np.ndarray] | None = None
    config: ExperimentConfig | None = None
    cpu_times: list[float] = field(default_factory=list)
    load_averages: list[float] = field(default_factory=list)
    outputs: AgentOutputs = field(default_factory=AgentOutputs)

    @classmethod
    def from_runs(
        cls,
        label: str,
        runs: list[SeedRun],
        agent: Agent | None,
        outputs: AgentOutputs,
        config: ExperimentConfig,
    ) -> AgentResult:
        """The result of ``runs`` (one per seed, in order)."""
        raster = next((run.raster for run in runs if run.raster is not None), None)
        return cls(
            label,
            [run.episode for run in runs],
            agent,
            raster,
            config,
            [run.cpu_time for run in runs],
            [run.load_average for run in runs],
            outputs,
        )

    def episode_summaries(self) -> list[dict[str, Any]]:
        """Each episode's summary, with its CPU time, CPU real-time factor and load average."""
        out = []
        for k, episode in enumerate(self.episodes):
            summary = episode.summary()
            if k < len(self.cpu_times):
                cpu = self.cpu_times[k]
                summary["cpu_time_s"] = cpu
                summary["cpu_real_time_factor"] = episode.sim_time / cpu if cpu > 0 else math.inf
            if k < len(self.load_averages):
                summary["load_average_1min"] = self.load_averages[k]
                summary["cpu_count"] = os.cpu_count()
            out.append(summary)
        return out

    def per_cycle(self) -> np.ndarray:
        """The measure per cycle, window or block (seeds x entries, the shortest seed's length).

        RMS tracking error (m) per cycle by default; see :func:`measure_table`.
        """
        rows = [
            measure_table(ep, self.config)[1] if self.config else cycle_table(ep)[1]
            for ep in self.episodes
        ]
        n = min(len(row) for row in rows)
        return np.array([row[:n] for row in rows])


@dataclass
class ExperimentResult:
    """Everything :func:`run_experiment` measured."""

    config: ExperimentConfig
    agents: dict[str, AgentResult]

    def phases(self) -> dict[str, tuple[int, int]]:
        """Named cycle ranges: ``before``, ``first perturbed``, ``adapted``,
        ``learning frozen``, ``untrained targets``, ``after-effect``, ``washout``,
        ``re-exposed``, ``re-adapted``.

        Cycles are indexed from 0; a range is ``(first, last)`` inclusive. Only
        phases that the schedule and duration produce are listed, found from
        the schedule's events (see :func:`neurocontrol.experiment.probes.find_phases`). A
        trial measure has ``first block`` and ``last block`` (of the blocks
        every seed completed).

        Raises
        ------
        ConfigError
            If a trial measure's run completed no block of ``trial_block`` trials.
        """
        first = next(iter(self.agents.values())).episodes[0]
        if self.config.measure.trial_based:
            n_blocks = min(r.per_cycle().shape[1] for r in self.agents.values())
            if n_blocks == 0:
                n_trials = trial_outcomes(first.trace)[1].size
                raise ConfigError(
                    f"duration {self.config.duration} s gives {n_trials} trials, fewer than "
                    f"one block of trial_block = {self.config.trial_block}; raise duration"
                )
            return {"first block": (0, 0), "last block": (n_blocks - 1, n_blocks - 1)}
        starts, _ = measure_table(first, self.config)
        ends = np.append(starts[1:], first.sim_time)
        step = first.sim_time / max(first.steps, 1)
        # only whole cycles count, not one the run's end or a target switch cut short
        whole = probes.whole_cycles(self.config, starts, ends, step)
        return probes.find_phases(self.config, starts, ends, whole, step)

    def table(self) -> dict[str, dict[str, float]]:
        """Agent label -> phase -> the measure (its SI unit), averaged over seeds."""
        phases = self.phases()
        rows: dict[str, dict[str, float]] = {}
        for label, result in self.agents.items():
            per_cycle = result.per_cycle()
            rows[label] = {
                phase: float(nan_mean(per_cycle[:, first : last + 1]))
                for phase, (first, last) in phases.items()
                if last < per_cycle.shape[1]
            }
        return rows

    def reach_tables(self, label: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per seed of agent ``label``: start, end (s) and measure of each whole reach."""
        measure = self.config.measure
        if measure.trial_based:
            return []
        return [
            probes.reach_table(ep, self.config, measure.per_step(ep.trace))  # type: ignore[misc]
            for ep in self.agents[label].episodes
        ]

    def probes(self) -> dict[str, dict[str, Any]]:
        """Agent label -> what it kept, on the seeds' mean
        (see :mod:`neurocontrol.experiment.probes`).

        ``retention`` and ``generalisation`` (fractions, against the first
        agent of type ``osc`` or ``joint_pd``), ``after_effect`` (a ratio) and
        ``savings`` (reaches to the criterion per exposure, their ratio), each
        only where the schedule sets up its phases. The base agent has none.
        """
        if self.config.measure.trial_based:
            return {}
        phases = self.phases()
        table = self.table()
        base = next(
            (
                label
                for label, spec in self.config.agents.items()
                if probes.AGENT_ROLES.get(spec["type"]) == "base"
            ),
            None,
        )
        base_row = table.get(base, {}) if base is not None else {}
        nan = math.nan
        line = probes.Timeline.of(self.config)
        out: dict[str, dict[str, Any]] = {}
        for label, row in table.items():
            if label == base:
                continue
            entry: dict[str, Any] = {}
            adapted = row.get("adapted", nan)
            value = probes.retention(
                row.get("learning frozen", nan), adapted, base_row.get("learning frozen", nan)
            )
            if value is not None:
                entry["retention"] = value
            value = probes.retention(
                row.get("untrained targets", nan), adapted, base_row.get("untrained targets", nan)
            )
            if value is not None:
                entry["generalisation"] = value
            if "after-effect" in phases:
                at = phases["after-effect"]
                starts, _ = measure_table(self.agents[label].episodes[0], self.config)
                frozen = not self.config.learning_at(np.array([starts[at[0]]]))[0]
                value = probes.after_effect(row.get("after-effect", nan), row.get("before", nan))
                if frozen and value is not None:
                    entry["after_effect"] = value
            if line.on is not None and line.on2 is not None and "adapted" in row:
                tables = self.reach_tables(label)
                first = probes.seed_mean_reaches(tables, line.on, line.adapted_end)
                second = probes.seed_mean_reaches(tables, line.on2, line.end2)
                value = probes.savings(first, second, adapted, self._reaches_per_cycle())
                if value is not None:
                    entry["savings"] = value
            out[label] = entry
        return out

    def _reaches_per_cycle(self) -> int:
        """Reaches in a cycle of the trained target set."""
        trained = probes.trained_set(self.config.schedule)
        settings = probes.reach_settings(self.config)
        size = 1 if settings is None else settings[2]
        return probes.set_size(trained, size) if trained != {} else size

    def format_probes(self) -> list[str]:
        """:meth:`probes` as text lines, one per agent that has any."""
        lines = []
        for label, entry in self.probes().items():
            parts = []
            if "retention" in entry:
                parts.append(f"retention {entry['retention']:.0%}")
            if "generalisation" in entry:
                parts.append(f"generalisation {entry['generalisation']:.0%}")
            if "after_effect" in entry:
                parts.append(f"after-effect {entry['after_effect']:.2f}x")
            if "savings" in entry:
                parts.append(_format_savings(entry["savings"]))
            if parts:
                lines.append(f"  {label}: " + ", ".join(parts))
        if lines:
            lines.insert(0, "probes (mean over seeds):")
        return lines

    def format_table(self) -> list[str]:
        """The table as aligned text lines (in the measure's display unit)."""
        measure = self.config.measure
        rows = self.table()
        phases = list(self.phases())
        width = max(len(label) for label in rows) + 2
        per = f"block of {self.config.trial_block} trials" if measure.trial_based else "cycle"
        lines = [
            f"{measure.description} per {per} ({measure.display_unit}), "
            f"mean over seeds {self.config.seeds}"
        ]
        column = max([17, *(len(p) + 2 for p in phases)])
        lines.append("".ljust(width) + "".join(p.rjust(column) for p in phases))
        for label, values in rows.items():
            cells = "".join(
                (f"{values[p] * measure.scale:.2f}" if p in values else "-").rjust(column)
                for p in phases
            )
            lines.append(label.ljust(width) + cells)
        return lines + self.format_probes()

    def paired(self, phase: str | None = None) -> dict[str, dict[str, float]]:
        """The first agent against each other one, seed by seed, in ``phase``.

        ``phase`` defaults to ``adapted`` (``last block`` for trials, or ``all``
        without a perturbation). Returns, per other agent: mean and standard
        deviation over seeds of the difference first - other (the measure's SI
        unit; the keys keep their historical ``_m`` suffix), and the fraction
        of seeds where the first agent's value is lower.
        """
        phases = self.phases()
        if phase is None:
            if not phases:
                return {}  # the run stopped before any cycle of a phase: nothing to pair
            default = ("adapted", "last block", next(iter(phases)))
            phase = next(p for p in default if p in phases)
        if phase not in phases:
            accepted = ", ".join(phases) or "none: the run has no whole cycle in any phase"
            raise ConfigError(f"phase must be one of {accepted}; got {phase!r}")
        first_cycle, last_cycle = phases[phase]
        window = slice(first_cycle, last_cycle + 1)
        results = list(self.agents.values())
        reference = _window_mean(results[0].per_cycle(), window)
        out: dict[str, dict[str, float]] = {}
        for other in results[1:]:
            # NaN where an episode ended (safety stop) before the phase.
            difference = reference - _window_mean(other.per_cycle(), window)
            out[other.label] = {
                "mean_difference_m": float(difference.mean()),
                "std_difference_m": float(difference.std(ddof=1)) if difference.size > 1 else 0.0,
                "first_better_fraction": float(np.mean(difference < 0)),
                "first_higher_fraction": float(np.mean(difference > 0)),
                "phase": phase,
            }
        return out

    def format_paired(self) -> list[str]:
        """:meth:`paired` as text lines (in the measure's display unit)."""
        measure = self.config.measure
        first = next(iter(self.agents))
        # lower is better for errors; for a success rate, higher is
        better = "higher" if measure.trial_based else "better"
        lines = []
        for label, row in self.paired().items():
            mean = row["mean_difference_m"] * measure.scale
            std = row["std_difference_m"] * measure.scale
            fraction = row["first_better_fraction"]
            if measure.trial_based:
                fraction = row["first_higher_fraction"]
            lines.append(
                f"{first} - {label} ({row['phase']}): {mean:+.2f} +- {std:.2f} "
                f"{measure.display_unit}, {first} {better} on {fraction:.0%} "
                f"of {len(self.config.seeds)} seeds"
            )
        return lines

    def summary(self) -> dict[str, Any]:
        """Plain data: the measure, its table, per-cycle values and run statistics per agent.

        ``table`` and each agent's ``per_cycle`` are in the measure's SI unit
        (``unit``); a tracking-error run also carries them as ``table_m`` and
        ``per_cycle_rms_m``. A trial measure adds ``trial_block`` and each
        agent's ``trials`` (completed trials per seed).
        """
        measure = self.config.measure
        first = next(iter(self.agents.values())).episodes[0]
        table = self.table()
        out: dict[str, Any] = {
            "metric": measure.name,
            "description": measure.description,
            "unit": measure.unit,
            "display_unit": measure.display_unit,
            "scale": measure.scale,
            "phases": {k: list(v) for k, v in self.phases().items()},
            "cycle_starts_s": measure_table(first, self.config)[0].tolist(),
            "schedule": [e.to_dict() for e in self.config.schedule],
            "table": table,
            "probes": _json_probes(self.probes()),
            "paired": self.paired() if len(self.agents) > 1 else {},
            "agents": {},
        }
        if measure.trial_based:
            out["trial_block"] = self.config.trial_block
        for label, result in self.agents.items():
            per_cycle = result.per_cycle().tolist()
            entry: dict[str, Any] = {
                "per_cycle": per_cycle,
                "episodes": result.episode_summaries(),
            }
            if measure.trial_based:
                entry["trials"] = [trial_outcomes(ep.trace)[1].size for ep in result.episodes]
            if measure.name == "tracking_error":
                entry["per_cycle_rms_m"] = per_cycle
            out["agents"][label] = entry
        if measure.name == "tracking_error":
            out["table_m"] = table
        return out


def _format_savings(savings: dict[str, Any]) -> str:
    """Reaches to the criterion in each exposure (and in cycles), and their ratio."""

    def count(n: int | None, cycles: float | None, of: int) -> str:
        return f"not within {of}" if n is None else f"{n} ({cycles:.2f} cycles)"

    first = count(savings["movements_first"], savings["cycles_first"], savings["reaches_first"])
    second = count(savings["movements_second"], savings["cycles_second"], savings["reaches_second"])
    ratio = savings["ratio"]
    shown = "-" if ratio is None else "inf" if math.isinf(ratio) else f"{ratio:.2f}"
    return f"savings: reaches to half adaptation {first} -> {second}, ratio {shown}"


def _json_probes(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The probes with an infinite savings ratio as None (JSON has no inf) beside its counts."""
    out = {}
    for label, entry in values.items():
        entry = dict(entry)
        if "savings" in entry and entry["savings"]["ratio"] == math.inf:
            entry["savings"] = {**entry["savings"], "ratio": None}
        out[label] = entry
    return out


def _window_mean(per_cycle: np.ndarray, window: slice) -> np.ndarray:
    """Mean over ``window`` of each seed's row; NaN for rows that end before it."""
    part = per_cycle[:, window]
    if part.shape[1] == 0:
        return np.full(per_cycle.shape[0], np.nan)
    return part.mean(axis=1)


def cycle_table(episode: EpisodeResult) -> tuple[np.ndarray, np.ndarray]:
    """Start time (s) and RMS tracking error (m) of each cycle of the env's target sequence."""
    cycles = episode.trace["cycle"].astype(np.int64)
    if episode.steps == 0 or cycles.min() < 0:
        raise ConfigError(
            "the env reports no target-sequence cycle (info['cycle']); cannot cut cycles"
        )
    boundaries = np.flatnonzero(np.diff(cycles)) + 1
    starts_index = np.concatenate([[0], boundaries])
    error = episode.trace["tracking_error"]
    sums = np.add.reduceat(error * error, starts_index)
    counts = np.diff(np.append(starts_index, episode.steps))
    dt = episode.sim_time / episode.steps
    starts = episode.trace["sim_time"][starts_index] - dt
    return starts, np.sqrt(sums / counts)


def measure_table(
    episode: EpisodeResult, config: ExperimentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Start time (s) and value of each cycle, window or block of ``config``'s measure.

    RMS measures: per cycle of the env's target sequence, or per window of
    ``config.cycle_duration`` seconds (the last one may be partial); steps
    where the measure is undefined are left out. Trial measures: the success
    rate per whole block of ``config.trial_block`` trials, each block starting
    where the previous one's last trial ended.
    """
    measure = config.measure
    if measure.trial_based:
        ends, outcomes = trial_outcomes(episode.trace)
        rates = block_rates(outcomes, config.trial_block)
        block_ends = ends[config.trial_block - 1 :: config.trial_block][: rates.size]
        return np.concatenate([[0.0], block_ends[:-1]]) if rates.size else rates, rates
    if episode.steps == 0:
        raise ConfigError("the episode has no steps; nothing to measure")
    dt = episode.sim_time / episode.steps
    if config.cycle_duration is None:
        cycles = episode.trace["cycle"].astype(np.int64)
        if cycles.min() < 0:
            raise ConfigError(
                "the env reports no target-sequence cycle (info['cycle']); set cycle_duration "
                "to measure per window of that many seconds"
            )
        starts_index = np.concatenate([[0], np.flatnonzero(np.diff(cycles)) + 1])
    else:
        per_window = max(1, round(config.cycle_duration / dt))
        starts_index = np.arange(0, episode.steps, per_window)
    values = measure.per_step(episode.trace)  # type: ignore[misc]  # an RMS measure
    return window_rms(values, episode.trace["sim_time"], starts_index, dt)


def check_measurable(episode: EpisodeResult, config: ExperimentConfig, env_id: str) -> None:
    """Refuse a measure whose ``info`` entries the env never reported, or that it cannot cut."""
    missing = [key for key in config.measure.info_keys if np.all(np.isnan(episode.trace[key]))]
    if missing:
        raise ConfigError(
            f"metric {config.metric!r} needs info entries {missing} that {env_id} does not "
            "report; pick another metric or env"
        )
    measure_table(episode, config)


def _apply_event(env: gym.Env, agent: Agent, event: ScheduleEvent) -> None:
    if event.switches_learning:
        agent.set_learning(bool(event.learning))
    elif event.switches_targets:
        env.unwrapped.set_targets(event.targets)
    else:
        env.unwrapped.set_perturbation(event.perturbation)


def _schedule_callback(
    env: gym.Env, agent: Agent, schedule: list[ScheduleEvent], dt: float
) -> Callable[..., None]:
    event_steps = [round(event.at / dt) for event in schedule]
    pending = [0]

    def apply_due(step: int, *_: Any) -> None:
        # After env.step number `step` the episode time is (step + 1) * dt: events
        # due by then act from the next step on.
        while pending[0] < len(schedule) and event_steps[pending[0]] <= step + 1:
            _apply_event(env, agent, schedule[pending[0]])
            pending[0] += 1

    return apply_due


class Journal(Protocol):
    """Where :func:`run_experiment` keeps each finished episode (a run directory's store).

    ``episode`` returns a stored episode or None; ``record_episode`` keeps one
    as soon as it finishes; ``agent_outputs`` / ``record_agent`` do the same
    for what the results keep of an agent once its last seed ran (recorded
    before that seed's episode, so a stored last episode implies its outputs).
    """

    def episode(self, agent_index: int, label: str, seed: int) -> SeedRun | None: ...

    def record_episode(self, agent_index: int, label: str, seed: int, run: SeedRun) -> None: ...

    def agent_outputs(self, agent_index: int, label: str) -> AgentOutputs | None: ...

    def record_agent(
        self, agent_index: int, label: str, agent: Agent, outputs: AgentOutputs
    ) -> None: ...


@dataclass(frozen=True)
class _Plan:
    """What every episode of a config shares: steps, initial options, the timed events."""

    dt: float
    n_steps: int
    options: dict[str, Any]
    initial_learning: list[ScheduleEvent]
    later: list[ScheduleEvent]

    @classmethod
    def of(cls, config: ExperimentConfig, dt: float) -> _Plan:
        initial = [e for e in config.perturbation_events if e.at == 0.0]
        options: dict[str, Any] = {"perturbation": initial[-1].perturbation if initial else None}
        targets = [e for e in config.target_events if e.at == 0.0]
        if targets:  # from the first movement on
            options["targets"] = targets[-1].targets
        return cls(
            dt=dt,
            n_steps=max(1, round(config.duration / dt)),
            options=options,
            initial_learning=[e for e in config.schedule if e.at == 0.0 and e.switches_learning],
            later=[e for e in config.schedule if e.at > 0.0],
        )


def run_experiment(
    config: ExperimentConfig,
    make_agent: AgentFactory | None = None,
    progress: bool = False,
    journal: Journal | None = None,
    live_dir: str | os.PathLike[str] | None = None,
    episode_callbacks: Callable[[str, int], Sequence[Any]] | None = None,
) -> ExperimentResult:
    """Run every agent of ``config`` on every seed; return the measurements.

    ``make_agent(spec, env, seed)`` builds an agent (default:
    :func:`neurocontrol.agents.factory.make_agent`). ``progress`` shows a
    ``tqdm`` bar with simulated time, real-time factor and current error.
    Each (agent, seed) episode starts from a fresh agent and a reset env, so
    episodes are independent: with a ``journal``, episodes it already holds
    are taken from it instead of being run again (a resumed run gives the
    same result), and each new one is handed to it as soon as it ends.
    ``live_dir`` is the folder of what the run writes as it goes (the config's
    ``video`` and ``tensorboard``, :class:`~neurocontrol.viz.live.LiveOutputs`);
    None writes neither. ``episode_callbacks(label, seed)`` gives further step
    callbacks for an episode that runs (a sweep reports each cycle's figures as it goes).
    """
    from neurocontrol.viz.live import LiveOutputs

    if make_agent is None:
        from neurocontrol.agents.factory import make_agent as default_factory

        make_agent = default_factory
    live = LiveOutputs(config, live_dir)
    kwargs = dict(config.env.kwargs)
    if live.render_mode is not None:  # render-only markers: the physics is the same
        kwargs["render_mode"] = live.render_mode
    env = gym.make(config.env.id, **kwargs)
    bar = None
    try:
        plan = _Plan.of(config, control_period(env))
        env = gym.wrappers.TimeLimit(env.unwrapped, max_episode_steps=plan.n_steps)
        stored = {
            (index, seed): journal.episode(index, label, seed) if journal else None
            for index, label in enumerate(config.agents)
            for seed in config.seeds
        }
        n_left = sum(run is None for run in stored.values())
        bar = _progress_bar(progress, plan.n_steps * n_left)
        results: dict[str, AgentResult] = {}
        for index, (label, spec) in enumerate(config.agents.items()):
            runs: list[SeedRun] = []
            agent = outputs = None
            for k, seed in enumerate(config.seeds):
                last = k == len(config.seeds) - 1
                run = stored[index, seed]
                if run is not None and last and journal is not None:
                    outputs = journal.agent_outputs(index, label)
                    if outputs is None:  # stopped between the two records: run it again
                        run = None
                if run is None:
                    agent = make_agent(spec, env, seed)
                    record = all(r.raster is None for r in runs)
                    extra = episode_callbacks(label, seed) if episode_callbacks else ()
                    run = _run_seed(env, agent, seed, config, plan, bar, label, record, live, extra)
                    if journal is not None:
                        if last:
                            outputs = AgentOutputs.of(agent)
                            journal.record_agent(index, label, agent, outputs)
                        journal.record_episode(index, label, seed, run)
                runs.append(run)
            if outputs is None:
                assert agent is not None  # the last seed ran here
                outputs = AgentOutputs.of(agent)
            results[label] = AgentResult.from_runs(label, runs, agent, outputs, config)
    finally:
        if bar is not None:
            bar.close()
        live.close()
        env.close()
    result = ExperimentResult(config, results)
    result.phases()  # a trial run too short for one block is refused here
    return result


def _run_seed(
    env: gym.Env,
    agent: Agent,
    seed: int,
    config: ExperimentConfig,
    plan: _Plan,
    bar: Any,
    label: str,
    record_raster: bool,
    live: Any = None,
    extra_callbacks: Sequence[Any] = (),
) -> SeedRun:
    """One episode of ``agent`` on ``seed`` under the config's schedule, measured."""
    for event in plan.initial_learning:
        _apply_event(env, agent, event)
    if bar is not None:
        bar.set_description(f"{label} seed {seed}")
    callbacks: list[Any] = [_schedule_callback(env, agent, plan.later, plan.dt), *extra_callbacks]
    simulator = _simulator_of(agent)
    recorder = None
    if record_raster and simulator is not None:
        # One second of spikes around the first perturbation onset.
        onset = next((e.at for e in plan.later if e.kind == "perturbation"), 0.0)
        recorder = SpikeRecorder(
            simulator, start=max(0, round((onset - 0.5) / plan.dt)), length=1000
        )
        callbacks.append(recorder)
    finish = abort = None
    if live is not None:
        extra, finish, abort = live.episode(env, agent, label, seed, plan.dt)
        callbacks += extra
    cpu_start = time.process_time()
    try:
        episode = run_episode(
            env,
            agent,
            seed=seed,
            options=plan.options,
            max_steps=plan.n_steps,
            callbacks=callbacks,
            progress=bar,
            info_keys=config.measure.info_keys,
        )
    except BaseException:
        if abort is not None:
            abort()
        raise
    cpu_time = time.process_time() - cpu_start
    if finish is not None:
        finish(episode)
    check_measurable(episode, config, config.env.id)
    raster = recorder.raster() if recorder is not None else None
    return SeedRun(episode, cpu_time, os.getloadavg()[0], raster)


def _simulator_of(agent: Agent) -> Any:
    """The spiking simulator an agent drives (directly, or as a hybrid's spiking side)."""
    for candidate in (agent, getattr(agent, "spiking", None)):
        simulator = getattr(candidate, "simulator", None)
        if simulator is not None:
            return simulator
    return None


def _progress_bar(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="step", unit_scale=True, dynamic_ncols=True, leave=False)
