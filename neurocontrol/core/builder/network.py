"""Turn a :class:`~neurocontrol.core.model.network.Network` into arenas and a step function."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from neurocontrol.core.builder import encoders as _encoder_builders  # noqa: F401  (registers them)
from neurocontrol.core.builder import neurons as _neuron_builders  # noqa: F401  (registers them)
from neurocontrol.core.builder.arena import ArenaBuilder, Arenas
from neurocontrol.core.builder.codegen import EncoderCall, RuleCall, StepPlan, load_step_function
from neurocontrol.core.builder.connectivity import (
    PostMajorArrays,
    ProjectionArrays,
    build_projection_arrays,
    column_view,
    post_major_view,
)
from neurocontrol.core.builder.encoders import EncoderContext
from neurocontrol.core.builder.registry import ENCODER_BUILDERS, NEURON_BUILDERS, RULE_BUILDERS
from neurocontrol.core.builder.rules import RuleAccess, RuleBuild, RuleContext
from neurocontrol.core.kernels.step.neurons import read_input_events, update_output
from neurocontrol.core.kernels.step.readout import (
    propagate_dense_rates,
    readout_rates,
    readout_spikes,
)
from neurocontrol.core.kernels.step.state import (
    MODEL_INPUT,
    MODEL_OUTPUT,
    OPS_TOTAL,
    POP_DECAY_M,
    POP_DT,
    POP_FLOAT_COLUMNS,
    POP_INT_COLUMNS,
    POP_MACS_PER_STEP,
    POP_MODEL,
    POP_R_M,
    POP_START,
    POP_STOP,
    POP_UPDATES_PER_STEP,
    PRJ_FLOAT_COLUMNS,
    PRJ_INT_COLUMNS,
    PRJ_N_SYN,
    PRJ_W_HIGH,
    PRJ_W_LOW,
    PRJ_W_START,
    NetworkState,
    Neurons,
    Populations,
    Synapses,
)
from neurocontrol.core.kernels.step.synapses import (
    NARROW_INDEX_LIMIT,
    STORAGE_CSR,
    STORAGE_CSR_NARROW,
    STORAGE_DENSE,
    STORAGE_POST_MAJOR,
    STORAGE_READOUT,
    propagate_by_rule,
    propagate_dense,
    propagate_sparse,
    propagate_sparse_narrow,
)
from neurocontrol.core.model.network import (
    Input,
    Network,
    Node,
    Output,
    Population,
    Projection,
    SignalInput,
    rule_name,
)
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import require_int, require_positive

__all__ = ["BuiltNetwork", "RuleInfo", "build_network"]

_POPULATION_INT_FIELDS = ("model", "delta_synapses", "ref_steps", "substeps")
_NEURON_VARIABLES = ("v", "i_syn", "recovery", "adaptation", "i_ext", "refractory", "spiked")
#: per-neuron variables an episode start sets back to their values at build
_EPISODE_NEURON_VARIABLES = ("v", "i_syn", "recovery", "adaptation", "refractory", "spiked", "rate")


@dataclass(frozen=True)
class RuleInfo:
    """Where a built rule lives (its projection, name and state keys) and its hooks."""

    projection: str
    name: str
    prefix: str
    third_factor: str | None
    enabled: tuple[str, int] | None = None
    build: RuleBuild | None = None


@dataclass
class BuiltNetwork:
    """Arenas, views by name and the compiled step of one network."""

    network: Network
    dt: float
    seed: int
    arenas: Arenas
    step_function: Callable[..., None]
    node_slices: dict[str, slice]
    node_order: list[Node]
    projection_index: dict[str, int]
    rules: list[RuleInfo]
    n_inputs: int
    n_neurons: int
    synapse_bytes: dict[str, int] = field(default_factory=dict)
    #: where each signal input sits in the signal vector
    signal_slices: dict[str, slice] = field(default_factory=dict)
    n_signals: int = 0
    #: state keys an episode start sets back to their values at build
    episode_keys: list[str] = field(default_factory=list)
    #: per rule (in the order of :attr:`rules`), what its hooks may touch
    rule_access: list[RuleAccess] = field(default_factory=list)

    def synapse_indices(self, projection: str) -> tuple[np.ndarray, np.ndarray]:
        """``(pre, post)`` neuron of each synapse of ``projection``, in the order of its weights.

        Any storage: dense (row-major ``[n_pre, n_post]``, flattened), a
        readout's (by output), CSR (``.indptr``/``.indices``) or post-major
        (``.col_ptr``/``.pre_indices``). For sparse storage
        ``matrix[pre, post] = state[f"{projection}.weights"]`` rebuilds the
        dense weight matrix; dense views are ``[n_pre, n_post]`` already.
        """
        if projection not in self.projection_index:
            raise KeyError(
                f"no projection {projection!r}; known: {', '.join(sorted(self.projection_index))}"
            )
        views = self.arenas.views
        model = self.network.projections[self.projection_index[projection]]
        n_pre, n_post = model.pre.n, model.post.n
        if f"{projection}.col_ptr" in views:
            counts = np.diff(views[f"{projection}.col_ptr"].astype(np.int64))
            post = np.repeat(np.arange(n_post), counts)
            return views[f"{projection}.pre_indices"].astype(np.int64), post
        if f"{projection}.indptr" in views:
            counts = np.diff(views[f"{projection}.indptr"].astype(np.int64))
            pre = np.repeat(np.arange(n_pre), counts)
            return pre, views[f"{projection}.indices"].astype(np.int64)
        if isinstance(model.post, Output):
            post, pre = np.divmod(np.arange(n_pre * n_post), n_pre)
            return pre, post
        pre, post = np.divmod(np.arange(n_pre * n_post), n_post)
        return pre, post


def _ordered_nodes(network: Network) -> list[Node]:
    """Nodes with neurons in step order: inputs given by the caller (their events are the
    event vector's first entries), inputs an encoder drives, populations, outputs."""
    nodes = [node for node in network.populations if not isinstance(node, SignalInput)]
    encoded = {id(e.post) for e in network.encoders}
    given = [n for n in nodes if isinstance(n, Input) and id(n) not in encoded]
    driven = [n for n in nodes if isinstance(n, Input) and id(n) in encoded]
    populations = [n for n in nodes if isinstance(n, Population)]
    outputs = [n for n in nodes if isinstance(n, Output)]
    return given + driven + populations + outputs


def _population_arrays(
    nodes: list[Node], dt: float, encoded: set[int]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[Callable[..., None] | None]]:
    n_pops = len(nodes)
    ints = np.zeros((n_pops, len(POP_INT_COLUMNS)), dtype=np.int64)
    floats = np.zeros((n_pops, len(POP_FLOAT_COLUMNS)))
    columns = {name: (ints, c) for c, name in enumerate(POP_INT_COLUMNS)}
    columns.update({name: (floats, c) for c, name in enumerate(POP_FLOAT_COLUMNS)})
    n_neurons = sum(node.n for node in nodes)
    v0 = np.zeros(n_neurons)
    u0 = np.zeros(n_neurons)
    kernels: list[Callable[..., None] | None] = []
    start = 0
    for p, node in enumerate(nodes):
        ints[p, POP_START], ints[p, POP_STOP] = start, start + node.n
        floats[p, POP_DT] = dt
        if isinstance(node, Input):
            ints[p, POP_MODEL] = MODEL_INPUT
            kernels.append(None if id(node) in encoded else read_input_events)
        elif isinstance(node, Output):
            # a leaky integrator of unit gain: decay_m = exp(-dt/tau), r_m = (1 - decay_m) / dt
            decay = 0.0 if node.tau is None else math.exp(-dt / node.tau)
            ints[p, POP_MODEL] = MODEL_OUTPUT
            ints[p, POP_MACS_PER_STEP] = node.n
            floats[p, POP_DECAY_M], floats[p, POP_R_M] = decay, (1.0 - decay) / dt
            kernels.append(update_output)
        else:
            built = NEURON_BUILDERS.lookup(node.model)(node.model, dt)
            for name, value in built.params.items():
                table, column = columns[name]
                table[p, column] = value
            v0[start : start + node.n] = built.v_initial
            u0[start : start + node.n] = built.recovery_initial
            ints[p, POP_UPDATES_PER_STEP] = built.updates_per_neuron * node.n
            ints[p, POP_MACS_PER_STEP] = built.macs_per_neuron * node.n
            kernels.append(built.kernel)
        start += node.n
    return {"ints": ints, "floats": floats}, v0, u0, kernels


def _neuron_arrays(n_neurons: int, v0: np.ndarray, u0: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "v": v0,
        "i_syn": np.zeros(n_neurons),
        "recovery": u0,
        "adaptation": np.zeros(n_neurons),
        "i_ext": np.zeros(n_neurons),
        "refractory": np.zeros(n_neurons, dtype=np.int32),
        "spiked": np.zeros(n_neurons, dtype=np.uint8),
        "spike_ids": np.zeros(n_neurons, dtype=np.int32),
        "rate": np.zeros(n_neurons),
    }


@dataclass
class _BuiltProjection:
    projection: Projection
    arrays: ProjectionArrays
    rules: list[tuple[str, RuleBuild]]
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, int, int] | None
    #: the post-major form, when the projection's only rule has a kernel for it
    post_major: PostMajorArrays | None = None
    #: the presynaptic population is a rate model
    pre_rates: bool = False
    #: the postsynaptic node is an Output (a readout)
    post_output: bool = False

    @property
    def narrow(self) -> bool:
        """Static CSR onto at most 65,536 neurons: uint16 postsynaptic indices."""
        return (
            not self.arrays.dense
            and self.post_major is None
            and self.columns is None
            and not self.rules
            and self.projection.post.n <= NARROW_INDEX_LIMIT
        )

    @property
    def propagation_kernel(self) -> Callable[..., None]:
        if self.post_output:
            return readout_rates if self.pre_rates else readout_spikes  # type: ignore[no-any-return]
        if self.pre_rates:
            return propagate_dense_rates  # type: ignore[no-any-return]
        if self.post_major is not None:
            return propagate_by_rule  # type: ignore[no-any-return]
        if self.narrow:
            return propagate_sparse_narrow  # type: ignore[no-any-return]
        return propagate_dense if self.arrays.dense else propagate_sparse  # type: ignore[no-any-return]


