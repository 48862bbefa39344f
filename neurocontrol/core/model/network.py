"""The nodes of a network (populations, inputs, signal inputs, outputs), projections, the network.

A :class:`Population` is a group of neurons of one model; an :class:`Input`
a group of afferents whose spikes are given each step; a
:class:`SignalInput` a vector of real-valued signals given each step, fed
into the network by encoders (:mod:`neurocontrol.core.model.encoders`); an
:class:`Output` a group of linear units that low-pass what projections
deliver to them, the network's readout. Projections connect them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from neurocontrol.core.model._checks import check_int, check_name, check_optional_positive
from neurocontrol.core.model.connectivity import (
    AllToAll,
    Connectivity,
    ExplicitMatrix,
    OneToOne,
    WeightInit,
)
from neurocontrol.core.model.neurons import NeuronModel
from neurocontrol.core.model.rules import LearningRule
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import require_finite, require_finite_array, require_in

__all__ = ["Input", "Network", "Output", "Population", "Projection", "SignalInput"]


def _check_node(node: object) -> None:
    """A node's size (an integer >= 1) and name (given, without '.')."""
    check_int(node, "n", minimum=1)
    check_name(node, "name")
    if getattr(node, "name", None) is None:
        raise ConfigError(f"{type(node).__name__}.name must be given")


@dataclass(frozen=True, eq=False)
class Population:
    """``n`` neurons of one model.

    Parameters
    ----------
    n : int
        Number of neurons (>= 1).
    model : NeuronModel
        The neuron model, shared by all neurons (per-neuron values can be set
        on the simulator's state after building).
    name : str
        Unique name in the network; state keys are ``"<name>.<variable>"``.
    """

    kind: ClassVar[str] = "Population"

    n: int
    model: NeuronModel
    name: str

    def __post_init__(self) -> None:
        _check_node(self)
        if not isinstance(self.model, NeuronModel):
            raise ConfigError(
                f"Population.model must be a neuron model (LIF, AdaptiveLIF, Izhikevich), "
                f"got {type(self.model).__name__}"
            )


@dataclass(frozen=True, eq=False)
class Input:
    """``n`` afferents whose spikes are given at each step (``sim.step(events)``)."""

    kind: ClassVar[str] = "Input"

    n: int
    name: str

    def __post_init__(self) -> None:
        _check_node(self)


@dataclass(frozen=True, eq=False)
class SignalInput:
    """``n`` real-valued signals given at each step (``sim.step(signals=x)``), e.g. a joint state.

    A signal input holds no neurons: encoders
    (:mod:`neurocontrol.core.model.encoders`) turn its values into input currents
    of a population or spikes of an :class:`Input`.
    """

    kind: ClassVar[str] = "SignalInput"

    n: int
    name: str

    def __post_init__(self) -> None:
        _check_node(self)


@dataclass(frozen=True, eq=False)
class Output:
    r"""``n`` linear units holding the low-passed sum of what projections deliver: a readout.

    With presynaptic spikes :math:`s_i[t] \in \{0, 1\}` (impulses of area 1)
    through weights :math:`w_{ij}`,

    .. math::

        y_j[t] = \lambda\, y_j[t-1] + \frac{1 - \lambda}{\Delta t} \sum_i w_{ij}\, s_i[t],
        \qquad \lambda = e^{-\Delta t/\tau}

    the exponential synapse :math:`h(t) = e^{-t/\tau}/\tau` discretised
    exactly, so a neuron firing at :math:`f` Hz contributes about
    :math:`f\, w_{ij}` (a rate-model population delivers :math:`r_i \Delta t`
    in place of :math:`s_i`). ``tau=None``: no filter, :math:`y_j[t] =
    \sum_i w_{ij} s_i[t] / \Delta t`. A projection onto an output delivers in
    the step its spikes are emitted (no delay), so the value read after
    ``sim.step`` includes this step's spikes: ``sim.state["<name>.value"]``.
    The weights of a readout projection are decoders in the NEF sense
    (Eliasmith & Anderson 2003); in NIR terms an output is a leaky
    integrator (``LI``) behind a ``Linear`` node.

    Parameters
    ----------
    n : int
        Number of output units (>= 1).
    tau : float or None
        Time constant of the output synapse, seconds (> 0), or None.
    name : str
        Unique name in the network.
    """

    kind: ClassVar[str] = "Output"

    n: int
    tau: float | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        _check_node(self)
        check_optional_positive(self, "tau")


