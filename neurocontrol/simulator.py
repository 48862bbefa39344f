"""The simulator: ``Simulator(network).step(events) -> spikes``, one numba call per step.

All state lives in preallocated arrays (see :mod:`neurocontrol.build.arena`);
a step reads the input events, updates every population, propagates spikes
through every projection, runs the learning rules and returns the spike
flags of all neurons, in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from neurocontrol.build.network import BuiltNetwork, build_network
from neurocontrol.errors import ConfigError, ShapeError
from neurocontrol.kernels.state import (
    POP_SPIKE_COUNT,
    POP_SPIKE_TOTAL,
    PRJ_SYNOPS_STEP,
    PRJ_SYNOPS_TOTAL,
)
from neurocontrol.model.network import Input, Network
from neurocontrol.validation import require_finite_array, require_int

__all__ = ["Simulator", "SimulatorState"]

EventsLike = np.ndarray | Mapping[str, Any] | None


class SimulatorState(Mapping[str, np.ndarray]):
    """State of a simulator by name: ``state["hidden.v"]`` is a live view.

    Keys are ``"<population>.<variable>"`` (``v``, ``i_syn``, ``recovery``,
    ``adaptation``, ``i_ext``, ``refractory``, ``spiked``),
    ``"<projection>.weights"`` (``[n_pre, n_post]`` when dense; CSR data
    with ``.indices``/``.indptr`` when sparse) and
    ``"<projection>.<rule>.<field>"``. Assigning ``state[key] = values``
    copies finite values of the right shape into the view.
    """

    def __init__(self, views: dict[str, np.ndarray]) -> None:
        self._views = {
            key: view
            for key, view in views.items()
            if not key.startswith(("neurons.", "populations.", "synapses."))
            and key not in ("network.ring", "network.rng", "network.dt")
        }

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._views[key]
        except KeyError:
            raise KeyError(
                f"no state variable {key!r}; known: {', '.join(sorted(self._views))}"
            ) from None

    def __setitem__(self, key: str, values: Any) -> None:
        view = self[key]
        array = require_finite_array(key, values, dtype=np.float64)
        if array.shape not in ((), view.shape):
            raise ShapeError(
                f"{key} must have shape {view.shape} (or be a scalar), got {array.shape}"
            )
        if view.dtype.kind in "iu" and np.any(array != np.round(array)):
            raise ConfigError(f"{key} holds integers, got non-integer values")
        view[...] = array

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)


class Simulator:
    """Build ``network`` and step it.

    Parameters
    ----------
    network : Network
        The description.
    dt : float
        Step length in seconds (default 1 ms).
    seed : int
        Seed of random connectivity, random weights and neuron noise.

    Examples
    --------
    >>> sim = Simulator(network, dt=1e-3, seed=1)
    >>> spikes = sim.step(events)              # bool [n_neurons], updated in place
    >>> sim.state["hidden.v"][:5]
    """

    def __init__(self, network: Network, dt: float = 1e-3, seed: int = 0) -> None:
        self._built: BuiltNetwork = build_network(network, dt=dt, seed=seed)
        built = self._built
        self._arguments = built.arenas.step_arguments()
        self._step_function = built.step_function
        self._events = np.zeros(max(built.n_inputs, 1), dtype=np.uint8)
        self._no_events = np.zeros_like(self._events)
        views = built.arenas.views
        self._spikes = views["neurons.spiked"].view(np.bool_)
        self._clock = views["network.clock"]
        populations, projections = views["populations.ints"], views["synapses.ints"]
        self._spike_count = populations[:, POP_SPIKE_COUNT]
        self._spike_total = populations[:, POP_SPIKE_TOTAL]
        self._synops_step = projections[:, PRJ_SYNOPS_STEP]
        self._synops_total = projections[:, PRJ_SYNOPS_TOTAL]
        self.state = SimulatorState(views)

    # -- properties -------------------------------------------------------
    @property
    def network(self) -> Network:
        """The description this simulator was built from."""
        return self._built.network

    @property
    def built(self) -> BuiltNetwork:
        """The built form (arenas, layout, step function)."""
        return self._built

    @property
    def dt(self) -> float:
        """Step length in seconds."""
        return self._built.dt

    @property
    def seed(self) -> int:
        """The build seed."""
        return self._built.seed

    @property
    def n_steps(self) -> int:
        """Steps taken since build."""
        return int(self._clock[0])

    @property
    def time(self) -> float:
        """Simulated time in seconds."""
        return self.n_steps * self._built.dt

    @property
    def n_inputs(self) -> int:
        """Length of the event vector (all Input populations, in order)."""
        return self._built.n_inputs

    @property
    def n_neurons(self) -> int:
        """Neurons of all populations, inputs included (length of the spike vector)."""
        return self._built.n_neurons

    @property
    def spikes(self) -> np.ndarray:
        """Spike flags of all neurons in the last step (bool view, updated in place)."""
        return self._spikes

    def slice_of(self, name: str) -> slice:
        """Where population or input ``name`` sits in the spike vector."""
        try:
            return self._built.node_slices[name]
        except KeyError:
            known = ", ".join(self._built.node_slices)
            raise ConfigError(f"no population {name!r}; populations: {known}") from None

    def input_slice(self, name: str) -> slice:
        """Where input ``name`` sits in the event vector."""
        part = self.slice_of(name)
        if not isinstance(self.network.node(name), Input):
            raise ConfigError(f"{name!r} is a Population, not an Input")
        return part

    # -- stepping ---------------------------------------------------------
    def _event_vector(self, events: EventsLike) -> np.ndarray:
        if events is None:
            return self._no_events
        if isinstance(events, np.ndarray) and events.shape == (self._built.n_inputs,):
            if events.dtype == np.uint8:
                return events if events.flags.c_contiguous else np.ascontiguousarray(events)
            if events.dtype == np.bool_ and events.flags.c_contiguous:
                return events.view(np.uint8)
        if isinstance(events, Mapping):
            return self._events_from_mapping(events)
        array = np.asarray(events)
        if array.shape != (self._built.n_inputs,):
            raise ShapeError(
                f"events must have shape ({self._built.n_inputs},) (one entry per input "
                f"afferent), got {array.shape}"
            )
        if array.dtype.kind not in "biuf":
            raise ShapeError(f"events must be bool or numeric, got dtype {array.dtype}")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise ConfigError("events must be finite (no NaN or inf)")
        np.not_equal(array, 0, out=self._events.view(np.bool_)[: self._built.n_inputs])
        return self._events

    def _events_from_mapping(self, events: Mapping[str, Any]) -> np.ndarray:
        self._events[:] = 0
        for name, values in events.items():
            part = self.input_slice(name)
            array = np.asarray(values)
            size = part.stop - part.start
            if array.shape != (size,):
                raise ShapeError(f"events[{name!r}] must have shape ({size},), got {array.shape}")
            if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
                raise ConfigError(f"events[{name!r}] must be finite")
            self._events[part] = array != 0
        return self._events

    def step(self, events: EventsLike = None) -> np.ndarray:
        """Advance one step; return the spike flags of all neurons (a view, reused).

        Parameters
        ----------
        events : array, mapping or None
            Which afferents fire this step: a bool/uint8 (or 0/1 numeric)
            vector of length :attr:`n_inputs` (all Input populations in
            declaration order; bool and uint8 are used without a copy), a
            mapping ``{input name: vector}``, or None for no input spikes.
        """
        self._step_function(*self._arguments, self._event_vector(events))
        return self._spikes

    def run(
        self, n_steps: int, input_fn: Callable[[int], EventsLike] | None = None
    ) -> dict[str, np.ndarray]:
        """Take ``n_steps`` steps; ``input_fn(step)`` gives each step's events.

        Returns the spike count of every neuron over the run, per population.
        """
        n_steps = require_int("n_steps", n_steps, minimum=0)
        counts = np.zeros(self._built.n_neurons, dtype=np.int64)
        for _ in range(n_steps):
            events = None if input_fn is None else input_fn(self.n_steps)
            counts += self.step(events)
        return {name: counts[part].copy() for name, part in self._built.node_slices.items()}

    # -- inputs and third factors ----------------------------------------
    def set_current(self, population: str, values: Any) -> None:
        """Set the external current ``i_ext`` of ``population`` (scalar or per neuron)."""
        self.state[f"{population}.i_ext"] = values

    def _rule(self, name: str) -> Any:
        matches = [
            info
            for info in self._built.rules
            if name in (f"{info.projection}.{info.name}", info.name)
        ]
        if len(matches) != 1:
            known = ", ".join(f"{info.projection}.{info.name}" for info in self._built.rules)
            what = "no" if not matches else "more than one"
            raise ConfigError(f"{what} learning rule called {name!r}; rules: {known or 'none'}")
        return matches[0]

    def set_third_factor(self, rule: str, value: Any) -> None:
        """Set the broadcast third factor (reward, error vector) of ``rule`` for the next steps.

        ``rule`` is ``"<projection>.<rule name>"`` or the rule name if unique.
        Values must be finite. A rule whose state has a field
        ``<third factor>_pending`` (R-STDP: ``reward_pending``) takes the
        value once, at the next step; that flag is raised here.
        """
        info = self._rule(rule)
        if info.third_factor is None:
            raise ConfigError(f"learning rule {rule!r} takes no third factor")
        self.state[info.third_factor] = value
        pending = info.third_factor + "_pending"
        if pending in self.state:
            self.state[pending][...] = 1

    def set_plasticity(self, enabled: bool) -> None:
        """Freeze (False) or unfreeze (True) the weights of every learning rule."""
        for info in self._built.rules:
            if info.enabled is not None:
                key, index = info.enabled
                self.state[key][index] = int(bool(enabled))

    # -- counters ---------------------------------------------------------
    def spike_counts(self) -> dict[str, int]:
        """Spikes per population in the last step."""
        return {
            node.name: int(self._spike_count[p]) for p, node in enumerate(self._built.node_order)
        }

    def total_spikes(self) -> dict[str, int]:
        """Spikes per population since build."""
        return {
            node.name: int(self._spike_total[p]) for p, node in enumerate(self._built.node_order)
        }

    @property
    def synops(self) -> int:
        """Synaptic events (spikes x fan-out) delivered in the last step."""
        return int(self._synops_step.sum())

    @property
    def total_synops(self) -> int:
        """Synaptic events delivered since build."""
        return int(self._synops_total.sum())

    def synops_per_projection(self) -> dict[str, int]:
        """Synaptic events of the last step, per projection."""
        return {name: int(self._synops_step[q]) for name, q in self._built.projection_index.items()}