def _synapse_arrays(
    built: list[_BuiltProjection], node_index: dict[int, int]
) -> dict[str, np.ndarray]:
    n_proj = len(built)
    ints = np.zeros((n_proj, len(PRJ_INT_COLUMNS)), dtype=np.int64)
    floats = np.zeros((n_proj, len(PRJ_FLOAT_COLUMNS)))
    table = {name: ints[:, c] for c, name in enumerate(PRJ_INT_COLUMNS)}
    table.update({name: floats[:, c] for c, name in enumerate(PRJ_FLOAT_COLUMNS)})
    flat: dict[str, list[np.ndarray]] = {
        name: []
        for name in (
            "weights",
            "indices",
            "indptr",
            "col_ptr",
            "col_syn",
            "row_hint",
            "dw",
            "touched",
            "narrow_indices",
        )
    }
    offsets = dict.fromkeys(flat, 0)

    def put(name: str, array: np.ndarray) -> int:
        start = offsets[name]
        flat[name].append(array)
        offsets[name] += array.size
        return start

    for q, item in enumerate(built):
        projection, arrays = item.projection, item.arrays
        table["pre"][q] = node_index[id(projection.pre)]
        table["post"][q] = node_index[id(projection.post)]
        table["dense"][q] = STORAGE_DENSE if arrays.dense else STORAGE_CSR
        table["n_pre"][q], table["n_post"][q] = projection.pre.n, projection.post.n
        table["n_syn"][q] = arrays.n_syn
        table["delay"][q] = projection.delay
        table["col_ptr_start"][q] = -1
        table["col_offset_bits"][q] = -1
        major = item.post_major
        if major is not None:  # column pointers and pre indices first, then the packed rows
            table["dense"][q] = STORAGE_POST_MAJOR
            table["w_start"][q] = put("weights", major.weights)
            table["idx_start"][q] = put("narrow_indices", major.pre_indices)
            table["ptr_start"][q] = put("indptr", major.col_ptr)
            table["col_ptr_start"][q] = put("col_ptr", major.row_ptr)
            table["col_start"][q] = put("col_syn", major.row_entries)
            table["col_offset_bits"][q] = major.offset_bits
        elif item.post_output:  # a readout: one contiguous column of weights per output
            table["dense"][q] = STORAGE_READOUT
            n_pre, n_post = projection.pre.n, projection.post.n
            by_output = arrays.weights.reshape(n_pre, n_post).T
            table["w_start"][q] = put("weights", np.ascontiguousarray(by_output).reshape(-1))
            table["idx_start"][q] = put("indices", arrays.indices)
            table["ptr_start"][q] = put("indptr", arrays.indptr)
        elif item.narrow:
            table["dense"][q] = STORAGE_CSR_NARROW
            table["w_start"][q] = put("weights", arrays.weights)
            table["idx_start"][q] = put("narrow_indices", arrays.indices.astype(np.uint16))
            table["ptr_start"][q] = put("indptr", arrays.indptr)
        else:
            table["w_start"][q] = put("weights", arrays.weights)
            table["idx_start"][q] = put("indices", arrays.indices)
            table["ptr_start"][q] = put("indptr", arrays.indptr)
        if item.columns is not None:
            col_ptr, col_syn, row_hint, hint_shift, offset_bits = item.columns
            table["col_ptr_start"][q] = put("col_ptr", col_ptr)
            table["col_start"][q] = put("col_syn", col_syn)
            table["hint_start"][q] = put("row_hint", row_hint)
            table["hint_shift"][q] = hint_shift
            table["col_offset_bits"][q] = offset_bits
        low, high = -np.inf, np.inf
        if projection.sign == "excitatory":
            low = 0.0
        elif projection.sign == "inhibitory":
            high = 0.0
        for rule in projection.rules:
            rule_low, rule_high = rule.weight_bounds
            low, high = max(low, rule_low), min(high, rule_high)
        table["w_low"][q], table["w_high"][q] = low, high
        if len(item.rules) >= 2:
            table["deferred"][q] = 1
            table["dw_start"][q] = put("dw", np.zeros(arrays.n_syn, dtype=np.float32))
            table["touched_start"][q] = put("touched", np.zeros(arrays.n_syn, dtype=np.int32))
    result: dict[str, np.ndarray] = {"ints": ints, "floats": floats}
    for name, parts in flat.items():
        dtype = {"weights": np.float32, "dw": np.float32, "narrow_indices": np.uint16}.get(
            name, np.int32
        )
        result[name] = (
            np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
        )
    return result


