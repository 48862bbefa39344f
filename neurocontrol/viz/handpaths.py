"""Hand paths of centre-out reaches, per phase and agent: the classic figure of a force field.

Before the perturbation the hand runs straight to each target; in the first
cycle under a curl field the paths hook sideways; adapted, they straighten
again; once the field is off, the after-effect bends them the other way
(Shadmehr & Mussa-Ivaldi 1994). :func:`phase_paths` cuts the outward
movements of one cycle from an episode's ``ee`` and ``goal`` rows (see
:class:`~neurocontrol.loop.episode.EpisodeResult`), :func:`plot_hand_paths` draws one
panel per (agent, phase) and :func:`write_hand_paths` does both for a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.loop.episode import EpisodeResult

__all__ = ["Movement", "phase_paths", "plot_hand_paths", "write_hand_paths"]

#: a movement ends farther than this (m) from the centre: it goes out, not back
_OUTWARD_M = 1e-6


@dataclass(frozen=True)
class Movement:
    """One outward movement: the hand's and the reference's path (steps x 2, m) and end point."""

    hand: np.ndarray
    reference: np.ndarray
    end: np.ndarray


def has_hand_paths(episode: EpisodeResult) -> bool:
    """Whether ``episode`` recorded the hand and reference rows the figure needs."""
    return "ee" in episode.trace and "goal" in episode.trace and episode.steps > 0


def phase_paths(episode: EpisodeResult, start: float, end: float) -> list[Movement]:
    """The outward movements of ``episode`` whose steps end in ``(start, end]`` seconds.

    Positions are in the horizontal plane (x, y); a movement cut by the window
    or by the end of the episode is kept as far as it goes.
    """
    if not has_hand_paths(episode):
        return []
    trace = episode.trace
    dim = trace["ee"].shape[1] // 2
    time = trace["sim_time"]
    half_step = 0.5 * episode.sim_time / episode.steps
    inside = np.flatnonzero((time > start + half_step) & (time <= end + half_step))
    if inside.size == 0:
        return []
    centre = trace["goal"][0, :dim]  # every episode starts with the reference at the centre
    segments = trace["target_index"][inside]
    cuts = np.flatnonzero(np.diff(segments)) + 1
    movements = []
    for steps in np.split(inside, cuts):
        end_point = trace["goal"][steps[-1], 2 * dim : 3 * dim]
        if np.linalg.norm(end_point - centre) <= _OUTWARD_M:
            continue
        movements.append(
            Movement(
                hand=np.asarray(trace["ee"][steps, :2], dtype=float),
                reference=np.asarray(trace["goal"][steps, :2], dtype=float),
                end=np.asarray(end_point[:2], dtype=float),
            )
        )
    return movements


def plot_hand_paths(
    panels: Mapping[str, Mapping[str, list[Movement]]],
    path: str | Path,
    centre: np.ndarray,
    titles: Mapping[str, str] | None = None,
) -> Path:
    """One panel per agent (row) and phase (column): targets, reference and hand paths.

    ``panels`` maps an agent label to phase name -> movements; ``centre`` (m)
    is drawn at the origin, positions in cm from it. ``titles`` gives each
    phase's column title (default: its name).
    """
    from neurocontrol.viz.plots import _pyplot, _save

    plt = _pyplot()
    phases = list(dict.fromkeys(p for row in panels.values() for p in row))
    n_rows, n_cols = len(panels), max(1, len(phases))
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(2.3 * n_cols + 0.6, 2.3 * n_rows + 0.4), squeeze=False
    )
    colours = plt.get_cmap("hsv")  # by direction: a target keeps its colour in every panel
    centre = np.asarray(centre, dtype=float)[:2]
    extent = 1.0
    for row, (label, by_phase) in enumerate(panels.items()):
        for col, phase in enumerate(phases):
            ax = axes[row][col]
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.2)
            for movement in by_phase.get(phase, []):
                reference = (movement.reference - centre) * 100
                hand = (movement.hand - centre) * 100
                end = (movement.end - centre) * 100
                colour = colours((np.arctan2(end[1], end[0]) / (2 * np.pi)) % 1.0 * 0.9)
                ax.plot(reference[:, 0], reference[:, 1], color="0.7", linewidth=1.2)
                ax.plot(hand[:, 0], hand[:, 1], color=colour, linewidth=1.1)
                ax.plot(*end, marker="o", markersize=7, fillstyle="none", color="0.3")
                extent = max(extent, float(np.max(np.abs(np.concatenate([hand, reference])))))
            ax.plot(0, 0, marker="+", color="0.3")
            if phase not in by_phase:
                ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", fontsize=8)
            if row == 0:
                ax.set_title((titles or {}).get(phase, phase), fontsize=9)
            if col == 0:
                ax.set_ylabel(f"{label}\ny (cm)", fontsize=8)
            if row == n_rows - 1:
                ax.set_xlabel("x (cm)", fontsize=8)
    limit = 1.1 * extent
    for ax in np.ravel(axes):
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
    fig.suptitle(
        "hand paths of the outward reaches (colour) against the reference (grey), per phase",
        fontsize=9,
    )
    fig.tight_layout()
    return _save(fig, path)


def write_hand_paths(result: Any, path: str | Path) -> Path | None:
    """The figure for an :class:`~neurocontrol.experiment.protocol.ExperimentResult`, or None.

    Uses each agent's first episode and the cycles of ``result.phases()``;
    None where there is nothing to draw (no hand rows recorded, or no phase
    with a movement, e.g. a run stopped in its first cycle).
    """
    from neurocontrol.experiment.protocol import measure_table

    first = next(iter(result.agents.values())).episodes[0]
    if not has_hand_paths(first):
        return None
    starts, _ = measure_table(first, result.config)
    ends = np.append(starts[1:], first.sim_time)
    phases = result.phases()
    panels: dict[str, dict[str, list[Movement]]] = {}
    for label, agent_result in result.agents.items():
        episode = agent_result.episodes[0]
        row = {}
        for phase, (cycle, _last) in phases.items():
            if cycle < starts.size:
                movements = phase_paths(episode, starts[cycle], ends[cycle])
                if movements:
                    row[phase] = movements
        panels[label] = row
    if not any(panels.values()):
        return None
    titles = {phase: f"{phase} (cycle {cycle + 1})" for phase, (cycle, _) in phases.items()}
    dim = first.trace["ee"].shape[1] // 2
    return plot_hand_paths(panels, path, centre=first.trace["goal"][0, :dim], titles=titles)
