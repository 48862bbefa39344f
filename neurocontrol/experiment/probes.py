"""Probes of what an adaptive controller has learned: the phases a schedule sets up and
the figures measured on them.

The phases are found from the schedule's events (their kinds, and the
perturbation and target set they set), never from fixed times: a config that
lacks an event lacks the phase and its probe. Each phase is one whole cycle
of the env's target sequence (``adapted`` is the last of its block), or a
block of them; a cycle that a target switch or the run's end cut short is
not whole.

Probes, per agent, on the seeds' mean (errors E in the measure's unit):

retention
    Learning frozen, perturbation on: ``1 - (E_frozen - E_adapted) /
    (E_base_frozen - E_adapted)``, E_base the base controller in the same
    cycle (1: all of the compensation kept, 0: none).
generalisation
    Learning frozen, perturbation on, targets never trained:
    ``1 - (E_untrained - E_adapted) / (E_base_untrained - E_adapted)``.
after-effect
    Learning frozen, perturbation removed: ``E_after / E_before``, the agent's
    error against its own unperturbed cycle (above 1: it still pushes against
    a field that is gone).
savings
    A second exposure to the same perturbation after a washout (perturbation
    off, learning on). Per centre-out-and-back reach (RMS over its steps):
    the criterion is half the first exposure's adaptation,
    ``E_half = E_adapted + (E_initial - E_adapted) / 2``, with E_initial the
    first reach of the first exposure and E_adapted its ``adapted`` cycle;
    each exposure counts the reaches up to and including the first at or
    below E_half. ``ratio`` = second / first (below 1: faster relearning).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neurocontrol.utils.statistics import nan_mean, window_rms

if TYPE_CHECKING:
    from neurocontrol.experiment.protocol import ExperimentConfig, ScheduleEvent
    from neurocontrol.loop.episode import EpisodeResult

__all__ = [
    "AGENT_ROLES",
    "PROBE_SPANS",
    "Timeline",
    "after_effect",
    "find_phases",
    "movements_to_criterion",
    "reach_settings",
    "reach_table",
    "retention",
    "savings",
    "seed_mean_reaches",
    "set_size",
    "trained_set",
    "whole_cycles",
]

#: agent spec type -> its role in the results (the first agent of a role plays it)
AGENT_ROLES = {
    "adaptive_spiking": "spiking",
    "adaptive_rate": "twin",
    "osc": "base",
    "joint_pd": "base",
}

#: phase (or first, last phase of a block) -> the probe it measures, for plots
PROBE_SPANS: dict[str, tuple[tuple[str, str], str]] = {
    "learning frozen": (("learning frozen", "learning frozen"), "retention"),
    "untrained targets": (("untrained targets", "untrained targets"), "generalisation"),
    "after-effect": (("after-effect", "after-effect"), "after-effect"),
    "washout": (("washout", "washout"), "washout"),
    "re-exposed": (("re-exposed", "re-adapted"), "savings"),
}


# -- the formulas ---------------------------------------------------------------------------


def retention(frozen: float, adapted: float, base_frozen: float) -> float | None:
    """``1 - (frozen - adapted) / (base_frozen - adapted)``; None where the base is no worse."""
    if not all(map(math.isfinite, (frozen, adapted, base_frozen))) or base_frozen <= adapted:
        return None
    return 1.0 - (frozen - adapted) / (base_frozen - adapted)


def after_effect(after: float, before: float) -> float | None:
    """``after / before``: the error with the perturbation removed, learning frozen, against
    the agent's own unperturbed error; None where ``before`` is not positive."""
    if not (math.isfinite(after) and math.isfinite(before)) or before <= 0:
        return None
    return after / before


def movements_to_criterion(errors: Sequence[float], criterion: float) -> int | None:
    """Reaches (from 1) up to and including the first at or below ``criterion``; None if none."""
    hits = np.flatnonzero(np.asarray(errors, dtype=float) <= criterion)
    return int(hits[0]) + 1 if hits.size else None


def savings(
    first: Sequence[float], second: Sequence[float], adapted: float, reaches_per_cycle: int
) -> dict[str, Any] | None:
    """Reaches to half the first exposure's adaptation in each exposure, and their ratio.

    ``first`` and ``second`` are the per-reach errors of each exposure from
    its onset (learning on); ``adapted`` the first exposure's adapted level.
    ``ratio`` is None when the first exposure never reaches the criterion,
    and inf when only the second does not (within ``len(second)`` reaches).
    """
    if len(first) == 0 or len(second) == 0 or not math.isfinite(first[0]):
        return None
    initial = float(first[0])
    if not math.isfinite(adapted) or initial <= adapted:
        return None
    criterion = adapted + 0.5 * (initial - adapted)
    n_first = movements_to_criterion(first, criterion)
    n_second = movements_to_criterion(second, criterion)
    ratio = None if n_first is None else math.inf if n_second is None else n_second / n_first
    return {
        "initial": initial,
        "adapted": adapted,
        "criterion": criterion,
        "movements_first": n_first,
        "movements_second": n_second,
        "reaches_first": len(first),
        "reaches_second": len(second),
        "reaches_per_cycle": reaches_per_cycle,
        "cycles_first": None if n_first is None else n_first / reaches_per_cycle,
        "cycles_second": None if n_second is None else n_second / reaches_per_cycle,
        "ratio": ratio,
    }