def _max_in_degree(arrays: ProjectionArrays, n_pre: int, n_post: int) -> int:
    if arrays.dense:
        return n_pre
    if arrays.indices.size == 0:
        return 0
    return int(np.bincount(arrays.indices, minlength=n_post).max())


def _rule_context(
    projection: Projection, q: int, arrays: ProjectionArrays, dt: float
) -> RuleContext:
    pre, post = projection.pre, projection.post
    return RuleContext(
        projection_name=str(projection.name),
        projection_index=q,
        n_pre=pre.n,
        n_post=post.n,
        n_syn=arrays.n_syn,
        dense=arrays.dense,
        dt=dt,
        max_in_degree=_max_in_degree(arrays, pre.n, post.n),
        post_model=post if isinstance(post, Output) else post.model,
        n_rules=len(projection.rules),
        pre_rates=_is_rate(pre),
        post_output=isinstance(post, Output),
        post_rates=_is_rate(post),
    )


def _is_rate(node: Node) -> bool:
    from neurocontrol.core.model.neurons import LIFRate

    return isinstance(node, Population) and isinstance(node.model, LIFRate)


def _signal_slices(network: Network) -> dict[str, slice]:
    slices, start = {}, 0
    for node in network.populations:
        if isinstance(node, SignalInput):
            slices[node.name] = slice(start, start + node.n)
            start += node.n
    return slices


