"""Statistics of per-step records: RMS, RMS over windows or cycles, NaN-aware means, latencies.

Plain NumPy on arrays the loop records; every layer that summarises a trace
uses these (one windowed RMS for cycles, probes and phases alike).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["latency_summary", "nan_mean", "per_cycle_rms", "rms", "window_rms"]


def rms(values: np.ndarray) -> float:
    """Root mean square of ``values`` (NaN for an empty array)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean(values * values)))


def window_rms(
    values: np.ndarray, sim_time: np.ndarray, starts_index: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """Start time (s) and RMS of ``values`` over each window, NaN entries left out.

    ``starts_index`` holds the first step of each window (the first is 0);
    ``sim_time`` is the time at the end of each step of length ``dt``. A window
    without a defined value gives NaN.
    """
    defined = np.isfinite(values)
    squares = np.where(defined, values * values, 0.0)
    sums = np.add.reduceat(squares, starts_index)
    counts = np.add.reduceat(defined.astype(np.int64), starts_index)
    starts = sim_time[starts_index] - dt
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(sums / counts)
    return starts, np.where(counts > 0, rms, np.nan)


def per_cycle_rms(error: np.ndarray, time: np.ndarray, cycle_duration: float) -> np.ndarray:
    """RMS of ``error`` over consecutive windows of ``cycle_duration`` seconds (:func:`window_rms`).

    ``time`` is the simulated time of each step (s), non-decreasing; one
    value per complete or partial cycle, in order.
    """
    error = np.asarray(error, dtype=np.float64)
    time = np.asarray(time, dtype=np.float64)
    if error.shape != time.shape:
        raise ValueError(
            f"error and time must have the same shape, got {error.shape} and {time.shape}"
        )
    if error.size == 0:
        return np.empty(0)
    # the epsilon keeps a step that lands on a boundary (up to the rounding of k dt) in its cycle
    cycle = np.floor((time - time[0]) / cycle_duration + 1e-9).astype(np.int64)
    starts_index = np.flatnonzero(np.diff(cycle, prepend=-1))
    return window_rms(error, time, starts_index, 0.0)[1]


def nan_mean(values: Any, axis: int | None = None) -> Any:
    """Mean over the defined (non-NaN) entries; NaN, without a warning, where there are none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def latency_summary(microseconds: np.ndarray) -> dict[str, float]:
    """Median, 99th percentile, mean and max of per-step latencies (us)."""
    values = np.asarray(microseconds, dtype=np.float64)
    if values.size == 0:
        return {
            "p50_us": float("nan"),
            "p99_us": float("nan"),
            "mean_us": float("nan"),
            "max_us": float("nan"),
        }
    p50, p99 = np.percentile(values, [50, 99])
    return {
        "p50_us": float(p50),
        "p99_us": float(p99),
        "mean_us": float(values.mean()),
        "max_us": float(values.max()),
    }
