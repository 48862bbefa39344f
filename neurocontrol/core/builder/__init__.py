"""Builders: model descriptions -> state arrays in arenas + a compiled step function.

One builder per description type, registered by type
(:data:`NEURON_BUILDERS`, :data:`RULE_BUILDERS`); see
:mod:`neurocontrol.core.builder.rules` for how to add a learning rule.
"""

from __future__ import annotations

from neurocontrol.core.builder import plasticity as _plasticity  # noqa: F401  (registers the rules)
from neurocontrol.core.builder.network import BuiltNetwork, RuleInfo, build_network
from neurocontrol.core.builder.registry import NEURON_BUILDERS, RULE_BUILDERS, Registry
from neurocontrol.core.builder.rules import RuleBuild, RuleContext, scalar

__all__ = [
    "NEURON_BUILDERS",
    "RULE_BUILDERS",
    "BuiltNetwork",
    "Registry",
    "RuleBuild",
    "RuleContext",
    "RuleInfo",
    "build_network",
    "scalar",
]
