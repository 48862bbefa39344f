r"""Export to and import from NIR, the Neuromorphic Intermediate Representation.

NIR graphs are continuous-time: each node is an ODE, each edge instantaneous.
The core's step is the exact solution of those ODEs over one step ``dt`` for
inputs held constant over the step (zero-order hold), so the mapping is:

- a :class:`~neurocontrol.core.model.LIF` population with delta synapses is a NIR
  ``LIF`` with ``tau = tau_m``, ``r = r_m``, ``v_threshold = v_th``,
  ``v_reset`` and ``v_leak = v_rest + r_m (i_bias + i_held)`` (a held input
  current folds into the leak); a spike is the value 1 held for one step, so
  a core weight ``w`` (a jump of ``w`` in ``v``) is the NIR weight
  ``w / ((1 - e^{-dt/tau}) r)``;
- with current synapses (``tau_syn``) it is a ``CubaLIF`` with
  ``w_in = tau_syn / dt``, so a core weight is the NIR weight unchanged (the
  synaptic current jumps by ``w`` per spike); the core adds a spike to the
  current at the end of the step it arrives in, a forward-Euler simulator at
  the start: one step apart;
- an encoder's currents :math:`J = W x + b` are an ``Affine``;
- a projection is a ``Linear`` (sparse ones densified, signs kept) followed
  by a ``Delay`` of ``(1 + delay) dt``: the core delivers a spike of step
  ``t`` in step ``t + 1 + delay`` while NIR edges are instantaneous;
- a readout onto an :class:`~neurocontrol.core.model.network.Output` is a
  ``Linear`` (the decoders) into an ``LI`` with ``tau`` and ``r = 1/dt``;
- signal inputs and outputs are ``Input`` / ``Output`` nodes of their sizes.

What NIR cannot hold (refractory periods, membrane noise, adaptive
thresholds, Izhikevich neurons, send-on-delta input coding, receptive-field
input coding, learning rules, an agent's base controller) is refused with an
:class:`~neurocontrol.errors.InterchangeError` listing every such element,
unless ``lossy=True``: then the nearest frozen form is written, with each
omission in the graph's metadata and in one warning.

The graph's metadata holds ``dt`` (s), ``generator`` and, as JSON strings,
``omitted`` (each dropped element) and ``learning_rules`` (each frozen rule
and its parameters).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.core.model import LIF, AdaptiveLIF, Input, Network, Population, Projection
from neurocontrol.core.model.connectivity import AllToAll
from neurocontrol.core.model.encoders import CurrentEncoder, ReceptiveFieldEncoder
from neurocontrol.core.model.network import Output, SignalInput
from neurocontrol.core.model.neurons import LIFRate
from neurocontrol.errors import InterchangeError, ShapeError

__all__ = [
    "IMPORTED_NODE_TYPES",
    "ImportedNetwork",
    "export_run",
    "from_nir",
    "read_nir",
    "to_nir",
    "write_nir",
]

#: The NIR node types :func:`from_nir` maps onto the core.
IMPORTED_NODE_TYPES = ("Input", "Output", "Affine", "Linear", "Delay", "LIF", "CubaLIF", "LI")
#: Identifies graphs this module wrote.
GENERATOR = "neurocontrol"
_OUT_SUFFIX = "_out"


def _nir() -> Any:
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - nir is a dependency
        raise InterchangeError(
            "the 'nir' package is needed to export or import NIR graphs: pip install nir"
        ) from exc
    return nir


# -- export -------------------------------------------------------------------------------------


@dataclass
class _Export:
    """What :func:`to_nir` collects: nodes, edges, and what NIR cannot hold."""

    dt: float
    nodes: dict[str, Any] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    rules: dict[str, Any] = field(default_factory=dict)


def _parts(source: Any, dt: float | None, seed: int) -> tuple[Network, Any, float, list[str]]:
    """(network, simulator, dt, agent-level omissions) of a network, simulator or agent."""
    from neurocontrol.core.simulator import Simulator

    omitted: list[str] = []
    if isinstance(source, Network):
        step = 1e-3 if dt is None else float(dt)
        return source, Simulator(source, dt=step, seed=seed), step, omitted
    if isinstance(source, Simulator):
        return source.network, source, source.dt, omitted
    simulator = getattr(source, "simulator", None)
    if not isinstance(simulator, Simulator):
        raise InterchangeError(
            f"to_nir: {type(source).__name__} holds no spiking network; accepted: a Network, a "
            "Simulator or an agent with a spiking simulator (adaptive_spiking, adaptive_rate)"
        )
    if getattr(source, "base", None) is not None:
        omitted.append(
            f"base controller: agent {type(source).__name__}'s {type(source.base).__name__} "
            "(its torque is added outside the network)"
        )
    return simulator.network, simulator, simulator.dt, omitted


def _rule_parameters(rule: Any) -> dict[str, Any]:
    values = dataclasses.asdict(rule) if dataclasses.is_dataclass(rule) else {}
    return {"type": type(rule).__name__, **{k: _plain(v) for k, v in values.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)


def _neuron_node(pop: Population, sim: Any, held: bool, ex: _Export) -> Any:
    nir = _nir()
    model = pop.model
    where = f"population {pop.name!r}"
    if not isinstance(model, LIF | LIFRate):
        raise InterchangeError(
            f"to_nir: {where} has {type(model).__name__} neurons, which no NIR node holds "
            "(accepted: LIF; lossy: also AdaptiveLIF and LIFRate)"
        )
    if isinstance(model, LIFRate):
        ex.omitted.append(f"rate neurons: {where} is LIFRate; exported as its spiking LIF twin")
    if isinstance(model, AdaptiveLIF):
        ex.omitted.append(f"adaptive threshold: {where} (tau_adapt, delta_th) dropped")
    if isinstance(model, LIF) and model.noise_sigma > 0:
        ex.omitted.append(f"membrane noise: {where} noise_sigma={model.noise_sigma} dropped")
    if model.tau_ref > 0:
        ex.omitted.append(f"refractory period: {where} tau_ref={model.tau_ref} s dropped")
    n = pop.n
    current = np.full(n, model.i_bias)
    if held:
        current = model.i_bias + np.asarray(sim.state[f"{pop.name}.i_ext"], dtype=np.float64)
    v_leak = model.v_rest + model.r_m * current
    full = lambda value: np.full(n, float(value))  # noqa: E731
    if model.tau_syn is None:
        return nir.LIF(
            tau=full(model.tau_m),
            r=full(model.r_m),
            v_leak=np.array(v_leak, dtype=np.float64),
            v_threshold=full(model.v_th),
            v_reset=full(model.v_reset),
        )
    return nir.CubaLIF(
        tau_syn=full(model.tau_syn),
        tau_mem=full(model.tau_m),
        r=full(model.r_m),
        v_leak=np.array(v_leak, dtype=np.float64),
        v_threshold=full(model.v_th),
        v_reset=full(model.v_reset),
        w_in=full(model.tau_syn / ex.dt),
    )


def _spike_factor(model: Any, dt: float) -> float:
    """Core weight per NIR weight into ``model``: ``(1 - e^{-dt/tau}) r``, or 1 with ``tau_syn``."""
    if model.tau_syn is not None:
        return 1.0
    return -math.expm1(-dt / model.tau_m) * model.r_m


def _export_encoder(encoder: Any, ex: _Export) -> None:
    nir = _nir()
    if isinstance(encoder, ReceptiveFieldEncoder):
        ex.omitted.append(
            f"receptive-field input coding: encoder {encoder.name!r} (stochastic spikes of "
            f"{encoder.pre.name!r}) dropped; the graph's input {encoder.post.name!r} takes the "
            "afferents' spikes"
        )
        return
    if encoder.delta is not None:
        ex.omitted.append(
            f"send-on-delta input coding: encoder {encoder.name!r} (delta={encoder.delta}) "
            "exported as the NEF currents recomputed every step"
        )
    model = encoder.post.model
    if model.tau_syn is not None:
        ex.omitted.append(
            f"encoder currents: {encoder.name!r} drives {encoder.post.name!r} directly, but NIR "
            "passes a CubaLIF's input through its synaptic current"
        )
    ex.nodes[encoder.name] = nir.Affine(weight=encoder.weights.copy(), bias=encoder.offset.copy())
    ex.edges += [(encoder.pre.name, encoder.name), (encoder.name, encoder.post.name)]


def _export_projection(projection: Projection, sim: Any, ex: _Export) -> None:
    nir = _nir()
    name = projection.name
    for rule in projection.rules:
        key = f"{name}.{getattr(rule, 'name', None) or rule.default_name}"
        ex.rules[key] = _rule_parameters(rule)
        ex.omitted.append(
            f"learning rule: {type(rule).__name__} on projection {name!r} (frozen at its "
            "current weights; parameters in metadata 'learning_rules')"
        )
    matrix = sim.weight_matrix(name)  # [pre, post], sparse densified
    fading = [rule for rule in projection.rules if getattr(rule, "decay_tau", None) is not None]
    if fading:
        # A memory that fades on its own (the fast process of a two-rate learner) keeps
        # nothing once learning stops: its frozen form is what it fades to, zero.
        matrix = np.zeros_like(matrix)
        ex.omitted.append(
            f"weight decay: projection {name!r} forgets (decay_tau={fading[0].decay_tau} s) "
            "and is exported at the weights it fades to, zero: only what lasts is exported"
        )
    post = projection.post
    if isinstance(post, Output):
        ex.nodes[name] = nir.Linear(weight=np.ascontiguousarray(matrix.T))
        ex.edges += [(projection.pre.name, name), (name, post.name)]
        return
    factor = _spike_factor(post.model, ex.dt)
    weight = matrix.T if factor == 1.0 else matrix.T / factor
    ex.nodes[name] = nir.Linear(weight=np.ascontiguousarray(weight))
    delay = f"{name}_delay"
    ex.nodes[delay] = nir.Delay(delay=np.full(post.n, (1 + projection.delay) * ex.dt))
    ex.edges += [(projection.pre.name, name), (name, delay), (delay, post.name)]


def to_nir(source: Any, dt: float | None = None, *, lossy: bool = False, seed: int = 0) -> Any:
    """The NIR graph (``nir.NIRGraph``) of a network, simulator or agent (see the module docstring).

    Parameters
    ----------
    source : Network, Simulator or agent
        A :class:`~neurocontrol.core.model.Network` (built with ``seed`` to draw its
        weights), a :class:`~neurocontrol.core.simulator.Simulator` (its current,
        trained weights and held currents) or an agent holding one
        (``agent.simulator``, e.g. the adaptive controller).
    dt : float or None
        Step (s) of a Network (default 1 ms); a simulator's own step otherwise.
    lossy : bool
        False: refuse anything NIR cannot hold, listing each element. True:
        write the nearest frozen form, the omissions in metadata and a warning.
    seed : int
        Seed of a Network's random weights.

    Raises
    ------
    InterchangeError
        Listing every element NIR cannot hold (without ``lossy``), or one that
        has no frozen form at all (Izhikevich neurons, unfiltered outputs).
    """
    nir = _nir()
    network, sim, step, agent_omitted = _parts(source, dt, seed)
    ex = _Export(dt=step, omitted=agent_omitted)
    for node in network.populations:
        if isinstance(node, SignalInput):
            if any(e.pre is node and isinstance(e, CurrentEncoder) for e in network.encoders):
                ex.nodes[node.name] = nir.Input(input_type={"input": np.array([node.n])})
        elif isinstance(node, Input):
            ex.nodes[node.name] = nir.Input(
                input_type={"input": np.array([node.n])}, metadata={"signal": "spikes"}
            )
        elif isinstance(node, Population):
            held = network.encoder_of(node) is None
            ex.nodes[node.name] = _neuron_node(node, sim, held, ex)
        elif isinstance(node, Output):
            if node.tau is None:
                raise InterchangeError(
                    f"to_nir: output {node.name!r} has no synapse (tau=None): NIR's readout is a "
                    "leaky integrator (LI); give the output a tau"
                )
            n = node.n
            ex.nodes[node.name] = nir.LI(
                tau=np.full(n, node.tau), r=np.full(n, 1.0 / step), v_leak=np.zeros(n)
            )
            out = f"{node.name}{_OUT_SUFFIX}"
            ex.nodes[out] = nir.Output(output_type={"output": np.array([n])})
            ex.edges.append((node.name, out))
    for encoder in network.encoders:
        _export_encoder(encoder, ex)
    for projection in network.projections:
        _export_projection(projection, sim, ex)
    if ex.omitted and not lossy:
        listed = "\n  - ".join(ex.omitted)
        raise InterchangeError(
            f"to_nir: NIR cannot hold {len(ex.omitted)} element(s) of this network:\n  - "
            f"{listed}\npass lossy=True (neurocontrol export --lossy) to write the nearest "
            "frozen form with these omissions in the graph's metadata"
        )
    if ex.omitted:
        warnings.warn(
            "to_nir: exported the nearest frozen form; omitted: " + "; ".join(ex.omitted),
            UserWarning,
            stacklevel=2,
        )
    metadata = {
        "generator": GENERATOR,
        "dt": step,
        "conventions": "exact zero-order-hold solution over dt; a spike is 1 for one step",
        "omitted": json.dumps(ex.omitted),
        "learning_rules": json.dumps(ex.rules),
    }
    return nir.NIRGraph(nodes=ex.nodes, edges=ex.edges, metadata=metadata)


def write_nir(graph: Any, path: str | Path) -> Path:
    """Write ``graph`` to ``path`` (HDF5) atomically; return the path."""
    from neurocontrol.utils.fileio import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=".nir") as tmp:
        _nir().write(tmp, graph)
    return path


# -- import -------------------------------------------------------------------------------------


@dataclass
class ImportedNetwork:
    """A network read from NIR.

    Attributes
    ----------
    network : Network
        The core's description.
    dt : float
        The step (s): the graph's ``dt`` metadata, or the one given.
    held_currents : dict
        Per-neuron input currents (``i_ext``) standing for a per-neuron
        ``v_leak``; :meth:`simulator` sets them.
    readouts : list of str
        The :class:`~neurocontrol.core.model.network.Output` nodes (from ``LI``).
    notes : list of str
        What changed on the way in (e.g. an instantaneous edge delivered one step later).
    metadata : dict
        The graph's metadata.
    """

    network: Network
    dt: float
    held_currents: dict[str, np.ndarray] = field(default_factory=dict)
    readouts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def simulator(self, seed: int = 0) -> Any:
        """A :class:`~neurocontrol.core.simulator.Simulator` of the network, held currents set."""
        from neurocontrol.core.simulator import Simulator

        sim = Simulator(self.network, dt=self.dt, seed=seed)
        for name, values in self.held_currents.items():
            sim.set_current(name, values)
        return sim


def read_nir(path: str | Path) -> Any:
    """Read a ``.nir`` file; InterchangeError for a missing, corrupt or truncated one."""
    nir = _nir()
    path = Path(path)
    if not path.is_file():
        raise InterchangeError(f"read_nir: no NIR file at {str(path)!r}")
    try:
        return nir.read(path, type_check=False)
    except Exception as exc:  # h5py and nir raise OSError, KeyError, ValueError, ...
        raise InterchangeError(
            f"read_nir: {str(path)!r} is not a readable NIR file (corrupt or truncated HDF5?): "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _name(key: str) -> str:
    return str(key).replace(".", "_")


def _uniform(node_name: str, node: Any, attribute: str) -> float:
    values = np.asarray(getattr(node, attribute), dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise InterchangeError(
            f"from_nir: node {node_name!r} ({type(node).__name__}) has a non-finite or empty "
            f"{attribute}"
        )
    if np.any(values != values[0]):
        raise InterchangeError(
            f"from_nir: node {node_name!r} ({type(node).__name__}) has per-neuron {attribute} "
            f"(from {values.min()} to {values.max()}); the core shares it in a population: "
            "only v_leak may vary per neuron"
        )
    return float(values[0])


def _size(node_name: str, node: Any, which: str) -> int:
    types = node.input_type if which == "input" else node.output_type
    shape = np.asarray(next(iter(types.values())), dtype=np.int64).ravel()
    if shape.size != 1:
        raise ShapeError(
            f"from_nir: node {node_name!r} ({type(node).__name__}) has {which} shape "
            f"{shape.tolist()}; only flat vectors map onto the core"
        )
    return int(shape[0])


def _check_types(graph: Any) -> None:
    nir = _nir()
    accepted = ", ".join(IMPORTED_NODE_TYPES)
    for key, node in graph.nodes.items():
        kind = type(node).__name__
        if isinstance(node, nir.NIRGraph) or kind not in IMPORTED_NODE_TYPES:
            raise InterchangeError(
                f"from_nir: node {key!r} is a {kind}, which does not map onto the core's models; "
                f"accepted node types: {accepted}"
            )
    for src, dst in graph.edges:
        for end in (src, dst):
            if end not in graph.nodes:
                raise InterchangeError(
                    f"from_nir: edge ({src!r}, {dst!r}) names node {end!r}, which is not in "
                    f"the graph; nodes: {sorted(graph.nodes)}"
                )
        if isinstance(graph.nodes[dst], nir.Input) or isinstance(graph.nodes[src], nir.Output):
            raise InterchangeError(
                f"from_nir: edge ({src!r}, {dst!r}) leads into an Input or out of an Output"
            )
    for src, dst in graph.edges:
        out = _size(src, graph.nodes[src], "output")
        into = _size(dst, graph.nodes[dst], "input")
        if out != into:
            raise ShapeError(
                f"from_nir: shapes do not match on edge {src!r} -> {dst!r}: {src!r} gives "
                f"{out} values, {dst!r} takes {into}"
            )


def _check_cycles(graph: Any) -> None:
    """Refuse a cycle without a Delay: the core needs a step between a spike and its effect."""
    nir = _nir()
    following: dict[str, list[str]] = {key: [] for key in graph.nodes}
    for src, dst in graph.edges:
        if not isinstance(graph.nodes[src], nir.Delay):
            following[src].append(dst)
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(key: str) -> None:
        state[key] = 1
        path.append(key)
        for nxt in following[key]:
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                raise InterchangeError(
                    f"from_nir: the graph has a cycle without a Delay node: "
                    f"{' -> '.join(cycle)} (at node {nxt!r}); the core supports recurrence "
                    "only through a Delay of at least one step"
                )
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[key] = 2

    for key in graph.nodes:
        if key not in state:
            visit(key)


@dataclass
class _Path:
    """A source (Input or neuron node), its weight node, and the delay (s) on the way."""

    source: str
    weight: str | None
    delay: float


def _paths_into(graph: Any, target: str) -> list[_Path]:
    """Walk back from ``target`` through Delay / Affine / Linear nodes to each source."""
    nir = _nir()
    incoming: dict[str, list[str]] = {}
    for src, dst in graph.edges:
        incoming.setdefault(dst, []).append(src)
    found: list[_Path] = []

    def walk(key: str, weight: str | None, delay: float) -> None:
        node = graph.nodes[key]
        if isinstance(node, nir.Input | nir.LIF | nir.CubaLIF):
            found.append(_Path(key, weight, delay))
            return
        if isinstance(node, nir.LI):
            raise InterchangeError(
                f"from_nir: LI node {key!r} feeds {target!r}; an LI maps onto the core only as a "
                "readout synapse (its output goes to Output nodes)"
            )
        sources = incoming.get(key, [])
        if len(sources) != 1:
            raise InterchangeError(
                f"from_nir: node {key!r} ({type(node).__name__}) has {len(sources)} inputs; "
                "a weight or delay node between neurons takes exactly one"
            )
        if isinstance(node, nir.Delay):
            walk(sources[0], weight, delay + _uniform(key, node, "delay"))
        else:
            if weight is not None:
                raise InterchangeError(
                    f"from_nir: two weight nodes {key!r} and {weight!r} in a row before "
                    f"{target!r}; the core's projection holds one weight matrix"
                )
            walk(sources[0], key, delay)

    for src in incoming.get(target, []):
        walk(src, None, 0.0)
    return found


def _weight(graph: Any, key: str | None, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W [post, pre], bias [post])`` of a weight node (identity for none)."""
    nir = _nir()
    if key is None:
        if n_pre != n_post:
            raise ShapeError(f"from_nir: a connection of {n_pre} onto {n_post} has no weights")
        return np.eye(n_post), np.zeros(n_post)
    node = graph.nodes[key]
    weight = np.asarray(node.weight, dtype=np.float64)
    if weight.shape != (n_post, n_pre):
        raise ShapeError(
            f"from_nir: node {key!r} has weight shape {weight.shape}; between its neighbours "
            f"it must be ({n_post}, {n_pre})"
        )
    bias = np.zeros(n_post)
    if isinstance(node, nir.Affine):
        bias = np.asarray(node.bias, dtype=np.float64).reshape(n_post)
    return weight, bias


