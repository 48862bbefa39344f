"""Checks of an exported controller: another simulator on the same graph, and closed loop.

:func:`norse_outputs` runs a graph :func:`~neurocontrol.interchange.nir_io.to_nir` wrote
in Norse (``norse.torch.from_nir``, CPU) on a recorded input sequence;
:func:`core_outputs` runs the same graph imported back into this package;
:func:`compare` gives their correlation and RMS difference. Norse 1.1's
importer has no mapping for NIR's ``LI`` node (its graph executor skips the
node without a word, so its output would be the unfiltered decoded spikes):
the readout's leaky integrator runs in Norse's own ``LIBoxCell`` (forward
Euler, the same ODE) on what Norse's imported graph delivers to it.

:func:`closed_loop` runs an agent on its env as it was and as exported
(frozen graph imported back, standing in for the agent's network), which
measures what the export drops (refractoriness, send-on-delta input, the
learning rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocontrol.errors import InterchangeError
from neurocontrol.interchange.nir_io import ImportedNetwork, from_nir

__all__ = ["closed_loop", "compare", "core_outputs", "norse_outputs", "record_inputs"]


def _readout_parts(graph: Any) -> tuple[Any, dict[str, Any]]:
    """The graph with each LI cut out (its Linear feeding the Output), and the LI nodes.

    Several Linears from one population into an LI (a slow and a fast readout)
    become one, their weights summed: the LI integrates their sum.
    """
    import nir

    lis = {k: n for k, n in graph.nodes.items() if isinstance(n, nir.LI)}
    nodes = {k: n for k, n in graph.nodes.items() if k not in lis}
    feeding: dict[str, list[str]] = {}
    for src, dst in graph.edges:
        if dst in lis:
            feeding.setdefault(dst, []).append(src)
    merged: dict[str, str] = {}  # LI -> the one Linear kept
    for li, linears in feeding.items():
        keep, *others = linears
        sources = {s for s, d in graph.edges if d in linears}
        if len(sources) != 1 or not all(isinstance(nodes[k], nir.Linear) for k in linears):
            raise InterchangeError(
                f"norse_outputs: LI {li!r} is fed by {linears}; the check needs Linears from "
                "one population"
            )
        weight = sum(np.asarray(nodes[k].weight, dtype=np.float64) for k in linears)
        nodes[keep] = nir.Linear(weight=weight)
        for k in others:
            del nodes[k]
        merged[li] = keep
    dropped = {k for linears in feeding.values() for k in linears[1:]}
    edges = []
    for src, dst in graph.edges:
        if dst in lis or src in dropped or dst in dropped:
            continue
        edges.append((merged[src], dst) if src in lis else (src, dst))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=dict(graph.metadata)), lis


def norse_outputs(graph: Any, inputs: np.ndarray, dt: float | None = None) -> np.ndarray:
    """The graph's single output in Norse for ``inputs`` ``[steps, n]`` (float64 ``[steps, m]``)."""
    import norse.torch as norse
    import torch

    step = float(dt if dt is not None else graph.metadata.get("dt", 1e-3))
    cut, lis = _readout_parts(graph)
    if len(lis) != 1:
        raise InterchangeError(f"norse_outputs: the graph needs one LI readout, has {len(lis)}")
    (li,) = lis.values()
    module = norse.from_nir(cut, dt=step)
    synapse = norse.LIBoxCell(
        norse.LIBoxParameters(
            tau_mem_inv=torch.as_tensor(1.0 / li.tau, dtype=torch.float32),
            v_leak=torch.as_tensor(li.v_leak, dtype=torch.float32),
        ),
        dt=step,
    )
    r = torch.as_tensor(li.r, dtype=torch.float32)
    state = synapse_state = None
    out = np.empty((len(inputs), li.tau.size))
    with torch.no_grad():
        for t, x in enumerate(torch.as_tensor(inputs, dtype=torch.float32)):
            decoded, state = module(x[None, :], state)
            y, synapse_state = synapse(r * decoded, synapse_state)
            out[t] = y[0].numpy()
    return out


def core_outputs(imported: ImportedNetwork, inputs: np.ndarray, seed: int = 0) -> np.ndarray:
    """The first readout of an imported network for ``inputs`` ``[steps, n]``."""
    sim = imported.simulator(seed)
    value = sim.state[f"{imported.readouts[0]}.value"]
    out = np.empty((len(inputs), value.size))
    for t, x in enumerate(np.ascontiguousarray(inputs, dtype=np.float64)):
        sim.step(signals=x)
        out[t] = value
    return out


def compare(reference: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Pearson correlation (all entries) and RMS difference relative to the reference's RMS."""
    a, b = np.ravel(reference), np.ravel(other)
    rms = float(np.sqrt(np.mean(a**2)))
    return {
        "correlation": float(np.corrcoef(a, b)[0, 1]),
        "rms_difference_ratio": float(np.sqrt(np.mean((a - b) ** 2)) / rms),
        "rms_reference": rms,
    }


def record_inputs(env: Any, agent: Any, steps: int, seed: int, options: Any = None) -> np.ndarray:
    """The signals ``agent``'s network took over a closed-loop episode of ``steps`` steps."""
    from neurocontrol.loop.episode import run_episode

    recorded = np.empty((steps, agent.joint_state.size))
    count = [0]

    def record(*_: Any) -> None:
        if count[0] < steps:
            recorded[count[0]] = agent.joint_state
            count[0] += 1

    run_episode(env, agent, seed=seed, options=options, max_steps=steps, callbacks=[record])
    return recorded[: count[0]]


def _stand_in(agent: Any, imported: ImportedNetwork) -> None:
    """Let ``imported`` (frozen) stand in for an adaptive agent's network, in place."""
    sim = imported.simulator(agent.seed)
    agent.simulator = sim
    agent._step = sim.step
    agent._output = sim.state[f"{imported.readouts[0]}.value"]
    agent.error = np.zeros_like(agent.error)  # no rule reads it any more
    agent.ops = sim.operations


def closed_loop(
    env: Any, make: Any, graph: Any, steps: int, seed: int, options: Any = None
) -> dict[str, float]:
    """RMS tracking error (m) of ``make()``'s agent as it is, frozen, and as exported.

    ``make`` builds the trained agent afresh (e.g. ``load_agent``); each run
    starts from the same trained state.
    """
    from neurocontrol.loop.episode import run_episode
    from neurocontrol.utils.statistics import rms

    def error(agent: Any) -> float:
        result = run_episode(env, agent, seed=seed, options=options, max_steps=steps)
        return float(rms(result.trace["tracking_error"]))

    frozen = make()
    frozen.set_learning(False)
    exported = make()
    _stand_in(exported, from_nir(graph))
    return {
        "original": error(make()),
        "original_frozen": error(frozen),
        "exported": error(exported),
    }
