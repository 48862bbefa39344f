"""Agents that drive the neurocontrol environments (installed as ``neurocontrol.agents``).

One module per role:

- :mod:`~neurocontrol.agents.agent`: the :class:`Agent` interface every agent implements.
- :mod:`~neurocontrol.agents.base_controllers`: model-based torque control on the nominal
  model (:class:`OperationalSpaceController`, :class:`JointPDController`).
- :mod:`~neurocontrol.agents.adaptive` (with :mod:`~neurocontrol.agents.adaptive_network`
  and :mod:`~neurocontrol.agents.force`): a base controller plus a network that learns
  the model error on line, spiking or its rate twin.
- :mod:`~neurocontrol.agents.reward_learning`: reaching learned from reward alone (R-STDP).
- :mod:`~neurocontrol.agents.hybrid`: a spiking and a dense agent side by side.
- :mod:`~neurocontrol.agents.policy`: external policies (Stable-Baselines3 or any callable).
- :mod:`~neurocontrol.agents.factory`: agents from plain-data specs and from checkpoints
  (:mod:`~neurocontrol.agents.persistence`).
"""

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
