"""Model descriptions: what a spiking network is (no numba, no arrays of state).

Frozen dataclasses validated on construction; :mod:`neurocontrol.core.builder`
turns them into state arrays and a step function.
"""

from __future__ import annotations

from neurocontrol.core.model.connectivity import (
    AllToAll,
    Connectivity,
    ExplicitMatrix,
    FixedProbability,
    Normal,
    OneToOne,
    Uniform,
    WeightInit,
)
from neurocontrol.core.model.encoders import CurrentEncoder, Encoder, ReceptiveFieldEncoder
from neurocontrol.core.model.error_rules import PES
from neurocontrol.core.model.homeostasis import (
    AdaptiveThreshold,
    SynapticScaling,
    WeightNormalization,
)
from neurocontrol.core.model.network import (
    Input,
    Network,
    Output,
    Population,
    Projection,
    SignalInput,
    rule_name,
)
from neurocontrol.core.model.neurons import (
    IZHIKEVICH_PRESETS,
    LIF,
    AdaptiveLIF,
    Izhikevich,
    LIFRate,
    NeuronModel,
)
from neurocontrol.core.model.reward_rules import RewardSTDP
from neurocontrol.core.model.rules import LearningRule, PairSTDP, TripletSTDP

__all__ = [
    "IZHIKEVICH_PRESETS",
    "LIF",
    "PES",
    "AdaptiveLIF",
    "AdaptiveThreshold",
    "AllToAll",
    "Connectivity",
    "CurrentEncoder",
    "Encoder",
    "ExplicitMatrix",
    "FixedProbability",
    "Input",
    "Izhikevich",
    "LIFRate",
    "LearningRule",
    "Network",
    "NeuronModel",
    "Normal",
    "OneToOne",
    "Output",
    "PairSTDP",
    "Population",
    "Projection",
    "ReceptiveFieldEncoder",
    "RewardSTDP",
    "SignalInput",
    "SynapticScaling",
    "TripletSTDP",
    "Uniform",
    "WeightInit",
    "WeightNormalization",
    "rule_name",
]
