"""Parameter sweeps of experiments on Ray Tune (``neurocontrol sweep``).

:func:`run_sweep` runs a sweep file (:func:`load_sweep`): a base experiment,
a search space over dotted keys, seeds and metrics. Ray is imported only
when a sweep runs.
"""

from __future__ import annotations

from neurocontrol.sweep.driver import SweepOutcome, connect, run_sweep
from neurocontrol.sweep.spec import METRICS, SweepConfig, load_sweep, sweep_from_dict

__all__ = [
    "METRICS",
    "SweepConfig",
    "SweepOutcome",
    "connect",
    "load_sweep",
    "run_sweep",
    "sweep_from_dict",
]