def _steps(key: str, delay: float, dt: float) -> int:
    steps = delay / dt
    whole = round(steps)
    if abs(steps - whole) > 1e-6 * max(1.0, abs(steps)):
        raise InterchangeError(
            f"from_nir: delay {delay} s before {key!r} is not a whole number of steps of {dt} s"
        )
    return int(whole)


def _snap(factor: float) -> float:
    """1.0 for a factor within rounding of 1, so a round trip keeps weights bit for bit."""
    return 1.0 if abs(factor - 1.0) < 1e-12 else factor


def from_nir(graph_or_path: Any, dt: float | None = None) -> ImportedNetwork:
    """The core network of a NIR graph (or ``.nir`` file), see the module docstring.

    Accepts Input, Output, Affine, Linear, Delay, LIF, CubaLIF and LI (as a
    readout synapse before Output nodes); refuses any other node by name.
    An ``Input`` feeding a ``LIF`` through an ``Affine``/``Linear`` without a
    ``Delay`` becomes a signal input and its encoder (currents in the same
    step, as NIR's instantaneous edges mean); any other source becomes a
    projection whose delay is the path's ``Delay`` less one step (an edge
    without one is delivered a step late, noted in ``notes``).

    Parameters
    ----------
    graph_or_path : nir.NIRGraph, str or Path
    dt : float or None
        The step (s); default: the graph's ``dt`` metadata, else 1 ms.
    """
    nir = _nir()
    graph = graph_or_path if isinstance(graph_or_path, nir.NIRGraph) else read_nir(graph_or_path)
    metadata = dict(getattr(graph, "metadata", None) or {})
    step = float(dt if dt is not None else metadata.get("dt", 1e-3))
    _check_types(graph)
    _check_cycles(graph)
    notes: list[str] = []
    nodes: dict[str, Any] = {}
    held: dict[str, np.ndarray] = {}
    readouts: list[str] = []
    signal_inputs: dict[str, SignalInput] = {}
    for key, node in graph.nodes.items():
        if isinstance(node, nir.LIF | nir.CubaLIF):
            nodes[key], current = _population(key, node, step)
            if current is not None:
                held[_name(key)] = current
        elif isinstance(node, nir.LI):
            nodes[key] = _readout(key, node, graph)
            readouts.append(_name(key))
    encoders: list[Any] = []
    projections: list[Projection] = []
    for key, node in graph.nodes.items():
        if not isinstance(node, nir.LIF | nir.CubaLIF | nir.LI):
            continue
        post = nodes[key]
        for path in _paths_into(graph, key):
            source = graph.nodes[path.source]
            n_pre = _size(path.source, source, "output")
            weight, bias = _weight(graph, path.weight, n_pre, post.n)
            current_input = (
                isinstance(source, nir.Input) and isinstance(node, nir.LIF) and path.delay == 0
            )
            if current_input and source.metadata.get("signal") != "spikes":
                if path.source not in signal_inputs:
                    signal_inputs[path.source] = SignalInput(n_pre, name=_name(path.source))
                encoders.append(
                    CurrentEncoder(
                        signal_inputs[path.source],
                        post,
                        weight,
                        1.0,
                        bias,
                        name=_name(path.weight or f"{path.source}_to_{key}"),
                    )
                )
                continue
            if np.any(bias != 0):
                raise InterchangeError(
                    f"from_nir: Affine {path.weight!r} between {path.source!r} and {key!r} has a "
                    "bias; a projection carries spikes only (use v_leak for a constant input)"
                )
            if path.source not in nodes:
                nodes[path.source] = Input(n_pre, name=_name(path.source))
            projections.append(
                _projection(graph, key, node, nodes[path.source], post, path, weight, step, notes)
            )
    populations = [
        *signal_inputs.values(),
        *(nodes[k] for k in graph.nodes if k in nodes),
    ]
    try:
        network = Network(populations, projections, encoders)
    except (ValueError, TypeError) as exc:
        raise InterchangeError(f"from_nir: the graph does not form a core network: {exc}") from exc
    return ImportedNetwork(network, step, held, readouts, notes, metadata)


