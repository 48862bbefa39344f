"""The closed loop: an env and an agent stepped together at the env's control rate.

:mod:`~neurocontrol.loop.episode` (:func:`run_episode`, :func:`run_episodes`)
drives one agent on one env; :mod:`~neurocontrol.loop.vector`
(:func:`run_vector`) many envs at once.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "EpisodeResult": "episode",
    "RunResult": "episode",
    "StepCallback": "episode",
    "perturbation_active": "episode",
    "run_episode": "episode",
    "run_episodes": "episode",
    "VectorRunResult": "vector",
    "run_vector": "vector",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # imported on first use: the loop pulls in Gymnasium
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