def build_network(network: Network, dt: float = 1e-3, seed: int = 0) -> BuiltNetwork:
    """Allocate the state of ``network`` and load its compiled step function."""
    if not isinstance(network, Network):
        raise TypeError(f"build_network needs a Network, got {type(network).__name__}")
    dt = require_positive("dt", dt)
    seed = require_int("seed", seed, minimum=0)
    nodes = _ordered_nodes(network)
    node_index = {id(node): p for p, node in enumerate(nodes)}
    encoded = {id(encoder.post) for encoder in network.encoders}
    populations, v0, u0, population_kernels = _population_arrays(nodes, dt, encoded)
    n_neurons = int(v0.size)
    n_inputs = sum(n.n for n in nodes if isinstance(n, Input) and id(n) not in encoded)
    signal_slices = _signal_slices(network)

    built: list[_BuiltProjection] = []
    rule_infos: list[RuleInfo] = []
    for q, projection in enumerate(network.projections):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(q,)))
        arrays = build_projection_arrays(projection, rng)
        context = _rule_context(projection, q, arrays, dt)
        if context.pre_rates and not arrays.dense:
            raise ConfigError(
                f"projection {projection.name!r} from rate-model population "
                f"{projection.pre.name!r} must be AllToAll (dense): rates are delivered row "
                f"by row, got {type(projection.connectivity).__name__}"
            )
        if context.post_output and len(projection.rules) > 1:
            raise ConfigError(
                f"readout {projection.name!r} onto Output {projection.post.name!r} has "
                f"{len(projection.rules)} rules; a readout takes one PES rule (its output "
                "follows that rule's weight changes)"
            )
        rules = [
            (rule_name(rule), RULE_BUILDERS.lookup(rule)(rule, context))
            for rule in projection.rules
        ]
        post_major = None
        if not arrays.dense and len(rules) == 1 and rules[0][1].post_major_kernel is not None:
            post_major = post_major_view(arrays, projection.post.n)
        needs_columns = not arrays.dense and any(rule.needs_columns for _, rule in rules)
        columns = None
        if needs_columns and post_major is None:
            columns = column_view(arrays, projection.post.n)
        built.append(
            _BuiltProjection(
                projection,
                arrays,
                rules,
                columns,
                post_major,
                pre_rates=context.pre_rates,
                post_output=context.post_output,
            )
        )

    max_delay = max((projection.delay for projection in network.projections), default=0)
    ring_len = max_delay + 1
    arena = ArenaBuilder()
    arena.add_group("neurons", Neurons, "neurons.", _neuron_arrays(n_neurons, v0, u0))
    arena.add_group("populations", Populations, "populations.", populations)
    arena.add_group("synapses", Synapses, "synapses.", _synapse_arrays(built, node_index))
    core_arrays = {
        "ring": np.zeros(ring_len * max(n_neurons, 1)),
        "clock": np.array([0, ring_len, n_neurons, n_inputs], dtype=np.int64),
        "rng": np.array(
            [np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]], dtype=np.uint64
        ),
        "dt": np.array([dt]),
        "operations": np.zeros(2 * OPS_TOTAL, dtype=np.int64),
    }
    arena.add_group("core", _CoreFields, "network.", core_arrays)
    episode_keys = [f"neurons.{name}" for name in _EPISODE_NEURON_VARIABLES]
    encoder_calls: list[EncoderCall] = []
    for e, encoder in enumerate(network.encoders):
        context = EncoderContext(
            signal_start=signal_slices[encoder.pre.name].start,
            population_index=node_index[id(encoder.post)],
            dt=dt,
        )
        encoder_build = ENCODER_BUILDERS.lookup(encoder)(encoder, context)
        variable, prefix = f"encoder_{e}", f"{encoder.name}."
        arena.add_group(variable, encoder_build.state_type, prefix, encoder_build.arrays)
        encoder_calls.append(EncoderCall(encoder_build.kernel, variable))
        episode_keys += [prefix + name for name in encoder_build.episode_state]
    calls: list[RuleCall] = []
    third_factors: list[tuple[str, str]] = []
    # rule kernels that also propagate (a projection's only rule), by projection
    propagating: dict[int, RuleCall] = {}
    for q, item in enumerate(built):
        for name, rule in item.rules:
            variable = f"rule_{len(calls) + len(propagating)}"
            prefix = f"{item.projection.name}.{name}."
            arena.add_group(variable, rule.state_type, prefix, rule.arrays)
            kernel = rule.kernel if item.post_major is None else rule.post_major_kernel
            if rule.propagates:
                propagating[q] = RuleCall(kernel, q, variable)
            else:
                calls.append(RuleCall(kernel, q, variable))
            third = None if rule.third_factor is None else prefix + rule.third_factor
            if rule.third_factor is not None:
                third_factors.append((variable, rule.third_factor))
            enabled = None if rule.enabled is None else (prefix + rule.enabled[0], rule.enabled[1])
            rule_infos.append(
                RuleInfo(str(item.projection.name), name, prefix, third, enabled, rule)
            )
            episode_keys += [prefix + field_name for field_name in rule.episode_state]
    arenas = arena.finish()
    core_names = ("neurons", "populations", "synapses", "core")
    core_groups = [g for g in arenas.groups if g.variable in core_names]
    part_groups = [g for g in arenas.groups if g.variable not in core_names]
    plan = StepPlan(
        population_kernels=tuple(population_kernels),
        projection_kernels=tuple(
            propagating.get(q, item.propagation_kernel) for q, item in enumerate(built)
        ),
        rule_calls=tuple(calls),
        deferred=any(len(item.rules) >= 2 for item in built),
        encoder_calls=tuple(encoder_calls),
        signals=bool(signal_slices),
        third_factors=tuple(third_factors),
    )
    step_function = load_step_function(core_groups, part_groups, plan)

    node_slices = {
        node.name: slice(
            int(populations["ints"][p, POP_START]), int(populations["ints"][p, POP_STOP])
        )
        for p, node in enumerate(nodes)
    }
    result = BuiltNetwork(
        network=network,
        dt=dt,
        seed=seed,
        arenas=arenas,
        step_function=step_function,
        node_slices=node_slices,
        node_order=nodes,
        projection_index={str(p.name): q for q, p in enumerate(network.projections)},
        rules=rule_infos,
        n_inputs=n_inputs,
        n_neurons=n_neurons,
        signal_slices=signal_slices,
        n_signals=sum(part.stop - part.start for part in signal_slices.values()),
        episode_keys=episode_keys,
    )
    _add_named_views(result, built)
    result.rule_access = [_rule_access(result, info) for info in rule_infos]
    return result


