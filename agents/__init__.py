"""Agents that drive the neurocontrol environments (installed as ``neurocontrol.agents``)."""

from __future__ import annotations

from neurocontrol.agents.base import Agent, check_observation, control_period

__all__ = ["Agent", "check_observation", "control_period"]
