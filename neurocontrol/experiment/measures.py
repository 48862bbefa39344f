"""What an experiment measures, per step and per cycle, window or block of trials.

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

The windowed arithmetic is :mod:`neurocontrol.utils.statistics`
(:func:`~neurocontrol.utils.statistics.window_rms`), the energy estimate
:mod:`neurocontrol.core.energy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from neurocontrol.envs.tasks.press import PRESS
from neurocontrol.errors import ConfigError

__all__ = ["MEASURES", "Measure", "block_rates", "trial_outcomes"]


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
