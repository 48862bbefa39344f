"""What an experiment measures, per step and per cycle, window or block of trials; the
compute it costs.

An experiment names one measure (``ExperimentConfig.metric``):

====================  ====  ==========================================================
measure               unit  per step, from ``info``; then per cycle / block
====================  ====  ==========================================================
``tracking_error``    m     ``tracking_error`` (hand to reference); RMS per cycle
``force_error``       N     :math:`|F - F^*|` (``normal_force``, ``target_force``) while
                            ``phase`` is the press phase (else undefined); RMS per cycle
``trial_success``     1     one trial per outward reach (``target_id >= 0``): its
                            ``is_success`` on the reach's last step; mean per block
====================  ====  ==========================================================

A *cycle* is one pass through the env's target sequence (``info["cycle"]``)
or, where the env has none (ArmPress) or the config asks for it, a window of
``cycle_duration`` seconds. Each measure lists the ``info`` keys the loop has
to record (:func:`neurocontrol.loop.episode.run_episode`'s ``info_keys``).

Compute is counted in synaptic operations (SynOps: one spike delivered to
one synapse) for spiking networks and multiply-accumulates (MACs) for dense
arithmetic, and turned into energy by an :class:`EnergyModel` whose
per-operation constants name their source; the loop's own step latencies
are summarised by :func:`latency_summary`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from neurocontrol.envs.tasks.press import PRESS
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import require_nonnegative

__all__ = [
    "MEASURES",
    "EnergyModel",
    "Measure",
    "block_rates",
    "latency_summary",
    "nan_mean",
    "per_cycle_rms",
    "rms",
    "trial_outcomes",
    "window_rms",
]


def _tracking_error(trace: Mapping[str, np.ndarray]) -> np.ndarray:
    return trace["tracking_error"]


def _force_error(trace: Mapping[str, np.ndarray]) -> np.ndarray:
    error = np.abs(trace["normal_force"] - trace["target_force"])
    return np.where(trace["phase"] == PRESS, error, np.nan)


@dataclass(frozen=True)
class Measure:
    """One measured quantity: the info keys it needs and how it is shown.

    Parameters
    ----------
    name : str
        Its name in configs and files.
    description : str
        What a table of it shows, e.g. ``"RMS force error"``.
    unit : str
        SI unit of the stored values (``""`` for a rate).
    display_unit : str
        Unit in tables and plots; ``scale`` converts to it.
    scale : float
        Stored value x ``scale`` = displayed value.
    info_keys : tuple of str
        ``info`` keys the loop records for it.
    per_step : callable or None
        ``trace -> values per step`` (NaN where undefined) for per-cycle RMS
        measures; None for trial measures.
    """

    name: str
    description: str
    unit: str
    display_unit: str
    scale: float
    info_keys: tuple[str, ...]
    per_step: Callable[[Mapping[str, np.ndarray]], np.ndarray] | None

    @property
    def trial_based(self) -> bool:
        """Whether it counts trials in blocks rather than RMS per cycle."""
        return self.per_step is None

    def display(self, value: float) -> str:
        """``value`` (stored unit) as text in the display unit."""
        if not np.isfinite(value):
            return "-"
        if self.display_unit == "%":
            return f"{value * self.scale:.0f}%"
        return f"{value * self.scale:.2f} {self.display_unit}"


MEASURES: dict[str, Measure] = {
    "tracking_error": Measure(
        "tracking_error", "RMS tracking error", "m", "mm", 1e3, (), _tracking_error
    ),
    "force_error": Measure(
        "force_error",
        "RMS force error",
        "N",
        "N",
        1.0,
        ("normal_force", "target_force", "phase"),
        _force_error,
    ),
    "trial_success": Measure(
        "trial_success", "success rate", "", "%", 100.0, ("target_id", "is_success"), None
    ),
}


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


def rms(values: np.ndarray) -> float:
    """Root mean square of ``values`` (NaN for an empty array)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean(values * values)))


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


