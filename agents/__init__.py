"""Agents that drive the neurocontrol environments (installed as ``neurocontrol.agents``)."""

from __future__ import annotations

from neurocontrol.agents.adaptive import AdaptiveController
from neurocontrol.agents.base import Agent, check_observation, control_period
from neurocontrol.agents.dense import (
    BaseController,
    JointPDController,
    OperationalSpaceController,
    PolicyAdapter,
)
from neurocontrol.agents.factory import AGENT_TYPES, load_agent, make_agent
from neurocontrol.agents.force import TactileForceRegulator
from neurocontrol.agents.hybrid import HybridAgent
from neurocontrol.agents.rstdp import RewardSpikingController

__all__ = [
    "AGENT_TYPES",
    "AdaptiveController",
    "Agent",
    "BaseController",
    "HybridAgent",
    "JointPDController",
    "OperationalSpaceController",
    "PolicyAdapter",
    "RewardSpikingController",
    "TactileForceRegulator",
    "check_observation",
    "control_period",
    "load_agent",
    "make_agent",
]
