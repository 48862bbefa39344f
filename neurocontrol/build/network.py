"""Turn a :class:`~neurocontrol.model.network.Network` into arenas and a step function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from neurocontrol.build import neurons as _neuron_builders  # noqa: F401  (registers them)
from neurocontrol.build.arena import ArenaBuilder, Arenas
from neurocontrol.build.codegen import RuleCall, StepPlan, load_step_function
from neurocontrol.build.connectivity import (
    PostMajorArrays,
    ProjectionArrays,
    build_projection_arrays,
    column_view,
    post_major_view,
)
from neurocontrol.build.registry import NEURON_BUILDERS, RULE_BUILDERS
from neurocontrol.build.rules import RuleBuild, RuleContext
from neurocontrol.kernels.neurons import read_input_events
from neurocontrol.kernels.state import (
    MODEL_INPUT,
    POP_FLOAT_COLUMNS,
    POP_INT_COLUMNS,
    POP_MODEL,
    POP_START,
    POP_STOP,
    PRJ_FLOAT_COLUMNS,
    PRJ_INT_COLUMNS,
    NetworkState,
    Neurons,
    Populations,
    Synapses,
)
from neurocontrol.kernels.synapses import (
    NARROW_INDEX_LIMIT,
    STORAGE_CSR,
    STORAGE_CSR_NARROW,
    STORAGE_DENSE,
    STORAGE_POST_MAJOR,
    propagate_by_rule,
    propagate_dense,
    propagate_sparse,
    propagate_sparse_narrow,
)
from neurocontrol.model.network import Input, Network, Node, Projection, rule_name
from neurocontrol.validation import require_int, require_positive

__all__ = ["BuiltNetwork", "RuleInfo", "build_network"]

_POPULATION_INT_FIELDS = ("model", "delta_synapses", "ref_steps", "substeps")
_NEURON_VARIABLES = ("v", "i_syn", "recovery", "adaptation", "i_ext", "refractory", "spiked")


@dataclass(frozen=True)
class RuleInfo:
    """Where a built rule lives: its projection, its name and its state keys."""

    projection: str
    name: str
    prefix: str
    third_factor: str | None
    enabled: tuple[str, int] | None = None


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

    def synapse_indices(self, projection: str) -> tuple[np.ndarray, np.ndarray]:
        """``(pre, post)`` neuron of each synapse of ``projection``, in the order of its weights.

        Any storage: dense (row-major ``[n_pre, n_post]``, flattened), CSR
        (``.indptr``/``.indices``) or post-major (``.col_ptr``/``.pre_indices``),
        so ``matrix[pre, post] = state[f"{projection}.weights"].ravel()``
        rebuilds the dense weight matrix.
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
        pre, post = np.divmod(np.arange(n_pre * n_post), n_post)
        return pre, post


def _ordered_nodes(network: Network) -> list[Node]:
    inputs = [node for node in network.populations if isinstance(node, Input)]
    return inputs + [node for node in network.populations if not isinstance(node, Input)]


def _population_arrays(
    nodes: list[Node], dt: float
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[Callable[..., None]]]:
    n_pops = len(nodes)
    ints = np.zeros((n_pops, len(POP_INT_COLUMNS)), dtype=np.int64)
    floats = np.zeros((n_pops, len(POP_FLOAT_COLUMNS)))
    columns = {name: (ints, c) for c, name in enumerate(POP_INT_COLUMNS)}
    columns.update({name: (floats, c) for c, name in enumerate(POP_FLOAT_COLUMNS)})
    n_neurons = sum(node.n for node in nodes)
    v0 = np.zeros(n_neurons)
    u0 = np.zeros(n_neurons)
    kernels: list[Callable[..., None]] = []
    start = 0
    for p, node in enumerate(nodes):
        ints[p, POP_START], ints[p, POP_STOP] = start, start + node.n
        if isinstance(node, Input):
            ints[p, POP_MODEL] = MODEL_INPUT
            kernels.append(read_input_events)
        else:
            built = NEURON_BUILDERS.lookup(node.model)(node.model, dt)
            for name, value in built.params.items():
                table, column = columns[name]
                table[p, column] = value
            v0[start : start + node.n] = built.v_initial
            u0[start : start + node.n] = built.recovery_initial
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
    }


@dataclass
class _BuiltProjection:
    projection: Projection
    arrays: ProjectionArrays
    rules: list[tuple[str, RuleBuild]]
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, int, int] | None
    #: the post-major form, when the projection's only rule has a kernel for it
    post_major: PostMajorArrays | None = None

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


def build_network(network: Network, dt: float = 1e-3, seed: int = 0) -> BuiltNetwork:
    """Allocate the state of ``network`` and load its compiled step function."""
    if not isinstance(network, Network):
        raise TypeError(f"build_network needs a Network, got {type(network).__name__}")
    dt = require_positive("dt", dt)
    seed = require_int("seed", seed, minimum=0)
    nodes = _ordered_nodes(network)
    node_index = {id(node): p for p, node in enumerate(nodes)}
    populations, v0, u0, population_kernels = _population_arrays(nodes, dt)
    n_neurons = int(v0.size)
    n_inputs = sum(node.n for node in nodes if isinstance(node, Input))

    built: list[_BuiltProjection] = []
    rule_infos: list[RuleInfo] = []
    for q, projection in enumerate(network.projections):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(q,)))
        arrays = build_projection_arrays(projection, rng)
        context = RuleContext(
            projection_name=str(projection.name),
            projection_index=q,
            n_pre=projection.pre.n,
            n_post=projection.post.n,
            n_syn=arrays.n_syn,
            dense=arrays.dense,
            dt=dt,
            max_in_degree=_max_in_degree(arrays, projection.pre.n, projection.post.n),
            post_model=projection.post.model,
            n_rules=len(projection.rules),
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
        built.append(_BuiltProjection(projection, arrays, rules, columns, post_major))

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
    }
    arena.add_group("core", _CoreFields, "network.", core_arrays)
    calls: list[RuleCall] = []
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
            enabled = None if rule.enabled is None else (prefix + rule.enabled[0], rule.enabled[1])
            rule_infos.append(RuleInfo(str(item.projection.name), name, prefix, third, enabled))
    arenas = arena.finish()
    groups = arenas.groups
    core_groups = [g for g in groups if not g.variable.startswith("rule_")]
    rule_groups = [g for g in groups if g.variable.startswith("rule_")]
    plan = StepPlan(
        population_kernels=tuple(population_kernels),
        projection_kernels=tuple(
            propagating.get(q, item.propagation_kernel) for q, item in enumerate(built)
        ),
        rule_calls=tuple(calls),
        deferred=any(len(item.rules) >= 2 for item in built),
    )
    step_function = load_step_function(core_groups, rule_groups, plan)

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
    )
    _add_named_views(result, built)
    return result


class _CoreFields:
    """Field list of the plain arrays of :class:`NetworkState` after the three groups."""

    __name__ = "core"
    _fields = NetworkState._fields[3:]


def _add_named_views(result: BuiltNetwork, built: list[_BuiltProjection]) -> None:
    views = result.arenas.views
    named: dict[str, np.ndarray] = {}
    for node in result.node_order:
        part = result.node_slices[node.name]
        variables = ("spiked",) if isinstance(node, Input) else _NEURON_VARIABLES
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
        if arrays.dense:
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
    for info in result.rules:
        for key, view in views.items():
            if key.startswith(info.prefix):
                named[key] = view
    named["network.clock"] = views["network.clock"]
    result.arenas.views.update(named)
    result.synapse_bytes = bytes_per_projection
