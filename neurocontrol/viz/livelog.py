"""Live TensorBoard logs of a run: per-cycle figures written while the episodes run.

:class:`TensorBoardLog` owns one event-file writer (``tensorboardX``; no
torch needed) in ``<run>/tensorboard/``; :meth:`TensorBoardLog.episode` gives
a step callback that sums what it needs per step (a few float additions;
a spike count and an operation count where the agent has a network) and, at
each cycle boundary, writes that cycle's figures:

``<agent>/error_<unit>``        the run's measure over the cycle (RMS; mm or N)
``<agent>/real_time_factor``    simulated over wall-clock seconds of the cycle
``<agent>/spike_rate_hz``       mean firing rate per neuron (spiking agents)
``<agent>/energy_uj``           energy estimate of the cycle's operations
                                (:class:`~neurocontrol.core.energy.EnergyModel`)

each at step = cycle index, one run per seed (``seed<k>/`` in the tag). When
an episode ends, ``<agent>/phase_<name>`` holds the measure per phase
(``before``, ``adapted``, ``learning frozen``, ...: those of
:meth:`~neurocontrol.experiment.protocol.ExperimentResult.phases`) at step = seed.
Open it with ``tensorboard --logdir runs/<run>/tensorboard``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.errors import ConfigError

__all__ = ["TensorBoardLog"]


def _summary_writer(folder: Path) -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError as exc:
        raise ConfigError(
            "tensorboard logging needs tensorboardX: pip install 'neurocontrol[viz]'"
        ) from exc
    return SummaryWriter(logdir=str(folder), flush_secs=5)


def _tag(label: str) -> str:
    """A TensorBoard tag part: the label with separators TensorBoard would split on replaced."""
    tag = "".join(c if c.isalnum() or c in "-." else " " for c in label)
    return "_".join(tag.split()) or "agent"


class TensorBoardLog:
    """Per-cycle scalars of every episode of a run, in ``folder``.

    Parameters
    ----------
    folder
        Where the event file goes (created).
    config
        The run's :class:`~neurocontrol.experiment.protocol.ExperimentConfig` (the measure,
        the cycle length, the phases).
    """

    def __init__(self, folder: str | Path, config: Any) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.writer = _summary_writer(self.folder)

    def episode(self, agent: Any, label: str, seed: int, dt: float) -> _CycleLogger:
        """The step callback for one episode of ``agent``; call its ``finish`` at the end."""
        return _CycleLogger(self, agent, f"{_tag(label)}/seed{seed}", dt)

    def scalar(self, tag: str, value: float, step: int) -> None:
        """Write one scalar (NaN is skipped: TensorBoard draws it as a gap anyway)."""
        if math.isfinite(value):
            self.writer.add_scalar(tag, value, step)

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()


class _CycleLogger:
    """Sums one episode's figures per cycle and writes them when a cycle ends."""

    def __init__(self, log: TensorBoardLog, agent: Any, prefix: str, dt: float) -> None:
        from neurocontrol.core.energy import EnergyModel
        from neurocontrol.experiment.protocol import _simulator_of

        self.log = log
        self.prefix = prefix
        self.dt = dt
        config = log.config
        measure = config.measure
        self.force = measure.name == "force_error"
        if self.force:
            from neurocontrol.envs.tasks.press import PRESS

            self.press_phase = PRESS
        # tracking error (m, logged in mm), or force error (N) while pressing
        self.unit, self.scale = ("N", 1.0) if self.force else ("mm", 1e3)
        self.window = (
            None if config.cycle_duration is None else max(1, round(config.cycle_duration / dt))
        )
        self.simulator = _simulator_of(agent)
        self.n_neurons = 0 if self.simulator is None else self.simulator.spikes.size
        ops = getattr(agent, "ops", None)
        if ops is None:  # a hybrid: the side that drives
            ops = getattr(getattr(agent, "spiking", None), "ops", None)
        self.ops = ops if isinstance(ops, np.ndarray) and ops.size == 3 else None
        model = EnergyModel()
        self.prices = np.array([model.e_synop, model.e_neuron_update, model.e_mac])
        self.cycle = 0
        self._reset_sums()

    def _reset_sums(self) -> None:
        self.sum_sq = 0.0
        self.count = 0
        self.spikes = 0
        self.steps = 0
        self.ops_sum = np.zeros(3)
        self.wall_start = time.perf_counter()

    def __call__(self, step: int, obs: Any, action: Any, reward: float, info: dict) -> None:
        cycle = info.get("cycle", 0) if self.window is None else step // self.window
        if cycle != self.cycle:
            self._flush()
            self.cycle = cycle
        if self.force:
            if info.get("phase") == self.press_phase:
                error = info["normal_force"] - info["target_force"]
                self.sum_sq += error * error
                self.count += 1
        else:
            error = info.get("tracking_error", math.nan)
            if error == error:  # not NaN
                self.sum_sq += error * error
                self.count += 1
        self.steps += 1
        if self.simulator is not None:
            self.spikes += int(np.count_nonzero(self.simulator.spikes))
        if self.ops is not None:
            self.ops_sum += self.ops

    def _flush(self) -> None:
        if self.steps == 0:
            return
        log, prefix, cycle = self.log, self.prefix, self.cycle
        seconds = self.steps * self.dt
        wall = time.perf_counter() - self.wall_start
        if self.count:
            rms = math.sqrt(self.sum_sq / self.count) * self.scale
            log.scalar(f"{prefix}/error_{self.unit}", rms, cycle)
        log.scalar(f"{prefix}/real_time_factor", seconds / wall if wall > 0 else math.inf, cycle)
        if self.n_neurons:
            log.scalar(f"{prefix}/spike_rate_hz", self.spikes / (self.n_neurons * seconds), cycle)
        if self.ops is not None:
            log.scalar(f"{prefix}/energy_uj", float(self.ops_sum @ self.prices) * 1e6, cycle)
        self._reset_sums()

    def finish(self, episode: Any, label: str, seed_index: int) -> None:
        """Write the last (possibly partial) cycle and the measure per phase of ``episode``."""
        from neurocontrol.experiment.protocol import AgentResult, ExperimentResult

        self._flush()
        config = self.log.config
        alone = AgentResult(label, [episode], None, config=config)
        try:
            table = ExperimentResult(config, {label: alone}).table()[label]
        except ConfigError:  # too short for one block of trials: no phase to log
            table = {}
        agent_tag = self.prefix.split("/")[0]
        scale = config.measure.scale
        for phase, value in table.items():
            self.log.scalar(f"{agent_tag}/phase_{_tag(phase)}", value * scale, seed_index)
        self.log.writer.flush()
