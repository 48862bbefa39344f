"""Deprecated alias of :mod:`neurocontrol.agents.reward_learning`, kept one release."""

from __future__ import annotations

import warnings

from neurocontrol.agents.reward_learning import RewardSpikingController

__all__ = ["RewardSpikingController"]

warnings.warn(
    "neurocontrol.agents.rstdp is deprecated: import from neurocontrol.agents.reward_learning "
    "(or from neurocontrol.agents)",
    DeprecationWarning,
    stacklevel=2,
)
