"""How long an env's episodes are, seen from inside the env.

A Gymnasium ``TimeLimit`` keeps its limit to itself, and the env it wraps
holds no reference to its wrappers (``gymnasium.make`` even leaves
``max_episode_steps`` out of the unwrapped env's ``spec``). The one place
the two meet is a reset that comes through the wrapper: the wrapper's
``reset`` is then on the call stack. :func:`time_limit_steps` looks there,
so that an env can refuse a perturbation onset its episode never reaches.
"""

from __future__ import annotations

import sys
from typing import Any

from gymnasium.wrappers import TimeLimit

__all__ = ["time_limit_steps"]

#: Frames searched above the env's own reset (wrappers nest a handful deep).
_MAX_DEPTH = 32


def time_limit_steps(env: Any) -> int | None:
    """``max_episode_steps`` of the TimeLimit whose ``reset`` is resetting ``env``, else None.

    Call it from ``env.reset``. Falls back to ``env.spec.max_episode_steps``
    when a spec carries one; None when the length is unknown (an env reset
    directly, or through wrappers without a TimeLimit).
    """
    frame = sys._getframe(2)  # the caller of env.reset
    for _ in range(_MAX_DEPTH):
        if frame is None:
            break
        if frame.f_code.co_name == "reset":
            wrapper = frame.f_locals.get("self")
            if isinstance(wrapper, TimeLimit) and wrapper.unwrapped is env:
                steps = getattr(wrapper, "_max_episode_steps", None)
                if isinstance(steps, int):
                    return steps
        frame = frame.f_back
    spec = getattr(env, "spec", None)
    steps = getattr(spec, "max_episode_steps", None)
    return steps if isinstance(steps, int) else None
