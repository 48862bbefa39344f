"""Builders registered by the type of the description they build."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from neurocontrol.errors import BuildError

__all__ = ["ENCODER_BUILDERS", "NEURON_BUILDERS", "RULE_BUILDERS", "Registry"]

F = TypeVar("F", bound=Callable[..., Any])


class Registry:
    """A map from description type to builder function; unknown types raise BuildError."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._builders: dict[type, Callable[..., Any]] = {}

    def register(self, description_type: type) -> Callable[[F], F]:
        """Decorator registering the builder of ``description_type``."""

        def decorate(builder: F) -> F:
            self._builders[description_type] = builder
            return builder

        return decorate

    def lookup(self, description: object) -> Callable[..., Any]:
        """The builder of ``type(description)`` (exact type first, then its bases)."""
        for cls in type(description).__mro__:
            if cls in self._builders:
                return self._builders[cls]
        known = ", ".join(sorted(cls.__name__ for cls in self._builders))
        raise BuildError(
            f"no {self.what} builder for type {type(description).__name__}; known types: {known}"
        )

    def __contains__(self, description_type: type) -> bool:
        return description_type in self._builders


#: neuron model type -> builder(model, dt) -> PopulationBuild
NEURON_BUILDERS = Registry("neuron model")
#: learning rule type -> builder(rule, context) -> RuleBuild
RULE_BUILDERS = Registry("learning rule")
#: encoder type -> builder(encoder, context) -> EncoderBuild
ENCODER_BUILDERS = Registry("encoder")
