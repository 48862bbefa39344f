"""The closed-loop benchmark networks CL-1k and CL-10k (issue 3), by name.

Kept apart from :mod:`neurocontrol.bench.snn` (argparse, subprocess, the
Brian2 side) so that the start-time measurement imports only what a user's
own script would: the model description and the simulator.
"""

from __future__ import annotations

from neurocontrol.model import (
    LIF,
    AllToAll,
    Connectivity,
    FixedProbability,
    Input,
    Network,
    Normal,
    PairSTDP,
    Population,
    Projection,
    Uniform,
)

__all__ = ["CHUNKS", "CHUNK_WARMUP", "READOUT_TAU", "WORKLOADS", "build_workload", "chunk_sizes"]

WORKLOADS = {"CL-1k": (100, 1000), "CL-10k": (1000, 10000)}
READOUT_TAU = 0.02
#: Chunks a bench repeat interleaves the networks it compares in: on a shared machine the
#: speed changes by 10-70% within seconds, so each network must see the same seconds.
CHUNKS = 20
#: Untimed steps at the start of each interleaved chunk: they bring back into the caches
#: what the other networks evicted (without them, interleaved CL-1k measured ~5% slower).
CHUNK_WARMUP = 10


def chunk_sizes(steps: int) -> list[int]:
    """``steps`` split into at most :data:`CHUNKS` near-equal chunks."""
    n_chunks = max(1, min(CHUNKS, steps))
    return [steps // n_chunks + (c < steps % n_chunks) for c in range(n_chunks)]


def build_workload(name: str, plastic: bool = True) -> Network:
    """The network of workload ``name`` ("CL-1k" or "CL-10k")."""
    n_in, n_hidden = WORKLOADS[name]
    source = Input(n_in, name="input")
    hidden = Population(
        n_hidden, LIF(tau_m=0.02, v_th=1.0, v_reset=0.0, tau_ref=0.002), name="hidden"
    )
    rule = PairSTDP(a_plus=1e-4, a_minus=1.05e-4, w_min=0.0, w_max=0.1) if plastic else None
    feedforward: Connectivity = AllToAll() if name == "CL-1k" else FixedProbability(0.1)
    recurrent = FixedProbability(0.1 if name == "CL-1k" else 0.01, allow_self_connections=False)
    return Network(
        [source, hidden],
        [
            Projection(
                source, hidden, feedforward, Uniform(0.0, 0.1), rule=rule, name="input_to_hidden"
            ),
            Projection(hidden, hidden, recurrent, Normal(0.0, 0.02), name="hidden_to_hidden"),
        ],
    )
