"""Videos of the arm: rendered frames with the reference, the hand path and the phase drawn on.

:class:`VideoRecorder` is a step callback of :func:`~neurocontrol.loop.episode.run_episode`:
every ``1 / (fps * dt)`` control steps it renders the env off-screen
(``render_mode="rgb_array"``: PyBullet DIRECT with the Tiny renderer, no
display needed), draws the reference path, the hand path and a caption
(simulated time and the schedule's phase, e.g. "curl field on - learning
frozen") onto the image with PIL (PyBullet's headless renderer draws no
debug text), and hands it to an imageio-ffmpeg writer. Between frames a
call costs one comparison, so recording costs what its frames need; without
a recorder the loop does nothing extra.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.errors import ConfigError
from neurocontrol.utils.fileio import publish, staged_path
from neurocontrol.utils.validation import require_int, require_positive

__all__ = ["VideoOptions", "VideoRecorder", "phase_labels", "project_points"]

#: colours of the overlay (RGB)
_REFERENCE = (20, 160, 40)
_HAND = (235, 90, 0)
_TEXT = (20, 20, 20)
#: seconds of hand and reference path kept on screen
_TRAIL_S = 1.5


def _require_writer() -> Any:
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (the writer imageio uses for .mp4)
    except ImportError as exc:
        raise ConfigError(
            "video needs imageio and imageio-ffmpeg: pip install 'neurocontrol[viz]'"
        ) from exc
    return imageio


class VideoOptions:
    """What to record: frame rate, frame size, and for a training run which episode.

    Parameters
    ----------
    fps
        Frames per second of simulated time (and of the video): one frame every
        ``round(1 / (fps * dt))`` control steps.
    width, height
        Frame size (pixels); even numbers (the H.264 encoder needs them).
    agent
        Label of the agent to film in a training run (default: the first).
    seed
        Seed to film (default: the run's first).
    file
        File name inside the run directory (``video.mp4``).
    """

    KEYS = ("fps", "width", "height", "agent", "seed", "file")

    def __init__(
        self,
        fps: float = 30.0,
        width: int = 480,
        height: int = 360,
        agent: str | None = None,
        seed: int | None = None,
        file: str = "video.mp4",
    ) -> None:
        self.fps = require_positive("video.fps", fps)
        self.width = require_int("video.width", width, minimum=16)
        self.height = require_int("video.height", height, minimum=16)
        for name, value in (("width", width), ("height", height)):
            if value % 2:
                raise ConfigError(
                    f"video.{name} must be even (the H.264 encoder halves it); got {value}"
                )
        self.agent = agent
        self.seed = None if seed is None else require_int("video.seed", seed, minimum=0)
        if not isinstance(file, str) or not file.endswith(".mp4") or "/" in file:
            raise ConfigError(
                f"video.file must be a file name ending in .mp4, without a folder; got {file!r}"
            )
        self.file = file

    @classmethod
    def from_spec(cls, spec: Any) -> VideoOptions:
        """Options from a config's ``video:`` entry: ``true`` or a mapping of :attr:`KEYS`."""
        if spec is True:
            return cls()
        if not isinstance(spec, dict):
            raise ConfigError(
                f"video must be true or a mapping with keys {', '.join(cls.KEYS)}; got {spec!r}"
            )
        unknown = sorted(set(spec) - set(cls.KEYS))
        if unknown:
            raise ConfigError(f"video: unknown keys {unknown}; accepted: {', '.join(cls.KEYS)}")
        return cls(**spec)

    def steps_per_frame(self, dt: float) -> int:
        """Control steps between frames at control period ``dt`` (s)."""
        return max(1, round(1.0 / (self.fps * dt)))


def phase_labels(schedule: Sequence[Any]) -> Callable[[float], str]:
    """``label(t)``: what the schedule has switched on at time ``t`` (s), for a caption.

    The perturbation's event label (or "perturbation on") and, while
    learning is off, "learning frozen"; "no perturbation" before any event.
    """
    times = [0.0]
    labels = ["no perturbation"]
    perturbation, learning = "no perturbation", True
    for event in schedule:
        if event.learning is not None:
            learning = bool(event.learning)
        elif event.perturbation is None:
            perturbation = event.label or "no perturbation"
        else:
            perturbation = event.description
        text = perturbation if learning else f"{perturbation} - learning frozen"
        if event.at <= times[-1]:
            labels[-1] = text
        else:
            times.append(event.at)
            labels.append(text)

    def label(t: float) -> str:
        return labels[bisect.bisect_right(times, t) - 1]

    return label


def project_points(points: np.ndarray, view: Sequence[float], projection: Sequence[float],
                   width: int, height: int) -> np.ndarray:  # fmt: skip
    """Pixel coordinates (n x 2, x right, y down) of world points (n x 2 or n x 3, m).

    ``view`` and ``projection`` are PyBullet's column-major matrices
    (:func:`neurocontrol.envs.sim.camera_matrices`); 2-D points lie at z = 0.
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    homogeneous = np.zeros((points.shape[0], 4))
    homogeneous[:, : min(3, points.shape[1])] = points[:, :3]
    homogeneous[:, 3] = 1.0
    clip = (
        homogeneous @ (np.asarray(projection).reshape(4, 4).T @ np.asarray(view).reshape(4, 4).T).T
    )
    ndc = clip[:, :2] / clip[:, 3:4]
    return np.column_stack([(ndc[:, 0] + 1.0) * 0.5 * width, (1.0 - ndc[:, 1]) * 0.5 * height])


class VideoRecorder:
    """Step callback that films an episode of an arm env into ``path`` (.mp4, H.264).

    Parameters
    ----------
    env
        The env being stepped, made with ``render_mode="rgb_array"``.
    path
        Output file, written by imageio-ffmpeg; it appears whole when :meth:`close`
        finishes it (a recorder stopped by an error leaves no file).
    options
        Frame rate and size (the env's render size is set to it).
    caption
        ``caption(t)`` -> the phase text at simulated time ``t`` (default: none).
    title
        First caption line (e.g. the agent's label).

    Call :meth:`close` when the episode ends (or use it as a context manager,
    which discards the video if the block raises); ``frames`` counts the frames.
    """

    def __init__(
        self,
        env: Any,
        path: str | Path,
        options: VideoOptions | None = None,
        caption: Callable[[float], str] | None = None,
        title: str = "",
    ) -> None:
        from neurocontrol.agents.agent import control_period
        from neurocontrol.envs.sim import camera_matrices

        self.options = options or VideoOptions()
        unwrapped = env.unwrapped
        if getattr(unwrapped, "render_mode", None) != "rgb_array":
            raise ConfigError(
                f"a video needs an env made with render_mode='rgb_array'; this one has "
                f"render_mode={getattr(unwrapped, 'render_mode', None)!r}"
            )
        self.path = Path(path)
        if self.path.suffix != ".mp4":
            raise ConfigError(f"video file must end in .mp4; got {str(path)!r}")
        imageio = _require_writer()
        self.env = unwrapped
        self.dt = control_period(env)
        self.every = self.options.steps_per_frame(self.dt)
        #: the video's frame rate: one frame every ``every`` steps of simulated time
        self.fps = 1.0 / (self.every * self.dt)
        width, height = self.options.width, self.options.height
        unwrapped.render_size = (width, height)
        target, distance, yaw, pitch = unwrapped.camera
        self._camera = camera_matrices(width, height, target, distance, yaw, pitch)
        self.caption = caption
        self.title = title
        trail = max(2, round(_TRAIL_S * self.options.fps))
        self._hand: list[tuple[float, float]] = []
        self._reference: list[tuple[float, float]] = []
        self._trail = trail
        self.frames = 0
        self._font: Any = None
        self._stage = contextlib.ExitStack()
        self._tmp = self._stage.enter_context(staged_path(self.path, ".mp4"))
        self._writer: Any = imageio.get_writer(
            self._tmp, format="FFMPEG", fps=self.fps, codec="libx264", quality=7,
            macro_block_size=2,
        )  # fmt: skip

    def __call__(self, step: int, obs: Any, *_: Any) -> None:
        if (step + 1) % self.every:
            return
        self.add_frame(obs, (step + 1) * self.dt)

    def add_frame(self, obs: Any, time: float) -> np.ndarray:
        """Render the env now, draw the overlay, write the frame; return it."""
        dim = self.env.dim
        hand = obs["ee"][:dim]
        reference = obs["goal"][:dim]
        points = project_points(np.array([hand, reference]), *self._camera, *self._size)
        self._hand.append(tuple(points[0]))
        self._reference.append(tuple(points[1]))
        del self._hand[: -self._trail], self._reference[: -self._trail]
        frame = self._draw(self.env.render(), time)
        self._writer.append_data(frame)
        self.frames += 1
        return frame

    @property
    def _size(self) -> tuple[int, int]:
        return self.options.width, self.options.height

    def _draw(self, image: np.ndarray, time: float) -> np.ndarray:
        from PIL import Image, ImageDraw, ImageFont

        canvas = Image.fromarray(image)
        draw = ImageDraw.Draw(canvas)
        if len(self._reference) > 1:
            draw.line(self._reference, fill=_REFERENCE, width=3)
        if len(self._hand) > 1:
            draw.line(self._hand, fill=_HAND, width=3)
        x, y = self._hand[-1]
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), outline=_HAND, width=2)
        size = max(10, self.options.height // 24)
        if self._font is None:
            self._font = ImageFont.load_default(size=size)
        font = self._font
        lines = [line for line in (self.title, f"t = {time:5.2f} s") if line]
        if self.caption is not None:
            lines.append(self.caption(time))
        draw.multiline_text((6, 4), "\n".join(lines), fill=_TEXT, font=font, spacing=2)
        legend_y = self.options.height - size - 6
        draw.text((6, legend_y), "reference", fill=_REFERENCE, font=font)
        draw.text((6 + 6 * size, legend_y), "hand", fill=_HAND, font=font)
        return np.asarray(canvas)

    def close(self) -> None:
        """Finish the file and put it in place (safe to call more than once)."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        with self._stage:
            writer.close()
            publish(self._tmp, self.path)

    def discard(self) -> None:
        """Stop recording and leave no file."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        with self._stage:
            writer.close()

    def __enter__(self) -> VideoRecorder:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
