"""Deprecated alias of :mod:`neurocontrol.agents.agent` (the agent interface), kept one release."""

from __future__ import annotations

import warnings

from neurocontrol.agents.agent import Agent, check_observation, control_period

__all__ = ["Agent", "check_observation", "control_period"]

warnings.warn(
    "neurocontrol.agents.base is deprecated: import from neurocontrol.agents.agent "
    "(or from neurocontrol.agents)",
    DeprecationWarning,
    stacklevel=2,
)