def _population(key: str, node: Any, dt: float) -> tuple[Population, np.ndarray | None]:
    nir = _nir()
    cuba = isinstance(node, nir.CubaLIF)
    tau = _uniform(key, node, "tau_mem" if cuba else "tau")
    r = _uniform(key, node, "r")
    v_th = _uniform(key, node, "v_threshold")
    v_reset = 0.0 if node.v_reset is None else _uniform(key, node, "v_reset")
    v_leak = np.asarray(node.v_leak, dtype=np.float64).ravel()
    current = None
    if np.all(v_leak == v_leak[0]):
        v_rest = float(v_leak[0])
    else:
        v_rest, current = 0.0, v_leak / r
    tau_syn = None
    if cuba:
        tau_syn = _uniform(key, node, "tau_syn")
        w_in = _uniform(key, node, "w_in")
        if w_in != tau_syn / dt:
            raise InterchangeError(
                f"from_nir: CubaLIF {key!r} has w_in={w_in}; the core's synaptic current jumps "
                f"by the weight per spike, which is w_in = tau_syn / dt = {tau_syn / dt}"
            )
    try:
        model = LIF(
            tau_m=tau,
            v_rest=v_rest,
            v_reset=v_reset,
            v_th=v_th,
            tau_ref=0.0,
            r_m=r,
            tau_syn=tau_syn,
        )
    except ValueError as exc:
        raise InterchangeError(f"from_nir: node {key!r}: {exc}") from exc
    return Population(_size(key, node, "output"), model, name=_name(key)), current