def _rule_access(result: BuiltNetwork, info: RuleInfo) -> RuleAccess:
    views = result.arenas.views
    q = result.projection_index[info.projection]
    projection = result.network.projections[q]
    weights = views[f"{info.projection}.weights"]
    floats, table = views["synapses.floats"], views["synapses.ints"]
    start = int(table[q, PRJ_W_START])
    assert info.build is not None  # set for every built rule
    return RuleAccess(
        state={name: views[info.prefix + name] for name in info.build.state_type._fields},  # type: ignore[attr-defined]
        # the arena's slice: a readout's named view is a transpose, which reshape would copy
        weights=views["synapses.weights"][start : start + int(table[q, PRJ_N_SYN])],
        dense_rows=projection.pre.n if weights.ndim == 2 else 0,
        w_low=float(floats[q, PRJ_W_LOW]),
        w_high=float(floats[q, PRJ_W_HIGH]),
        clock=views["network.clock"],
    )


class _CoreFields:
    """Field list of the plain arrays of :class:`NetworkState` after the three groups."""

    __name__ = "core"
    _fields = NetworkState._fields[3:]


def _add_named_views(result: BuiltNetwork, built: list[_BuiltProjection]) -> None:
    views = result.arenas.views
    named: dict[str, np.ndarray] = {}
    for node in result.node_order:
        part = result.node_slices[node.name]
        if isinstance(node, Output):
            named[f"{node.name}.value"] = views["neurons.v"][part]
            continue
        variables = _NEURON_VARIABLES
        if isinstance(node, Input):
            variables = ("spiked",)
        elif _is_rate(node):
            variables = ("i_syn", "i_ext", "rate")
        for variable in variables:
            named[f"{node.name}.{variable}"] = views[f"neurons.{variable}"][part]
    syn_views = {
        name: views[f"synapses.{name}"]
        for name in ("weights", "indices", "narrow_indices", "indptr")
    }
    projection_table = views["synapses.ints"]
    table = {
        name: projection_table[:, PRJ_INT_COLUMNS.index(name)]
        for name in ("w_start", "idx_start", "ptr_start", "n_syn")
    }
    bytes_per_projection: dict[str, int] = {}
    for q, item in enumerate(built):
        name, arrays = item.projection.name, item.arrays
        w0, n_syn = int(table["w_start"][q]), int(table["n_syn"][q])
        weights = syn_views["weights"][w0 : w0 + n_syn]
        if item.post_output:  # stored by output: the view [n_pre, n_post] is its transpose
            named[f"{name}.weights"] = weights.reshape(
                item.projection.post.n, item.projection.pre.n
            ).T
        elif arrays.dense:
            named[f"{name}.weights"] = weights.reshape(
                item.projection.pre.n, item.projection.post.n
            )
        elif item.post_major is not None:
            i0, p0 = int(table["idx_start"][q]), int(table["ptr_start"][q])
            named[f"{name}.weights"] = weights
            named[f"{name}.pre_indices"] = syn_views["narrow_indices"][i0 : i0 + n_syn]
            named[f"{name}.col_ptr"] = syn_views["indptr"][p0 : p0 + item.projection.post.n + 1]
        else:
            i0, p0 = int(table["idx_start"][q]), int(table["ptr_start"][q])
            named[f"{name}.weights"] = weights
            indices = syn_views["narrow_indices" if item.narrow else "indices"]
            named[f"{name}.indices"] = indices[i0 : i0 + n_syn]
            named[f"{name}.indptr"] = syn_views["indptr"][p0 : p0 + item.projection.pre.n + 1]
        narrow = item.narrow or item.post_major is not None  # uint16 indices
        per_synapse = 4 if arrays.dense else 6 if narrow else 8
        if item.columns is not None or item.post_major is not None:
            per_synapse += 4  # CSC view, or the packed rows of the post-major form
        if len(item.rules) >= 2:
            per_synapse += 8
        for _, rule in item.rules:  # per-synapse rule state: arrays [n_syn, ...] (eligibility)
            per_synapse += sum(
                a.nbytes // n_syn
                for a in rule.arrays.values()
                if a.ndim and a.shape[0] == n_syn > 1
            )
        bytes_per_projection[str(name)] = per_synapse * n_syn
    prefixes = [info.prefix for info in result.rules]
    prefixes += [f"{encoder.name}." for encoder in result.network.encoders]
    for key, view in views.items():
        if key.startswith(tuple(prefixes)):
            named[key] = view
    named["network.clock"] = views["network.clock"]
    result.arenas.views.update(named)
    result.synapse_bytes = bytes_per_projection
