"""PNG plots of runs: tracking error, learning curves, trajectories, spike rasters,
weight histograms and the hybrid comparison.

Each function draws one figure, writes it atomically and returns the path.
matplotlib is imported lazily with the non-interactive Agg backend, so
headless runs never need a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.utils.fileio import atomic_path

__all__ = [
    "plot_hybrid_comparison",
    "plot_learning_curve",
    "plot_spike_raster",
    "plot_tracking_error",
    "plot_trajectory",
    "plot_weight_histogram",
]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    _pyplot().close(fig)
    return path


def _mark_events(ax: Any, events: Mapping[str, float]) -> None:
    for label, t in events.items():
        ax.axvline(t, color="0.3", linestyle="--", linewidth=1)
        ax.annotate(
            label,
            (t, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
            color="0.3",
        )


def plot_tracking_error(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | Path,
    events: Mapping[str, float] | None = None,
    smooth_s: float = 0.1,
    ylabel: str = "tracking error (mm)",
    scale: float = 1e3,
) -> Path:
    """Tracking error (mm) over simulated time, one line per controller.

    ``series`` maps a label to ``(time_s, error_m)``; ``events`` maps a label to
    a time (e.g. ``{"curl field on": 12.0}``) drawn as a vertical line.
    ``smooth_s`` is the width of a moving-RMS window, for legibility. Another
    error (e.g. a force error in N) is drawn with its own ``ylabel`` and
    ``scale`` (stored value x scale = plotted value); NaN leaves a gap. When
    the controllers' typical errors differ by more than 10x (an adaptive
    controller beside the base), the y axis is logarithmic so both stay legible.
    A line that coincides with one drawn before it (a hybrid whose spiking
    side drives, beside that spiking controller) is drawn dashed on top of it
    and its legend entry says so; the legend sits beside the axes, clear of
    the event labels.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.5))
    medians = []
    drawn: list[tuple[str, np.ndarray, np.ndarray]] = []
    for label, (time, error) in series.items():
        time = np.asarray(time)
        error = np.asarray(error) * scale
        if len(time) > 1 and smooth_s > 0:
            # no wider than the trace: np.convolve's "same" returns the longer of the two
            width = min(len(error), max(1, round(float(smooth_s / (time[1] - time[0])))))
            kernel = np.ones(width) / width
            error = np.sqrt(np.convolve(error * error, kernel, mode="same"))
        same = _coinciding(time, error, drawn)
        if same is None:
            ax.plot(time, error, linewidth=1, label=label)
        else:
            ax.plot(time, error, linewidth=1.4, linestyle=(0, (3, 3)), label=f"{label} (= {same})")
        drawn.append((label, time, error))
        positive = error[np.isfinite(error) & (error > 0)]
        if positive.size:
            medians.append(float(np.median(positive)))
    _mark_events(ax, events or {})
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(ylabel)
    if len(medians) > 1 and max(medians) > 10 * min(medians):
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    _legend_beside(ax)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _coinciding(
    time: np.ndarray, values: np.ndarray, drawn: Sequence[tuple[str, np.ndarray, np.ndarray]]
) -> str | None:
    """The label of an earlier line with the same points (within 1e-9 relative), or None."""
    for label, other_time, other in drawn:
        if (
            other.shape == values.shape
            and np.array_equal(other_time, time)
            and np.allclose(other, values, rtol=1e-9, atol=0.0, equal_nan=True)
        ):
            return label
    return None


