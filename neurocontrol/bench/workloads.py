"""The closed-loop benchmark networks CL-1k and CL-10k, by name.

Kept apart from :mod:`neurocontrol.bench.snn` (argparse, subprocess, the
Brian2 side) so that the start-time measurement imports only what a user's
own script would: the model description and the simulator.
"""

from __future__ import annotations

import numpy as np

from neurocontrol.core.model import (
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

__all__ = ["READOUT_TAU", "WORKLOADS", "InputEvents", "build_workload"]

WORKLOADS = {"CL-1k": (100, 1000), "CL-10k": (1000, 10000)}
READOUT_TAU = 0.02


class InputEvents:
    """The workloads' input events, one draw per step.

    Afferent ``i`` fires with probability
    ``0.05 clip(0.5 + 0.5 sin(2 pi t + i/10), 0, 1)``, drawn in place (no
    allocation) from its own generator ``rng``.
    """

    def __init__(self, n_in: int, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.phase = np.arange(n_in) / 10.0
        self.prob, self.uniform = np.empty(n_in), np.empty(n_in)
        self.events = np.empty(n_in, dtype=bool)

    def draw(self, t: float) -> np.ndarray:
        """This step's events (the same array every step) at time ``t`` (s)."""
        prob = self.prob
        np.sin(2.0 * np.pi * t + self.phase, out=prob)
        prob *= 0.5
        prob += 0.5
        np.clip(prob, 0.0, 1.0, out=prob)
        prob *= 0.05
        self.rng.random(out=self.uniform)
        return np.less(self.uniform, prob, out=self.events)


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