def trial_outcomes(trace: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """End time (s) and outcome (1.0 success, 0.0 failure) of each completed trial.

    A trial is one movement of the env's target sequence towards a peripheral
    target (``target_id >= 0``, returns to the centre are not trials), judged
    by the env's ``is_success`` on its last step. A movement cut off by the end
    of the episode is not counted.
    """
    segment = trace["target_index"].astype(np.int64)
    if segment.size == 0 or segment.min() < 0:
        raise ConfigError(
            "the env reports no target sequence (info['target_index']); cannot count trials"
        )
    last = np.flatnonzero(np.diff(segment))  # the last step of every completed movement
    outward = trace["target_id"][last] >= 0
    ends = last[outward]
    return trace["sim_time"][ends], (trace["is_success"][ends] > 0).astype(float)


def block_rates(outcomes: np.ndarray, block: int) -> np.ndarray:
    """Mean of ``outcomes`` over consecutive whole blocks of ``block`` trials."""
    n_blocks = outcomes.size // block
    return outcomes[: n_blocks * block].reshape(n_blocks, block).mean(axis=1)


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


@dataclass(frozen=True)
class EnergyModel:
    r"""Per-operation energies for a compute-cost estimate.

    .. math::

        E_{spiking} = N_{SynOp} \, e_{synop} + N_{neuron\ updates} \, e_{neuron}, \qquad
        E_{dense} = N_{MAC} \, e_{mac}

    The defaults are the 45 nm CMOS figures of Horowitz (2014), "Computing's
    energy problem (and what we can do about it)", ISSCC: a 32-bit float add
    (0.9 pJ) for a SynOp, which accumulates one weight, and a 32-bit float
    multiply plus add (3.7 + 0.9 = 4.6 pJ) for a MAC. Neuron state updates are
    counted at one MAC each by default (a leaky integration is a multiply-add).
    :meth:`loihi` gives Intel Loihi's measured figures instead (Davies et al.
    2018, IEEE Micro 38(1):82-99: 23.6 pJ per synaptic spike operation, 52 pJ
    per neuron update), for an estimate on neuromorphic hardware.

    What each side counts per step (the base controller, identical on both
    sides of a hybrid, on neither) is its network's own count
    (:attr:`neurocontrol.core.simulator.Simulator.operations`): for the adaptive
    spiking controller (:class:`~neurocontrol.agents.adaptive.AdaptiveController`)
    one neuron update per state variable per neuron and step, a SynOp per
    input event and target neuron, per spike and output (decoding) and per
    decoder add of event-driven PES, and MACs for whatever it computes
    densely (input currents or receptive fields, output synapses, the scaled
    error); for its rate twin MACs for its encoding, rate nonlinearity
    (counted as one: a lower bound), decoding and PES. Memory traffic is
    counted on neither side.

    All energies are in joules per operation.
    """

    e_synop: float = 0.9e-12
    e_mac: float = 4.6e-12
    e_neuron_update: float = 4.6e-12
    source: str = "Horowitz 2014 (ISSCC), 45 nm, 32-bit float"

    def __post_init__(self) -> None:
        for name in ("e_synop", "e_mac", "e_neuron_update"):
            require_nonnegative(f"EnergyModel.{name}", getattr(self, name))

    @classmethod
    def loihi(cls) -> EnergyModel:
        """Figures measured on Intel Loihi (Davies et al. 2018) for the spiking side."""
        return cls(
            e_synop=23.6e-12,
            e_mac=4.6e-12,
            e_neuron_update=52e-12,
            source="spiking: Davies et al. 2018 (Loihi); dense: Horowitz 2014, 45 nm float32",
        )

    def spiking_energy(self, synops: float, neuron_updates: float) -> float:
        """Energy (J) of ``synops`` synaptic events and ``neuron_updates`` state updates."""
        return synops * self.e_synop + neuron_updates * self.e_neuron_update

    def dense_energy(self, macs: float) -> float:
        """Energy (J) of ``macs`` multiply-accumulates."""
        return macs * self.e_mac

    def to_dict(self) -> dict[str, float | str]:
        """Plain data (for configs and logs)."""
        return asdict(self)
