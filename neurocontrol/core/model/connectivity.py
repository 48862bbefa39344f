"""Connectivity patterns and weight initialisers of a projection."""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from neurocontrol.core.model._checks import check_finite, check_order, check_positive
from neurocontrol.errors import ConfigError, ShapeError
from neurocontrol.utils.validation import require_finite_array, require_int

__all__ = [
    "AllToAll",
    "Connectivity",
    "ExplicitMatrix",
    "FixedProbability",
    "Normal",
    "OneToOne",
    "Uniform",
    "WeightInit",
]


@dataclass(frozen=True)
class Connectivity:
    """Base class of the connectivity patterns."""

    kind: ClassVar[str] = "connectivity"

    def check_sizes(self, n_pre: int, n_post: int) -> None:
        """Raise ShapeError if the pattern cannot connect ``n_pre`` to ``n_post`` neurons."""


@dataclass(frozen=True)
class AllToAll(Connectivity):
    """Every presynaptic neuron to every postsynaptic one; stored dense ``[n_pre, n_post]``."""

    kind: ClassVar[str] = "AllToAll"


@dataclass(frozen=True)
class OneToOne(Connectivity):
    """Neuron ``i`` to neuron ``i``; both populations must have the same size."""

    kind: ClassVar[str] = "OneToOne"

    def check_sizes(self, n_pre: int, n_post: int) -> None:
        if n_pre != n_post:
            raise ShapeError(
                f"OneToOne connectivity needs populations of equal size, got n_pre={n_pre}, "
                f"n_post={n_post}"
            )


@dataclass(frozen=True)
class FixedProbability(Connectivity):
    """Each pair connected independently with probability ``p``; stored sparse (CSR).

    Parameters
    ----------
    p : float
        Connection probability in (0, 1].
    seed : int or None
        Seed of the pattern; None derives it from the simulator's seed.
    allow_self_connections : bool
        Whether ``i -> i`` is allowed when pre and post are the same population.
    """

    kind: ClassVar[str] = "FixedProbability"

    p: float = 0.1
    seed: int | None = None
    allow_self_connections: bool = True

    def __post_init__(self) -> None:
        check_positive(self, "p")
        if self.p > 1.0:
            raise ConfigError(f"FixedProbability.p must be in (0, 1], got {self.p!r}")
        if self.seed is not None:
            require_int("FixedProbability.seed", self.seed, minimum=0)
        if not isinstance(self.allow_self_connections, bool):
            raise ConfigError(
                "FixedProbability.allow_self_connections must be a bool, "
                f"got {self.allow_self_connections!r}"
            )


@dataclass(frozen=True, eq=False)
class ExplicitMatrix(Connectivity):
    """A given ``[n_pre, n_post]`` weight matrix (finite values), stored dense."""

    kind: ClassVar[str] = "ExplicitMatrix"

    matrix: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        matrix = require_finite_array("ExplicitMatrix.matrix", self.matrix)
        if matrix.ndim != 2:
            raise ShapeError(
                f"ExplicitMatrix.matrix must be 2-D [n_pre, n_post], got shape {matrix.shape}"
            )
        matrix = matrix.copy()
        matrix.setflags(write=False)
        object.__setattr__(self, "matrix", matrix)

    def check_sizes(self, n_pre: int, n_post: int) -> None:
        if self.matrix.shape != (n_pre, n_post):
            raise ShapeError(
                f"ExplicitMatrix.matrix must have shape (n_pre, n_post) = ({n_pre}, {n_post}), "
                f"got {self.matrix.shape}"
            )


@dataclass(frozen=True)
class WeightInit(abc.ABC):
    """Base class of the weight initialisers."""

    kind: ClassVar[str] = "weights"

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` weights (float64)."""

    @property
    def support(self) -> tuple[float, float]:
        """``(lowest, highest)`` value a draw can take; a sign-constrained projection checks it.

        Unbounded unless a subclass says otherwise.
        """
        return (-math.inf, math.inf)


@dataclass(frozen=True)
class Uniform(WeightInit):
    """Weights uniform in ``[low, high)``."""

    kind: ClassVar[str] = "Uniform"

    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        check_finite(self, "low")
        check_finite(self, "high")
        check_order(self, "low", "high")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


@dataclass(frozen=True)
class Normal(WeightInit):
    """Weights normal with ``mean`` and standard deviation ``std`` (>= 0)."""

    kind: ClassVar[str] = "Normal"

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self) -> None:
        check_finite(self, "mean")
        if not (isinstance(self.std, (int, float)) and self.std >= 0):
            raise ConfigError(f"Normal.std must be a finite number >= 0, got {self.std!r}")
        check_finite(self, "std")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.normal(self.mean, self.std, size)

    @property
    def support(self) -> tuple[float, float]:
        if self.std == 0:
            return (self.mean, self.mean)
        return (-math.inf, math.inf)
