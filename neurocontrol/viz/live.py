"""What a run writes while its episodes run: a video of one episode, TensorBoard logs.

:class:`LiveOutputs` is built by :func:`~neurocontrol.experiment.protocol.run_experiment`
from the config's ``video`` and ``tensorboard`` entries and the run
directory; :meth:`LiveOutputs.episode` gives the step callbacks of one
(agent, seed) episode and a ``finish`` to call when it ends. Without a
folder, or with neither entry set, it adds no callback: the loop runs as
it does without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["LiveOutputs"]

log = logging.getLogger(__name__)


class LiveOutputs:
    """The live outputs of one run into ``folder`` (None: none)."""

    def __init__(self, config: Any, folder: str | Path | None) -> None:
        self.config = config
        self.folder = None if folder is None else Path(folder)
        self.video = config.video_options if self.folder is not None else None
        self.tensorboard = None
        if self.folder is not None and config.tensorboard:
            from neurocontrol.viz.livelog import TensorBoardLog

            self.tensorboard = TensorBoardLog(self.folder / "tensorboard", config)
            log.info("TensorBoard log in %s", self.tensorboard.folder)

    @property
    def render_mode(self) -> str | None:
        """The env's render mode the outputs need (``rgb_array`` to film, else None)."""
        return "rgb_array" if self.video is not None else None

    def films(self, label: str, seed: int) -> bool:
        """Whether the episode of agent ``label`` on ``seed`` is the one filmed."""
        if self.video is None:
            return False
        agent = self.video.agent if self.video.agent is not None else next(iter(self.config.agents))
        first_seed = self.video.seed if self.video.seed is not None else self.config.seeds[0]
        return label == agent and seed == first_seed

    def episode(
        self, env: Any, agent: Any, label: str, seed: int, dt: float
    ) -> tuple[list[Callable[..., Any]], Callable[[Any], None], Callable[[], None]]:
        """Step callbacks of one episode, ``finish(episode)`` and ``abort()``."""
        callbacks: list[Callable[..., Any]] = []
        recorder = cycles = None
        if self.films(label, seed):
            from neurocontrol.viz.video import VideoRecorder, phase_labels

            assert self.folder is not None and self.video is not None
            recorder = VideoRecorder(
                env,
                self.folder / self.video.file,
                self.video,
                caption=phase_labels(self.config.schedule),
                title=f"{label}, seed {seed}",
            )
            callbacks.append(recorder)
        if self.tensorboard is not None:
            cycles = self.tensorboard.episode(agent, label, seed, dt)
            callbacks.append(cycles)
        seed_index = self.config.seeds.index(seed)

        def finish(episode: Any) -> None:
            if recorder is not None:
                recorder.close()
                log.info("video of %s, seed %d: %s (%d frames)", label, seed, recorder.path,
                         recorder.frames)  # fmt: skip
            if cycles is not None:
                cycles.finish(episode, label, seed_index)

        def abort() -> None:
            if recorder is not None:
                recorder.discard()

        return callbacks, finish, abort

    def close(self) -> None:
        """Close the TensorBoard writer."""
        if self.tensorboard is not None:
            self.tensorboard.close()
