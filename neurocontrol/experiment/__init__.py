"""Experiments and what comes of them: protocols, probes, measures, runs on disk, results.

:mod:`~neurocontrol.experiment.protocol` (:class:`ExperimentConfig`,
:func:`run_experiment`) runs agents through a perturbation schedule;
:mod:`~neurocontrol.experiment.probes` and
:mod:`~neurocontrol.experiment.measures` define what is measured;
:mod:`~neurocontrol.experiment.runs`, :mod:`~neurocontrol.experiment.journal`
and :mod:`~neurocontrol.experiment.training` keep a run's work on disk;
:mod:`~neurocontrol.experiment.results` and
:mod:`~neurocontrol.experiment.reporting` turn it into tables and files;
:mod:`~neurocontrol.experiment.evaluate` and
:mod:`~neurocontrol.experiment.demo` replay and demonstrate.
"""

from __future__ import annotations

from typing import Any

#: Names of :mod:`~neurocontrol.experiment.protocol` importable from here.
_PROTOCOL = (
    "AgentOutputs", "AgentResult", "EnvConfig", "ExperimentConfig", "ExperimentResult",
    "Journal", "ScheduleEvent", "SeedRun", "check_measurable", "cycle_table", "default_config",
    "measure_table", "run_experiment",
)  # fmt: skip
__all__ = sorted(_PROTOCOL)


def __getattr__(name: str) -> Any:  # imported on first use: a protocol pulls in agents and envs
    if name in _PROTOCOL:
        from neurocontrol.experiment import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