def _readout(key: str, node: Any, graph: Any) -> Output:
    nir = _nir()
    targets = [dst for src, dst in graph.edges if src == key]
    for dst in targets:
        if not isinstance(graph.nodes[dst], nir.Output):
            raise InterchangeError(
                f"from_nir: LI node {key!r} feeds {dst!r} ({type(graph.nodes[dst]).__name__}); "
                "an LI maps onto the core only as a readout synapse before Output nodes"
            )
    if np.any(np.asarray(node.v_leak) != 0):
        raise InterchangeError(f"from_nir: LI node {key!r} has a non-zero v_leak")
    _uniform(key, node, "r")
    return Output(_size(key, node, "output"), tau=_uniform(key, node, "tau"), name=_name(key))


def _projection(
    graph: Any,
    key: str,
    node: Any,
    pre: Any,
    post: Any,
    path: _Path,
    weight: np.ndarray,
    dt: float,
    notes: list[str],
) -> Projection:
    nir = _nir()
    name = _name(path.weight or f"{path.source}_to_{key}")
    if isinstance(node, nir.LI):
        if path.delay != 0:
            raise InterchangeError(
                f"from_nir: readout {name!r} into LI {key!r} has a Delay; the core's readout "
                "delivers in the step of its spikes"
            )
        factor = _snap(_uniform(key, node, "r") * dt)
        values = weight.T * factor if factor != 1.0 else weight.T
        return Projection(pre, post, AllToAll(), weights=values, name=name)
    steps = _steps(key, path.delay, dt)
    if steps == 0:
        notes.append(
            f"edge {path.source!r} -> {key!r} has no Delay: delivered one step later, as the "
            "core delivers spikes"
        )
    model = post.model
    factor = _spike_factor(model, dt)
    values = weight.T * factor if factor != 1.0 else weight.T
    return Projection(pre, post, AllToAll(), weights=values, delay=max(steps - 1, 0), name=name)