Node = Population | Input | SignalInput | Output

_SIGNS = (None, "excitatory", "inhibitory")


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from ``pre`` to ``post``.

    Parameters
    ----------
    pre : Population or Input
    post : Population or Output
        A projection onto an :class:`Output` is a readout: all-to-all
        (dense), without delay.
    connectivity : Connectivity
        :class:`AllToAll` (dense), :class:`FixedProbability` (sparse),
        :class:`OneToOne` or :class:`ExplicitMatrix`.
    weights : float, WeightInit or array
        A constant, an initialiser (:class:`Uniform`, :class:`Normal`) or an
        explicit array (``[n_pre, n_post]`` for all-to-all, ``[n]`` for
        one-to-one). Ignored (must be None) with :class:`ExplicitMatrix`.
    delay : int
        Extra transmission delay in steps (>= 0): a spike of step ``t``
        reaches the postsynaptic neurons in step ``t + 1 + delay``.
    rule : LearningRule, sequence of them, or None
        Plasticity of these synapses. Initial weights must lie within each
        rule's ``weight_bounds`` ``[w_min, w_max]``: explicit values are
        checked, an initialiser's :attr:`WeightInit.support` must lie
        inside; they are refused (ConfigError naming the projection, the
        bounds and the range), never clipped.
    sign : {None, "excitatory", "inhibitory"}
        Optional sign constraint: weights stay >= 0 or <= 0. Initial weights
        are never clipped to it: explicit weights of the wrong sign, a rule
        whose bounds cross zero, or an initialiser that can draw the wrong
        sign (its :attr:`WeightInit.support`, e.g. any :class:`Normal` with
        ``std > 0``, or :class:`Uniform` with ``high > 0`` on an inhibitory
        projection) are refused with a :class:`ConfigError` naming the
        projection, so a distribution's shape is never silently changed.
        Draw magnitudes with a one-signed initialiser instead (e.g.
        ``Uniform(-0.1, 0.0)`` for an inhibitory projection).
    name : str or None
        Unique name; default ``"<pre>_to_<post>"``.
    """

    kind: ClassVar[str] = "Projection"

    pre: Population | Input
    post: Population | Output
    connectivity: Connectivity = field(default_factory=AllToAll)
    weights: Any = 1.0
    delay: int = 0
    rule: LearningRule | Sequence[LearningRule] | None = None
    sign: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.pre, (Population, Input)):
            raise ConfigError(f"Projection.pre must be a Population or Input, got {self.pre!r}")
        if not isinstance(self.post, (Population, Output)):
            raise ConfigError(f"Projection.post must be a Population or Output, got {self.post!r}")
        if not isinstance(self.connectivity, Connectivity):
            raise ConfigError(
                f"Projection.connectivity must be a Connectivity, got {self.connectivity!r}"
            )
        self.connectivity.check_sizes(self.pre.n, self.post.n)
        self._check_delay()
        if isinstance(self.post, Output):
            self._check_readout()
        require_in("Projection.sign", self.sign, _SIGNS)
        check_name(self, "name")
        if self.name is None:
            object.__setattr__(self, "name", f"{self.pre.name}_to_{self.post.name}")
        object.__setattr__(self, "weights", self._checked_weights())
        object.__setattr__(self, "rule", self._checked_rules())
        self._check_sign()
        self._check_rule_bounds()

    def _check_delay(self) -> None:
        delay = self.delay
        if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)) or delay < 0:
            raise ConfigError(
                f"Projection.delay must be an integer number of steps >= 0, got {delay!r}"
            )
        object.__setattr__(self, "delay", int(delay))

    def _check_readout(self) -> None:
        if not isinstance(self.connectivity, AllToAll):
            raise ConfigError(
                f"Projection onto Output {self.post.name!r} must be AllToAll (a dense readout), "
                f"got {type(self.connectivity).__name__}"
            )
        if self.delay != 0:
            raise ConfigError(
                f"Projection onto Output {self.post.name!r} delivers in the step of its spikes; "
                f"delay must be 0, got {self.delay}"
            )

    def _checked_weights(self) -> Any:
        weights = self.weights
        if isinstance(self.connectivity, ExplicitMatrix):
            if weights not in (None, 1.0):
                raise ConfigError(
                    "Projection.weights must be left unset with ExplicitMatrix connectivity "
                    "(the matrix holds the weights)"
                )
            return None
        if isinstance(weights, WeightInit):
            return weights
        if np.isscalar(weights) and not isinstance(weights, (str, bytes)):
            return require_finite("Projection.weights", weights)
        if isinstance(self.connectivity, AllToAll):
            shape: tuple[int, ...] = (self.pre.n, self.post.n)
        elif isinstance(self.connectivity, OneToOne):
            shape = (self.pre.n,)
        else:
            raise ConfigError(
                f"Projection.weights: an explicit array needs AllToAll, OneToOne or "
                f"ExplicitMatrix connectivity, got {type(self.connectivity).__name__}; use a "
                "constant or an initialiser (Uniform, Normal)"
            )
        array = require_finite_array("Projection.weights", weights, shape=shape)
        array = array.copy()
        array.setflags(write=False)
        return array

    def _checked_rules(self) -> tuple[LearningRule, ...]:
        rules: Iterable[Any]
        if self.rule is None:
            rules = ()
        elif isinstance(self.rule, LearningRule):
            rules = (self.rule,)
        else:
            rules = tuple(self.rule)
        for rule in rules:
            if not isinstance(rule, LearningRule):
                raise ConfigError(f"Projection.rule must hold learning rules, got {rule!r}")
        return tuple(rules)

    def _check_sign(self) -> None:
        if self.sign is None:
            return
        for rule in self.rules:
            low, high = rule.weight_bounds
            if (self.sign == "excitatory" and low < 0) or (self.sign == "inhibitory" and high > 0):
                raise ConfigError(
                    f"Projection {self.name!r} is {self.sign} but its rule {type(rule).__name__} "
                    f"allows weights in [{low}, {high}]"
                )
        if isinstance(self.weights, WeightInit) and not isinstance(
            self.connectivity, ExplicitMatrix
        ):
            low, high = self.weights.support
            if (self.sign == "excitatory" and low < 0) or (self.sign == "inhibitory" and high > 0):
                wanted = ">= 0" if self.sign == "excitatory" else "<= 0"
                raise ConfigError(
                    f"Projection {self.name!r} is {self.sign} (weights {wanted}) but its "
                    f"initial weights {self.weights!r} can be drawn in [{low}, {high}]; "
                    "sign-constrained weights are not clipped: use an initialiser whose values "
                    f"are all {wanted} (e.g. Uniform with suitable bounds) or explicit weights"
                )
            return
        values = self.fixed_weight_values()
        if values is None:
            return
        bad = values < 0 if self.sign == "excitatory" else values > 0
        if np.any(bad):
            raise ConfigError(
                f"Projection {self.name!r} is {self.sign} but has weights of the wrong sign "
                f"(e.g. {values[bad].flat[0]!r})"
            )

    def _check_rule_bounds(self) -> None:
        """Initial weights must lie within every rule's ``[w_min, w_max]`` (never clipped)."""
        if isinstance(self.weights, WeightInit):
            low, high = self.weights.support
            what = f"{self.weights!r} can be drawn in [{low}, {high}]"
        else:
            values = np.asarray(self.fixed_weight_values(), dtype=np.float64)
            if values.size == 0:
                return
            low, high = float(values.min()), float(values.max())
            what = f"range [{low}, {high}]"
        for rule in self.rules:
            w_min, w_max = rule.weight_bounds
            if low < w_min or high > w_max:
                raise ConfigError(
                    f"Projection {self.name!r}: initial weights {what}, outside the bounds "
                    f"[{w_min}, {w_max}] of its rule {type(rule).__name__}; initial weights are "
                    "not clipped: give weights (or an initialiser whose range lies) within "
                    "[w_min, w_max]"
                )

    def fixed_weight_values(self) -> np.ndarray | None:
        """The weights if they are given explicitly (constant, array or matrix), else None."""
        if isinstance(self.connectivity, ExplicitMatrix):
            return self.connectivity.matrix
        if isinstance(self.weights, WeightInit):
            low = getattr(self.weights, "low", None)
            if low is not None and self.sign == "excitatory" and low < 0:
                return np.array([low])
            return None
        return np.asarray(self.weights)

    @property
    def rules(self) -> tuple[LearningRule, ...]:
        """The learning rules, as a tuple (empty if static)."""
        return self.rule  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Network:
    """Nodes, projections and encoders of one spiking network.

    Names of nodes, projections and encoders must be unique, every
    projection and encoder must connect members of the network, a
    population takes its input current from at most one encoder, and an
    :class:`Input` is driven either by the caller's events or by one encoder.
    """

    kind: ClassVar[str] = "Network"

    populations: Sequence[Node] = ()
    projections: Sequence[Projection] = ()
    encoders: Sequence[Any] = ()

    def __post_init__(self) -> None:
        # encoders.py builds on the nodes defined here, hence the import at use
        from neurocontrol.core.model.encoders import Encoder

        object.__setattr__(self, "populations", tuple(self.populations))
        object.__setattr__(self, "projections", tuple(self.projections))
        object.__setattr__(self, "encoders", tuple(self.encoders))
        names: set[str] = set()
        for node in self.populations:
            if not isinstance(node, (Population, Input, SignalInput, Output)):
                raise ConfigError(
                    "Network.populations must hold Population, Input, SignalInput or Output, "
                    f"got {node!r}"
                )
            if node.name in names:
                raise ConfigError(f"Network: duplicate population name {node.name!r}")
            names.add(node.name)
        if not any(isinstance(node, Population) for node in self.populations) and self.projections:
            raise ConfigError("Network: projections need at least one Population")
        for projection in self.projections:
            if not isinstance(projection, Projection):
                raise ConfigError(f"Network.projections must hold Projection, got {projection!r}")
            self._check_member(projection.name, (projection.pre, projection.post))
            if projection.name in names:
                raise ConfigError(f"Network: duplicate name {projection.name!r}")
            names.add(projection.name)  # type: ignore[arg-type]
        targets: set[int] = set()
        for encoder in self.encoders:
            if not isinstance(encoder, Encoder):
                raise ConfigError(
                    f"Network.encoders must hold encoders (CurrentEncoder, "
                    f"ReceptiveFieldEncoder), got {encoder!r}"
                )
            self._check_member(encoder.name, (encoder.pre, encoder.post))
            if encoder.name in names:
                raise ConfigError(f"Network: duplicate name {encoder.name!r}")
            names.add(encoder.name)
            if id(encoder.post) in targets:
                raise ConfigError(
                    f"Network: {encoder.post.name!r} is the target of two encoders; an encoder "
                    "sets its target's input, so each node takes at most one"
                )
            targets.add(id(encoder.post))
        for projection in self.projections:
            rule_names = [_rule_name(rule) for rule in projection.rules]
            if len(set(rule_names)) != len(rule_names):
                raise ConfigError(
                    f"Network: projection {projection.name!r} has two rules named alike "
                    f"({rule_names}); give them distinct name=..."
                )

    def _check_member(self, name: str | None, ends: tuple[Node, ...]) -> None:
        for end in ends:
            if not any(end is node for node in self.populations):
                raise ConfigError(
                    f"Network: {name!r} connects {end.name!r}, which is not one of the "
                    "network's populations"
                )

    def encoder_of(self, node: Node) -> Any:
        """The encoder whose target is ``node``, or None."""
        return next((e for e in self.encoders if e.post is node), None)

    def node(self, name: str) -> Node:
        """The population, input, signal input or output called ``name``."""
        for node in self.populations:
            if node.name == name:
                return node
        known = ", ".join(node.name for node in self.populations)
        raise ConfigError(f"Network has no population {name!r}; populations: {known}")

    def projection(self, name: str) -> Projection:
        """The projection called ``name``."""
        for projection in self.projections:
            if projection.name == name:
                return projection
        known = ", ".join(str(p.name) for p in self.projections)
        raise ConfigError(f"Network has no projection {name!r}; projections: {known}")


def _rule_name(rule: LearningRule) -> str:
    return getattr(rule, "name", None) or rule.default_name


def rule_name(rule: LearningRule) -> str:
    """The name of ``rule`` in state keys: its ``name`` or its lower-cased type name."""
    return _rule_name(rule)
