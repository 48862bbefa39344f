"""Agents that drive the neurocontrol environments (installed as ``neurocontrol.agents``)."""

from __future__ import annotations

from neurocontrol.agents.adaptive import AdaptiveController
from neurocontrol.agents.agent import Agent, check_observation, control_period
from neurocontrol.agents.base_controllers import (
    BaseController,
    JointPDController,
    OperationalSpaceController,
)
from neurocontrol.agents.factory import AGENT_TYPES, load_agent, make_agent
from neurocontrol.agents.force import TactileForceRegulator
from neurocontrol.agents.hybrid import HybridAgent
from neurocontrol.agents.policy import PolicyAdapter
from neurocontrol.agents.reward_learning import RewardSpikingController

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