def _legend_beside(ax: Any) -> None:
    """The legend right of the axes: it can cover no line and no event label."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)


def plot_learning_curve(
    per_cycle: Mapping[str, Sequence[float]],
    path: str | Path,
    ylabel: str = "RMS tracking error per cycle (mm)",
    scale: float = 1e3,
    events: Mapping[str, float] | None = None,
    xlabel: str = "cycle",
    spans: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """One value per cycle (or per block of episodes, with ``xlabel``) for each controller.

    ``spans`` maps a label to an x range (e.g. the cycles of a probe phase),
    drawn as a shaded band labelled at its foot.
    """
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for k, (label, (x0, x1)) in enumerate((spans or {}).items()):
        ax.axvspan(x0, x1, color=f"C{k % 10}", alpha=0.12, linewidth=0)
        ax.annotate(
            label,
            (0.5 * (x0 + x1), 0.02),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=7,
            rotation=90,
            color="0.2",
        )
    drawn: list[tuple[str, np.ndarray, np.ndarray]] = []
    for label, values in per_cycle.items():
        values = np.asarray(values, dtype=float) * scale
        x = np.arange(1, len(values) + 1)
        same = _coinciding(x, values, drawn)
        if same is None:
            ax.plot(x, values, marker="o", markersize=3, label=label)
        else:  # hollow, larger markers and a dashed line over the line it coincides with
            ax.plot(x, values, marker="o", markersize=7, fillstyle="none", linestyle=(0, (3, 3)),
                    label=f"{label} (= {same})")  # fmt: skip
        drawn.append((label, x, values))
    _mark_events(ax, events or {})
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # cycles are whole numbers
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    _legend_beside(ax)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_trajectory(
    hand: np.ndarray, reference: np.ndarray, path: str | Path, title: str = ""
) -> Path:
    """Hand path against the reference path in the horizontal (x, y) plane (m)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(reference[:, 0], reference[:, 1], color="0.6", linewidth=2, label="reference")
    ax.plot(hand[:, 0], hand[:, 1], linewidth=1, label="hand")
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_spike_raster(
    spike_steps: np.ndarray,
    neuron_ids: np.ndarray,
    path: str | Path,
    dt: float = 1e-3,
    title: str = "",
    events: Mapping[str, float] | None = None,
) -> Path:
    """Raster of spikes: ``spike_steps[k]`` is the step at which ``neuron_ids[k]`` fired.

    ``events`` (label -> time, s) inside the recorded window are drawn as
    vertical lines, e.g. the perturbation's onset.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    times = np.asarray(spike_steps) * dt
    ax.scatter(times, neuron_ids, s=0.5, marker="|", color="k")
    if times.size and events:
        low, high = times.min() - dt, times.max() + dt
        _mark_events(ax, {k: t for k, t in events.items() if low <= t <= high})
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("neuron index")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def plot_weight_histogram(
    weights: Mapping[str, np.ndarray],
    path: str | Path,
    xlabel: str = "weight",
    title: str = "",
) -> Path:
    """Histogram of each named weight array (e.g. learned decoders).

    ``xlabel`` says which weights and in what unit (e.g. ``decoder weight
    (N·m/Hz)``); ``title`` what they are.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, values in weights.items():
        values = np.ravel(values)
        ax.hist(values, bins=60, alpha=0.6, label=f"{label} ({values.size} weights)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("number of weights")
    ax.set_yscale("log")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_hybrid_comparison(
    time: np.ndarray,
    action_spiking: np.ndarray,
    action_dense: np.ndarray,
    energy_spiking: np.ndarray,
    energy_dense: np.ndarray,
    path: str | Path,
) -> Path:
    """The hybrid log: both actions per joint, their difference, and cumulative energy."""
    plt = _pyplot()
    n_joints = action_spiking.shape[1]
    fig, axes = plt.subplots(n_joints + 1, 1, figsize=(9, 1.8 * (n_joints + 1)), sharex=True)
    for j in range(n_joints):
        ax = axes[j]
        ax.plot(time, action_dense[:, j], linewidth=1, label="dense (rate twin, shadow)")
        ax.plot(time, action_spiking[:, j], linewidth=1, alpha=0.8, label="spiking (drives)")
        ax.set_ylabel(f"joint {j} torque\n(fraction of limit)", fontsize=8)
        ax.grid(alpha=0.3)
    _legend_beside(axes[0])
    ax = axes[-1]
    ax.plot(time, np.cumsum(energy_dense) * 1e6, label="dense (MACs)")
    ax.plot(time, np.cumsum(energy_spiking) * 1e6, label="spiking (SynOps, updates)")
    ax.set_ylabel("cumulative energy\nestimate (µJ)", fontsize=8)
    ax.set_xlabel("simulated time (s)")
    _legend_beside(ax)
    ax.grid(alpha=0.3)
    return _save(fig, path)
