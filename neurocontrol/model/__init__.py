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
from neurocontrol.model.error_rules import PES
from neurocontrol.model.homeostasis import AdaptiveThreshold, SynapticScaling, WeightNormalization
from neurocontrol.model.network import Input, Network, Population, Projection, rule_name
from neurocontrol.model.neurons import IZHIKEVICH_PRESETS, LIF, AdaptiveLIF, Izhikevich, NeuronModel
from neurocontrol.model.reward_rules import RewardSTDP
from neurocontrol.model.rules import LearningRule, PairSTDP, TripletSTDP

__all__ = [
    "IZHIKEVICH_PRESETS",
    "LIF",
    "PES",
    "AdaptiveLIF",
    "AdaptiveThreshold",
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
    "RewardSTDP",
    "SynapticScaling",
    "TripletSTDP",
    "Uniform",
    "WeightInit",
    "WeightNormalization",
    "rule_name",
]
