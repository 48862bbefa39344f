"""Agents that drive the neurocontrol environments (installed as ``neurocontrol.agents``)."""

from __future__ import annotations

__all__: list[str] = []