def nir_summary(graph: Any) -> Mapping[str, Any]:
    """Node types by name and the metadata of ``graph``, for printing."""
    return {
        "nodes": {key: type(node).__name__ for key, node in graph.nodes.items()},
        "edges": [list(edge) for edge in graph.edges],
        "metadata": dict(getattr(graph, "metadata", None) or {}),
    }


def export_run(run_dir: str | Path, path: str | Path, *, lossy: bool = False) -> Any:
    """Write the trained controller of a run directory (``checkpoint.*``) to ``path``; the graph.

    The agent is rebuilt for the run's env from ``config.yaml`` and restored
    from its checkpoint (:func:`~neurocontrol.agents.factory.load_agent`).
    """
    import gymnasium as gym

    from neurocontrol.agents.factory import load_agent
    from neurocontrol.errors import CheckpointError
    from neurocontrol.experiment.protocol import ExperimentConfig
    from neurocontrol.utils.config import load_yaml

    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise CheckpointError(f"{str(run_dir)!r} is not a run directory: no config.yaml in it")
    config = load_yaml(config_path, ExperimentConfig)
    env = gym.make(config.env.id, **config.env.kwargs)
    try:
        agent = load_agent(run_dir / "checkpoint", env)
    finally:
        env.close()
    graph = to_nir(agent, lossy=lossy)
    write_nir(graph, path)
    return graph
