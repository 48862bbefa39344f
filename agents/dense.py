"""Deprecated alias, kept one release.

The base controllers live in :mod:`neurocontrol.agents.base_controllers`, the
policy adapter in :mod:`neurocontrol.agents.policy`.
"""

from __future__ import annotations

import warnings

from neurocontrol.agents.base_controllers import (
    BaseController,
    JointPDController,
    OperationalSpaceController,
)
from neurocontrol.agents.policy import PolicyAdapter

__all__ = ["BaseController", "JointPDController", "OperationalSpaceController", "PolicyAdapter"]

warnings.warn(
    "neurocontrol.agents.dense is deprecated: import the base controllers from "
    "neurocontrol.agents.base_controllers and PolicyAdapter from neurocontrol.agents.policy "
    "(or all from neurocontrol.agents)",
    DeprecationWarning,
    stacklevel=2,
)
