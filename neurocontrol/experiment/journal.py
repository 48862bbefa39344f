"""A run's store of finished episodes: ``episodes/`` in its run directory.

:func:`~neurocontrol.experiment.protocol.run_experiment` hands each (agent, seed)
episode to :class:`RunJournal` the moment it ends, and each agent's outputs
(decoders, comparison log) after its last seed, with the first agent's
checkpoint beside them. Every file is written atomically, so a run stopped
at any moment keeps whole episodes only, and a resumed run takes them from
here instead of running them again (:mod:`neurocontrol.experiment.training`).

Files (``<k>`` is the agent's index in the config)::

    episodes/<k>-seed<seed>.npz   trace/<name> per-step arrays, meta (JSON), raster
    episodes/<k>-outputs.npz      decoders, log/<name> arrays, log_summary (JSON)
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.agents.agent import Agent
from neurocontrol.errors import CheckpointError
from neurocontrol.experiment.protocol import AgentOutputs, SeedRun
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.loop.episode import EpisodeResult
from neurocontrol.utils.fileio import atomic_path

__all__ = ["RunJournal"]

_EPISODE_FILE = re.compile(r"^\d+-seed\d+\.npz$")
_TRACE = "trace/"
_LOG = "log/"
#: What an episode file's meta entry holds besides the trace.
_EPISODE_META = (
    "label", "seed", "steps", "terminated", "truncated", "wall_time", "cpu_time", "load_average",
)  # fmt: skip


class RunJournal:
    """The episode store of ``run``; counts what is done in the run's status.

    Parameters
    ----------
    run
        The run directory.
    total
        Episodes the run has in all (agents x seeds), for the status.
    """

    def __init__(self, run: RunDirectory, total: int) -> None:
        self.run = run
        self.folder = run.file("episodes")
        self.folder.mkdir(exist_ok=True)
        self.total = total

    def done(self) -> int:
        """How many episodes are stored (whole files only, not one being written)."""
        return sum(1 for path in self.folder.iterdir() if _EPISODE_FILE.match(path.name))

    def _episode_path(self, agent_index: int, seed: int) -> Path:
        return self.folder / f"{agent_index}-seed{seed}.npz"

    def _outputs_path(self, agent_index: int) -> Path:
        return self.folder / f"{agent_index}-outputs.npz"

    def episode(self, agent_index: int, label: str, seed: int) -> SeedRun | None:
        """The stored episode of agent ``agent_index`` on ``seed``, or None."""
        path = self._episode_path(agent_index, seed)
        if not path.is_file():
            return None
        arrays = _read(path)
        meta = _meta(path, arrays, "meta")
        missing = sorted(set(_EPISODE_META) - set(meta))
        if missing:
            raise CheckpointError(f"{path} lacks {missing} in its 'meta' entry; delete it")
        if meta["label"] != label or meta["seed"] != seed:
            raise CheckpointError(
                f"{path} holds agent {meta['label']!r} seed {meta['seed']!r}, not "
                f"{label!r} seed {seed}: the run's config changed; start a new run"
            )
        trace = {k[len(_TRACE) :]: v for k, v in arrays.items() if k.startswith(_TRACE)}
        lengths = {len(v) for v in trace.values()}
        if lengths != {meta["steps"]}:
            raise CheckpointError(
                f"{path} has traces of {sorted(lengths)} steps for an episode of {meta['steps']}"
            )
        episode = EpisodeResult(
            seed, meta["steps"], meta["terminated"], meta["truncated"], meta["wall_time"], trace
        )
        raster = None
        if "raster_steps" in arrays:
            raster = (arrays["raster_steps"], arrays["raster_neurons"])
        return SeedRun(episode, meta["cpu_time"], meta["load_average"], raster)

    def record_episode(self, agent_index: int, label: str, seed: int, run: SeedRun) -> None:
        """Keep ``run`` (atomically) and count it in the run's status."""
        episode = run.episode
        meta = {
            "label": label,
            "seed": seed,
            "steps": episode.steps,
            "terminated": bool(episode.terminated),
            "truncated": bool(episode.truncated),
            "wall_time": episode.wall_time,
            "cpu_time": run.cpu_time,
            "load_average": run.load_average,
        }
        arrays = {f"{_TRACE}{k}": v for k, v in episode.trace.items()}
        arrays["meta"] = np.array(json.dumps(meta))
        if run.raster is not None:
            arrays["raster_steps"], arrays["raster_neurons"] = run.raster
        _write(self._episode_path(agent_index, seed), arrays)
        self.run.set_status(done=self.done(), total=self.total)

    def agent_outputs(self, agent_index: int, label: str) -> AgentOutputs | None:
        """The stored outputs of agent ``agent_index``, or None."""
        path = self._outputs_path(agent_index)
        if not path.is_file():
            return None
        arrays = _read(path)
        meta = _meta(path, arrays, "meta")
        if meta.get("label") != label:
            raise CheckpointError(
                f"{path} holds the outputs of agent {meta.get('label')!r}, not {label!r}: the "
                "run's config changed; start a new run"
            )
        log = None
        if "log_summary" in arrays:
            log = {k[len(_LOG) :]: v for k, v in arrays.items() if k.startswith(_LOG)}
            log["summary"] = _meta(path, arrays, "log_summary")
        return AgentOutputs(arrays.get("decoders"), log)

    def record_agent(
        self, agent_index: int, label: str, agent: Agent, outputs: AgentOutputs
    ) -> None:
        """Keep ``outputs``; the first agent's checkpoint goes beside the results."""
        if agent_index == 0 and callable(getattr(agent, "save", None)):
            agent.save(self.run.file("checkpoint"))  # type: ignore[attr-defined]
        arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps({"label": label}))}
        if outputs.decoders is not None:
            arrays["decoders"] = outputs.decoders
        if outputs.log is not None:
            summary = outputs.log.get("summary", {})
            arrays.update(
                {f"{_LOG}{k}": np.asarray(v) for k, v in outputs.log.items() if k != "summary"}
            )
            arrays["log_summary"] = np.array(json.dumps(summary))
        _write(self._outputs_path(agent_index), arrays)


def _write(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise CheckpointError(
            f"cannot read {path}: {exc}; delete it to run that episode again"
        ) from exc


def _meta(path: Path, arrays: Mapping[str, np.ndarray], key: str) -> dict[str, Any]:
    try:
        meta = json.loads(str(arrays[key]))
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{path} has no valid {key!r} entry; delete it") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path} has no valid {key!r} entry; delete it")
    return meta