# -- the schedule as a timeline -------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """The times (s) that delimit the probe phases of a schedule; None where it has none.

    ``on``: first perturbation onset; ``adapted_end``: first change after it
    (learning off, perturbation replaced, targets switched); ``freeze`` /
    ``resume``: learning off under the first perturbation and back on;
    ``untrained``: a switch to an untrained target set while frozen under it;
    ``off``: the perturbation cleared; ``washout``: learning on with it off;
    ``on2``: the same perturbation again after a washout; ``end2``: the next
    change after that (or the run's end).
    """

    on: float | None = None
    adapted_end: float = math.inf
    freeze: float | None = None
    untrained: float | None = None
    off: float = math.inf
    washout: float | None = None
    on2: float | None = None
    end2: float = math.inf
    #: the event times (s), sorted, for the end of each phase
    times: tuple[float, ...] = ()

    def next_change(self, after: float) -> float:
        """The first event time strictly after ``after`` (inf if none)."""
        return next((t for t in self.times if t > after + 1e-9), math.inf)

    @classmethod
    def of(cls, config: ExperimentConfig) -> Timeline:
        schedule = config.schedule
        times = tuple(sorted({e.at for e in schedule}))
        events = [e for e in schedule if e.kind == "perturbation"]
        first = next((e for e in events if e.perturbation is not None), None)
        if first is None:
            return cls(times=times)
        on = first.at
        off = next((e.at for e in events if e.perturbation is None and e.at > on), math.inf)
        # the perturbation replaced by another one ends the first exposure too
        replaced = next((e.at for e in events if e.at > on and e is not first), math.inf)
        trained = trained_set(schedule)
        freeze = next((e.at for e in schedule if e.learning is False and on <= e.at < off), None)
        switch = next((e.at for e in schedule if e.switches_targets and e.at >= on), math.inf)
        adapted_end = min(off, replaced, switch, math.inf if freeze is None else freeze)
        untrained = None
        if freeze is not None:
            resume = next(
                (e.at for e in schedule if e.learning is True and e.at > freeze), math.inf
            )
            untrained = next(
                (
                    e.at
                    for e in schedule
                    if e.switches_targets
                    and freeze <= e.at < min(resume, off, replaced)
                    and e.targets != trained
                ),
                None,
            )
        washout = on2 = None
        end2 = math.inf
        if math.isfinite(off):
            learning_at_off = bool(config.learning_at(np.array([off]))[0])
            washout = (
                off
                if learning_at_off
                else next((e.at for e in schedule if e.learning is True and e.at > off), None)
            )
            again = next((e for e in events if e.at > off and e.perturbation is not None), None)
            if (
                washout is not None
                and again is not None
                and again.perturbation == first.perturbation
                and washout < again.at
                and bool(config.learning_at(np.array([again.at]))[0])
            ):
                on2 = again.at
                end2 = next((t for t in times if t > on2), math.inf)
        return cls(on, adapted_end, freeze, untrained, off, washout, on2, end2, times)


def trained_set(schedule: Sequence[ScheduleEvent]) -> Any:
    """The target spec trained on: a targets event at 0 s, else the env's own set ({})."""
    initial = [e.targets for e in schedule if e.switches_targets and e.at == 0.0]
    return initial[-1] if initial else {}


# -- cycles and phases ----------------------------------------------------------------------


def reach_settings(config: ExperimentConfig) -> tuple[float, bool, int] | None:
    """Segment time (s), return to centre, size of the env's set; None for a non-reach env."""
    from neurocontrol.experiment.protocol import REACH_ENV_IDS

    if config.env.id not in REACH_ENV_IDS:
        return None
    from neurocontrol.envs.reach import REACH_DEFAULTS

    settings = {**REACH_DEFAULTS, **config.env.kwargs}
    targets = settings.get("targets")
    size = len(targets) if targets is not None else int(settings["n_targets"])
    segment = float(settings["movement_time"]) + float(settings["hold_time"])
    return segment, bool(settings["return_to_centre"]), size


def set_size(spec: Any, default: int) -> int:
    if isinstance(spec, Mapping):
        return int(spec.get("n_targets", default))
    return len(spec)


def whole_cycles(
    config: ExperimentConfig, starts: np.ndarray, ends: np.ndarray, step: float
) -> np.ndarray:
    """Which cycles are whole: not cut short by the run's end or by a target switch.

    Without target switches every whole cycle is as long as the longest one;
    with them, a cycle must last its target set's length (targets x
    movements per target x (movement + hold time)), the set being the one of
    the last switch at or before its start.
    """
    lengths = ends - starts
    settings = reach_settings(config)
    if not config.target_events or settings is None or config.cycle_duration is not None:
        return lengths >= np.max(lengths) - 1.5 * step
    segment, back, size = settings
    expected = np.empty_like(lengths)
    for k, start in enumerate(starts):
        count = size
        for event in config.target_events:
            if event.at <= start + 0.5 * step:
                count = set_size(event.targets, size)
        expected[k] = count * (2 if back else 1) * segment
    return np.abs(lengths - expected) <= 1.5 * step


def find_phases(
    config: ExperimentConfig, starts: np.ndarray, ends: np.ndarray, whole: np.ndarray, step: float
) -> dict[str, tuple[int, int]]:
    """Named cycle ranges ``(first, last)`` (inclusive, from 0) of the schedule's phases.

    ``before``: the last whole cycle before the first onset; ``first
    perturbed`` / ``adapted``: the first and last whole cycle of the first
    exposure, up to its first change (learning off, perturbation replaced or
    cleared, targets switched); ``learning frozen``: the first whole cycle
    after learning is switched off under it, before anything else changes;
    ``untrained targets``: the first whole cycle on an untrained target set,
    still frozen under it; ``after-effect``: the first whole cycle after it is
    cleared, before the next change; ``washout``: the last whole cycle with
    it off and learning on, before the second exposure; ``re-exposed`` /
    ``re-adapted``: the first and last whole cycle of a second exposure to
    the same perturbation after a washout. Without a perturbation: ``all``.
    """
    tol = 0.5 * step
    line = Timeline.of(config)

    def within(start: float, end: float) -> np.ndarray:
        return np.flatnonzero(whole & (starts >= start - tol) & (ends <= end + tol))

    phases: dict[str, tuple[int, int]] = {}
    if line.on is None:
        phases["all"] = (0, int(np.flatnonzero(whole)[-1]))
        return phases
    before = np.flatnonzero(whole & (ends <= line.on + tol))
    if before.size:
        phases["before"] = (int(before[-1]), int(before[-1]))
    during = within(line.on, line.adapted_end)
    if during.size:
        phases["first perturbed"] = (int(during[0]), int(during[0]))
        phases["adapted"] = (int(during[-1]), int(during[-1]))
    if line.freeze is not None:
        frozen = within(line.freeze, line.next_change(line.freeze))
        if frozen.size:
            phases["learning frozen"] = (int(frozen[0]), int(frozen[0]))
    if line.untrained is not None:
        untrained = within(line.untrained, line.next_change(line.untrained))
        if untrained.size:
            phases["untrained targets"] = (int(untrained[0]), int(untrained[0]))
    if math.isfinite(line.off):
        after = within(line.off, line.next_change(line.off))
        if after.size:
            phases["after-effect"] = (int(after[0]), int(after[0]))
    if line.on2 is not None and line.washout is not None:
        washout = within(line.washout, line.on2)
        second = within(line.on2, line.end2)
        if washout.size:
            phases["washout"] = (int(washout[-1]), int(washout[-1]))
        if second.size:
            phases["re-exposed"] = (int(second[0]), int(second[0]))
            phases["re-adapted"] = (int(second[-1]), int(second[-1]))
    return phases


# -- reaches --------------------------------------------------------------------------------


def reach_table(
    episode: EpisodeResult, config: ExperimentConfig, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end time (s) and RMS of ``values`` for each whole reach of ``episode``.

    A reach is one centre-out-and-back movement pair (target to target: one
    movement), counted from each cycle's start; a reach cut short (by a target
    switch, the way to a moved centre or the run's end) is left out.
    """
    settings = reach_settings(config)
    empty = np.empty(0)
    if settings is None or episode.steps == 0:
        return empty, empty, empty
    segment_time, back, _ = settings
    dt = episode.sim_time / episode.steps
    segment = episode.trace["target_index"].astype(np.int64)
    cycle = episode.trace["cycle"].astype(np.int64)
    if segment.min() < 0 or cycle.min() < 0:
        return empty, empty, empty
    cycle_first = np.maximum.accumulate(
        np.where(np.r_[True, np.diff(cycle) != 0], segment, np.iinfo(np.int64).min)
    )
    reach = (segment - cycle_first) // (2 if back else 1)
    changes = np.flatnonzero((np.diff(reach) != 0) | (np.diff(cycle) != 0)) + 1
    starts_index = np.concatenate([[0], changes])
    starts, rms = window_rms(values, episode.trace["sim_time"], starts_index, dt)
    ends = np.append(starts[1:], episode.sim_time)
    length = (2 if back else 1) * segment_time
    whole = np.abs((ends - starts) - length) <= 1.5 * dt
    return starts[whole], ends[whole], rms[whole]


def seed_mean_reaches(
    tables: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], start: float, end: float
) -> np.ndarray:
    """Mean over seeds of the per-reach errors between ``start`` and ``end`` (s).

    The seeds share the schedule, hence the reach times; a seed that stopped
    early contributes to the reaches it made.
    """
    rows = []
    for starts, ends, rms in tables:
        inside = (starts >= start - 1e-6) & (ends <= end + 1e-6)
        rows.append(rms[inside])
    n = max((len(r) for r in rows), default=0)
    padded = np.full((len(rows), n), np.nan)
    for k, row in enumerate(rows):
        padded[k, : len(row)] = row
    return nan_mean(padded, axis=0) if n else np.empty(0)
