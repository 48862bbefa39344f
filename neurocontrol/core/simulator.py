"""The simulator: ``Simulator(network).step(events, signals) -> spikes``, one numba call per step.

All state lives in preallocated arrays (see :mod:`neurocontrol.core.builder.arena`);
a step reads the input events and signals, runs the encoders, updates every
population and output, propagates spikes through every projection, runs
the learning rules, counts its operations and returns the spike flags of
all neurons, in place. :meth:`Simulator.state_dict` /
:meth:`Simulator.load_state_dict` save and restore the whole state (bit-
identical continuation); :meth:`Simulator.reset_state` starts an episode.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from neurocontrol.core.builder.network import BuiltNetwork, build_network
from neurocontrol.core.kernels.step.state import (
    OPS_TOTAL,
    POP_MACS_PER_STEP,
    POP_SPIKE_COUNT,
    POP_SPIKE_TOTAL,
    POP_UPDATES_PER_STEP,
    PRJ_INT_COLUMNS,
    PRJ_LEARNING_MACS_STEP,
    PRJ_LEARNING_SYNOPS_STEP,
    PRJ_MACS_STEP,
    PRJ_N_TOUCHED,
    PRJ_SYNOPS_STEP,
    PRJ_SYNOPS_TOTAL,
)
from neurocontrol.core.model.network import Input, Network
from neurocontrol.core.statedict import Stateful, check_state
from neurocontrol.errors import CheckpointError, ConfigError, ObservationError, ShapeError
from neurocontrol.utils.validation import numeric_vector, require_finite_array, require_int

__all__ = ["STRUCTURE_KEY", "Simulator", "SimulatorState"]

EventsLike = np.ndarray | Mapping[str, Any] | None
SignalsLike = np.ndarray | Mapping[str, Any] | None

#: key of :meth:`Simulator.state_dict` holding the SHA-256 of the network's structure
STRUCTURE_KEY = "simulator.structure"
#: columns of the projection table that the step writes (counters), not structure
_PRJ_COUNTERS = (
    PRJ_N_TOUCHED,
    PRJ_SYNOPS_STEP,
    PRJ_SYNOPS_TOTAL,
    PRJ_MACS_STEP,
    PRJ_LEARNING_SYNOPS_STEP,
    PRJ_LEARNING_MACS_STEP,
)
#: columns of the projection table counting the last step's operations
_PRJ_STEP_COUNTS = (
    PRJ_SYNOPS_STEP,
    PRJ_MACS_STEP,
    PRJ_LEARNING_SYNOPS_STEP,
    PRJ_LEARNING_MACS_STEP,
)
#: core arrays that are not state variables a user reads or sets by name
_HIDDEN_CORE = ("network.ring", "network.rng", "network.dt", "network.operations")


class SimulatorState(Mapping[str, np.ndarray]):
    """State of a simulator by name: ``state["hidden.v"]`` is a live view.

    Keys are ``"<population>.<variable>"`` (``v``, ``i_syn``, ``recovery``,
    ``adaptation``, ``i_ext``, ``refractory``, ``spiked``; a rate-model
    population has ``i_syn``, ``i_ext`` and ``rate``, an input ``spiked``),
    ``"<output>.value"``, ``"<encoder>.<field>"``,
    ``"<projection>.weights"`` (``[n_pre, n_post]`` when dense; when sparse,
    CSR data with ``.indices``/``.indptr``, or post-major data with
    ``.col_ptr``/``.pre_indices`` for a plastic projection:
    ``sim.built.synapse_indices(name)`` gives the (pre, post) of each weight
    for any storage) and
    ``"<projection>.<rule>.<field>"``. Assigning ``state[key] = values``
    copies finite values of the right shape into the view.
    """

    def __init__(self, views: dict[str, np.ndarray]) -> None:
        self._views = {
            key: view
            for key, view in views.items()
            if not key.startswith(("neurons.", "populations.", "synapses."))
            and key not in _HIDDEN_CORE
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


class Simulator(Stateful):
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
    >>> sim.step(signals=x)                    # a network with signal inputs and outputs
    >>> sim.state["torque.value"]
    """

    def __init__(self, network: Network, dt: float = 1e-3, seed: int = 0) -> None:
        self._built: BuiltNetwork = build_network(network, dt=dt, seed=seed)
        built = self._built
        self._arguments = built.arenas.step_arguments()
        self._step_function = built.step_function
        self._events = np.zeros(max(built.n_inputs, 1), dtype=np.uint8)
        self._no_events = np.zeros_like(self._events)
        self._has_signals = built.n_signals > 0
        self._signals = np.zeros(built.n_signals)
        self._trusted_signals: np.ndarray | None = None
        self._third_factor_keys = [i.third_factor for i in built.rules if i.third_factor]
        views = built.arenas.views
        self._operations = views["network.operations"]
        self._spikes = views["neurons.spiked"].view(np.bool_)
        self._clock = views["network.clock"]
        populations, projections = views["populations.ints"], views["synapses.ints"]
        self._spike_count = populations[:, POP_SPIKE_COUNT]
        self._spike_total = populations[:, POP_SPIKE_TOTAL]
        self._synops_step = projections[:, PRJ_SYNOPS_STEP]
        self._synops_total = projections[:, PRJ_SYNOPS_TOTAL]
        self.state = SimulatorState(views)
        # every array the step reads or writes, by its arena key, in layout order
        self._arrays = {key: views[key] for key in built.arenas.kinds}
        # what an episode start sets back; arrays that start at zero (eligibility: one entry per
        # synapse) are zeroed rather than copied
        self._initial = {
            key: None if not np.any(self._arrays[key]) else self._arrays[key].copy()
            for key in built.episode_keys
        }
        self._rule_hooks = list(zip(built.rules, built.rule_access, strict=True))
        self._third_factors: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._structure: np.ndarray | None = None
        # the clock when pending weight changes were last written (None: not since a load)
        self._synced_at: int | None = None

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
        """Length of the event vector (the Input populations no encoder drives, in order)."""
        return self._built.n_inputs

    @property
    def n_signals(self) -> int:
        """Length of the signal vector (all SignalInputs, in declaration order)."""
        return self._built.n_signals

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
        node = self.network.node(name)
        if not isinstance(node, Input):
            raise ConfigError(f"{name!r} is a {type(node).__name__}, not an Input")
        if self.network.encoder_of(node) is not None:
            raise ConfigError(
                f"Input {name!r} takes its spikes from its encoder, not from the events"
            )
        return self.slice_of(name)

    def signal_slice(self, name: str) -> slice:
        """Where signal input ``name`` sits in the signal vector."""
        try:
            return self._built.signal_slices[name]
        except KeyError:
            known = ", ".join(self._built.signal_slices) or "none"
            raise ConfigError(f"no signal input {name!r}; signal inputs: {known}") from None

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

    def _signal_vector(self, signals: SignalsLike) -> np.ndarray:
        if (
            type(signals) is np.ndarray
            and signals.dtype == np.float64
            and signals.shape == self._signals.shape
            and signals.flags.c_contiguous
        ):
            return signals
        if signals is None:
            raise ConfigError(
                f"this network has signal inputs ({', '.join(self._built.signal_slices)}): "
                f"step needs signals, an array of shape ({self.n_signals},) or a mapping"
            )
        if isinstance(signals, Mapping):
            self._signals_from_mapping(signals)
            return self._signals
        what = f"signals (the signal inputs {', '.join(self._built.signal_slices)})"
        return np.ascontiguousarray(numeric_vector(what, signals, self.n_signals))

    def _signals_from_mapping(self, signals: Mapping[str, Any]) -> None:
        missing = sorted(set(self._built.signal_slices) - set(signals))
        if missing:
            raise ConfigError(f"signals: missing signal input(s) {missing}")
        for name, values in signals.items():
            part = self.signal_slice(name)
            size = part.stop - part.start
            self._signals[part] = numeric_vector(f"signals[{name!r}]", values, size)

    def _refused_input(self, code: int, signals: Any) -> ObservationError:
        """The error for the step's refusal ``code`` (see ``StepPlan``): nothing was stepped."""
        if code <= -2:
            key = self._third_factor_keys[-2 - code]
            return ObservationError(
                f"the third factor {key!r} holds {self.state[key].tolist()}; third factors must "
                "be finite (nothing was stepped)"
            )
        name = next(n for n, part in self._built.signal_slices.items() if code < part.stop)
        local = code - self._built.signal_slices[name].start
        return ObservationError(
            f"signal input {name!r} entry {local} is {float(signals[code])!r}; signals must be "
            "finite (nothing was stepped)"
        )

    def step(self, events: EventsLike = None, signals: SignalsLike = None) -> np.ndarray:
        """Advance one step; return the spike flags of all neurons (a view, reused).

        Parameters
        ----------
        events : array, mapping or None
            Which afferents fire this step: a bool/uint8 (or 0/1 numeric)
            vector of length :attr:`n_inputs` (the Input populations no
            encoder drives, in declaration order; bool and uint8 are used
            without a copy), a mapping ``{input name: vector}``, or None for
            no input spikes.
        signals : array, mapping or None
            The values of the signal inputs this step: a float vector of
            length :attr:`n_signals` (all SignalInputs in declaration order;
            a contiguous float64 array is used without a copy) or a mapping
            ``{signal input name: vector}``; required when the network has
            signal inputs. A non-finite signal raises ObservationError and
            the network does not step.
        """
        if signals is not None and signals is self._trusted_signals and events is None:
            # the array checked at an earlier step: its dtype, shape and layout are fixed
            bad = self._step_function(*self._arguments, self._no_events, signals)
        else:
            event_vector = self._event_vector(events)
            if not self._has_signals:
                if signals is not None:
                    raise ConfigError(
                        "this network has no SignalInput: step(signals=...) is not taken"
                    )
                bad = self._step_function(*self._arguments, event_vector)
            else:
                checked = self._signal_vector(signals)
                if checked is signals:
                    self._trusted_signals = signals
                bad = self._step_function(*self._arguments, event_vector, checked)
                signals = checked
        if bad != -1:
            raise self._refused_input(bad, signals)
        return self._spikes

    def run(
        self, n_steps: int, input_fn: Callable[[int], EventsLike] | None = None
    ) -> dict[str, np.ndarray]:
        """Take ``n_steps`` steps; ``input_fn(step)`` gives each step's events.

        Returns the spike count of every neuron over the run, per population.
        """
        n_steps = require_int("n_steps", n_steps, minimum=0)
        if self._has_signals:
            raise ConfigError("run() drives events only; step a network with signal inputs")
        counts = np.zeros(self._built.n_neurons, dtype=np.int64)
        for _ in range(n_steps):
            events = None if input_fn is None else input_fn(self.n_steps)
            counts += self.step(events)
        return {name: counts[part].copy() for name, part in self._built.node_slices.items()}

    # -- whole state --------------------------------------------------------
    def structure_digest(self) -> np.ndarray:
        """SHA-256 (uint8 [32]) of what a state dict must match: description, dt, connectivity.

        Covers the network description (populations, models, projections,
        initial weights, rules and their parameters), the step length, the
        connectivity the seed drew (sparse indices, CSC views), the layout of
        the state arrays and their names, shapes and dtypes; not the seed
        itself (two dense networks of different seeds share their structure).
        """
        if self._structure is None:
            from neurocontrol.core.model.serialize import network_to_config

            digest = hashlib.sha256()
            config, model_arrays = network_to_config(self.network)
            digest.update(json.dumps(config, sort_keys=True, default=repr).encode())
            for name in sorted(model_arrays):
                array = np.ascontiguousarray(model_arrays[name])
                digest.update(f"{name}{array.dtype.str}{array.shape}".encode())
                digest.update(array.tobytes())
            digest.update(np.float64(self.dt).tobytes())
            arenas = self._built.arenas
            digest.update(arenas.layout.tobytes())
            for key, view in self._arrays.items():
                digest.update(f"{key}{view.dtype.str}{view.shape}".encode())
            populations = self._arrays["populations.ints"][:, :POP_SPIKE_COUNT]
            digest.update(np.ascontiguousarray(populations).tobytes())
            fixed = [c for c in range(len(PRJ_INT_COLUMNS)) if c not in _PRJ_COUNTERS]
            digest.update(np.ascontiguousarray(self._arrays["synapses.ints"][:, fixed]).tobytes())
            for name in ("indices", "indptr", "col_ptr", "col_syn", "row_hint"):
                digest.update(self._arrays[f"synapses.{name}"].tobytes())
            self._structure = np.frombuffer(digest.digest(), dtype=np.uint8).copy()
        return self._structure.copy()

    def state_targets(self) -> dict[str, np.ndarray]:
        """Live views of every array the step reads or writes, by name (see :meth:`state_dict`)."""
        return dict(self._arrays)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every array the step reads or writes, by name, plus the structure digest.

        Neuron variables, spike ids, per-population and per-projection
        counters, weights, delay ring buffer, noise generator words, clock,
        every learning rule's state (traces, eligibility, third factors,
        switches) and the parameters. Loading it into a simulator built from
        the same network (:meth:`load_state_dict`) continues bit-identically;
        it is copied into the existing arrays, so views held elsewhere
        (``sim.state[...]``, :attr:`spikes`) and the compiled step keep
        seeing the live state. Lazily written weights (R-STDP) stay lazy:
        the pending changes are part of the rule state.
        """
        return {**super().state_dict(), STRUCTURE_KEY: self.structure_digest()}

    def _restored(self) -> None:
        self._synced_at = None  # the loaded rule state may hold pending changes

    def _check_own(self, own: Mapping[Any, Any]) -> None:
        # Another network's state is refused as such before any key or shape is compared:
        # one mismatch of structure explains every other difference.
        digest = own.get(STRUCTURE_KEY)
        if digest is not None and not (
            isinstance(digest, np.ndarray)
            and digest.dtype == np.uint8
            and np.array_equal(digest, self.structure_digest())
        ):
            raise CheckpointError(
                f"{type(self).__name__} state dict is from a different network structure "
                "(populations, models, projections, connectivity, rules or dt differ; "
                f"{STRUCTURE_KEY!r} does not match this simulator's)"
            )
        # Parameter tables hold +-inf where a weight is unbounded. The structure matching, a
        # state dict's tables are this simulator's own, so the arrays that hold inf here may
        # hold it there too; NaN, and inf in any other array, is still refused.
        unbounded = {
            key
            for key, view in self._arrays.items()
            if view.dtype.kind == "f" and np.isinf(view).any()
        }
        targets = {**self._arrays, STRUCTURE_KEY: self.structure_digest()}
        check_state(type(self).__name__, targets, own, allow_inf=unbounded)

    def reset_state(self, clock: bool = False) -> None:
        """Start an episode: neuron, encoder and activity state back to their values at build.

        Reset: membrane potentials, synaptic currents, Izhikevich recovery,
        threshold adaptation, refractory counters, spike flags and ids,
        rates, output values, the spike and operation counts of the last
        step, the delay ring buffer, and whatever each encoder and learning
        rule declares as its episode state (send-on-delta levels; traces, filtered
        activities, eligibility, pending third factors). Kept: weights
        (pending weight changes are written first, :meth:`sync_weights`),
        what rules learned (reward baselines, adaptive thresholds), external
        currents ``i_ext`` no encoder sets, the noise generator, the
        plasticity switches, the totals since build and, unless ``clock`` is
        True, the clock (:attr:`n_steps`).
        """
        self.sync_weights()  # pending weight changes live in episode state: write them first
        for key, initial in self._initial.items():
            self._arrays[key][...] = 0 if initial is None else initial
        self._arrays["neurons.spike_ids"][...] = 0
        self._arrays["network.ring"][...] = 0.0
        self._spike_count[...] = 0
        self._arrays["synapses.ints"][:, list(_PRJ_STEP_COUNTS)] = 0
        self._operations[:OPS_TOTAL] = 0
        if clock:
            self._clock[0] = 0
            self._synced_at = None
            for info, access in self._rule_hooks:
                if info.build is not None and info.build.restart_clock is not None:
                    info.build.restart_clock(access)

    def sync_weights(self) -> int:
        """Write the weight changes rules keep pending (lazily integrated rules, e.g. R-STDP).

        Weights are updated in place to their value after the last completed
        step; further steps continue from there. Returns the number of rules
        that keep weights pending. :meth:`weights` and :meth:`reset_state`
        call it; ``state["<projection>.weights"]`` is the raw view, which
        may lag until then. Changes become pending only in steps, so the
        rules' hooks run once per step count: a second call before the next
        step writes nothing (R-STDP's hook would add its float32 rounding
        residue again at every call).
        """
        steps = int(self._clock[0])
        count = 0
        for info, access in self._rule_hooks:
            if info.build is not None and info.build.sync_weights is not None:
                if self._synced_at != steps:
                    info.build.sync_weights(access)
                count += 1
        self._synced_at = steps
        return count

    def weights(self, projection: str) -> np.ndarray:
        """A copy of the current weights of ``projection`` (pending changes written first).

        Dense projections give ``[n_pre, n_post]``; sparse ones one weight per
        synapse in storage order (``built.synapse_indices(projection)`` gives
        each one's (pre, post)); see :meth:`weight_matrix` for a dense form
        of any projection.
        """
        if projection not in self._built.projection_index:  # (encoders have weights too)
            known = ", ".join(self._built.projection_index) or "none"
            raise ConfigError(f"no projection {projection!r}; projections: {known}")
        self.sync_weights()
        return self.state[f"{projection}.weights"].copy()

    def weight_matrix(self, projection: str) -> np.ndarray:
        """The current weights of ``projection`` as a dense ``[n_pre, n_post]`` float64 matrix."""
        values = self.weights(projection)
        if values.ndim == 2:  # dense storage
            return values.astype(np.float64)
        model = self.network.projection(projection)
        matrix = np.zeros((model.pre.n, model.post.n))
        pre, post = self._built.synapse_indices(projection)
        matrix[pre, post] = values
        return matrix

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

    def _third_factor(self, rule: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The live third-factor array of ``rule`` and its pending flag (looked up once)."""
        found = self._third_factors.get(rule)
        if found is None:
            info = self._rule(rule)
            if info.third_factor is None:
                raise ConfigError(f"learning rule {rule!r} takes no third factor")
            pending = info.third_factor + "_pending"
            found = (self.state[info.third_factor], self.state.get(pending))
            self._third_factors[rule] = found
        return found

    def third_factor(self, rule: str) -> np.ndarray:
        """The live array of ``rule``'s third factor, to write into in place every step.

        The allocation-free way for a controller to set an error each step
        (``np.negative(feedback, out=sim.third_factor("readout.pes"))``); the
        step refuses (ObservationError, nothing stepped) when it holds NaN or
        inf. A rule that takes its factor once (a ``_pending`` flag) needs
        :meth:`set_third_factor`.
        """
        return self._third_factor(rule)[0]

    def set_third_factor(self, rule: str, value: Any) -> None:
        """Set the broadcast third factor (reward, error vector) of ``rule`` for the next steps.

        ``rule`` is ``"<projection>.<rule name>"`` or the rule name if unique.
        Values must be finite, a scalar or of the factor's shape (the error
        of PES: one entry per error dimension). A rule whose state has a
        field ``<third factor>_pending`` (R-STDP: ``reward_pending``) takes
        the value once, at the next step; that flag is raised here.
        """
        target, pending = self._third_factor(rule)
        if type(value) is float and target.size == 1 and math.isfinite(value):
            target[0] = value
        else:
            self.state[self._rule(rule).third_factor] = value  # checks, then copies
        if pending is not None:
            pending[...] = 1

    @property
    def plastic(self) -> bool:
        """Whether every learning rule with a switch learns (see :meth:`set_plasticity`)."""
        return all(
            bool(self.state[info.enabled[0]][info.enabled[1]])
            for info in self._built.rules
            if info.enabled is not None
        )

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
    def operations(self) -> np.ndarray:
        """Operations of the last step: ``[SynOps, neuron updates, MACs]`` (int64, live view).

        SynOps: one weight accumulated into one target (a spike delivered to
        a synapse, a send-on-delta event reaching a neuron, an event-driven
        weight add); neuron updates: state variables integrated; MACs:
        multiply-adds computed densely (dense input currents, rate
        nonlinearities, output synapses, rate-weighted rows, filtered
        learning). The STDP family of rules does not count its updates.
        :meth:`operation_counts` splits the counts by node and projection.
        """
        return self._operations[:OPS_TOTAL]

    @property
    def total_operations(self) -> np.ndarray:
        """``[SynOps, neuron updates, MACs]`` since build (a copy)."""
        return self._operations[OPS_TOTAL:].copy()

    def operation_counts(self) -> dict[str, dict[str, int]]:
        """Last step's operations per node and projection, and the encoders' together.

        All zero before the first step and after :meth:`reset_state` (a node's
        cost is fixed per step, but no step was counted).
        """
        views = self._built.arenas.views
        pops, table = views["populations.ints"], views["synapses.ints"]
        stepped = bool(self.operations.any())  # every step of a node or encoder counts some
        counts: dict[str, dict[str, int]] = {}
        for p, node in enumerate(self._built.node_order):
            counts[node.name] = {
                "synops": 0,
                "neuron_updates": int(pops[p, POP_UPDATES_PER_STEP]) if stepped else 0,
                "macs": int(pops[p, POP_MACS_PER_STEP]) if stepped else 0,
            }
        for name, q in self._built.projection_index.items():
            counts[name] = {
                "synops": int(table[q, PRJ_SYNOPS_STEP] + table[q, PRJ_LEARNING_SYNOPS_STEP]),
                "neuron_updates": 0,
                "macs": int(table[q, PRJ_MACS_STEP] + table[q, PRJ_LEARNING_MACS_STEP]),
            }
        listed = np.zeros(3, dtype=np.int64)
        for entry in counts.values():
            listed += [entry["synops"], entry["neuron_updates"], entry["macs"]]
        rest = self.operations - listed
        counts["encoders"] = {
            "synops": int(rest[0]),
            "neuron_updates": int(rest[1]),
            "macs": int(rest[2]),
        }
        return counts

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
