"""Model descriptions: what a spiking network is (no numba, no arrays of state).

Frozen dataclasses validated on construction; :mod:`neurocontrol.build`
turns them into state arrays and a step function.
"""

from __future__ import annotations

from neurocontrol.model.connectivity import (
    AllToAll,
    Connectivity,
    ExplicitMatrix,
    FixedProbability,
    Normal,
    OneToOne,
    Uniform,
    WeightInit,
)
from neurocontrol.model.network import Input, Network, Population, Projection, rule_name
from neurocontrol.model.neurons import IZHIKEVICH_PRESETS, LIF, AdaptiveLIF, Izhikevich, NeuronModel
from neurocontrol.model.rules import LearningRule, PairSTDP

__all__ = [
    "IZHIKEVICH_PRESETS",
    "LIF",
    "AdaptiveLIF",
    "AllToAll",
    "Connectivity",
    "ExplicitMatrix",
    "FixedProbability",
    "Input",
    "Izhikevich",
    "LearningRule",
    "Network",
    "NeuronModel",
    "Normal",
    "OneToOne",
    "PairSTDP",
    "Population",
    "Projection",
    "Uniform",
    "WeightInit",
    "rule_name",
]
