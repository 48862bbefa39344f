"""``bench rules``: cost of on-line learning on the CL-1k closed-loop workload.

The CL-1k network of ``bench snn`` (100 Poisson afferents -> 1000 LIF
neurons all-to-all, 100k plastic synapses, plus 100k static recurrent
ones), stepped in a closed loop (fresh input events each step, a 7-value
readout), in four variants measured in the same run, interleaved in chunks
within each repeat (the machine's speed changes within seconds):

(a) no learning; (b) pair STDP on the input projection (the ``bench snn``
rule); (c) reward-modulated STDP with eligibility traces on the input
projection, a reward every 100 ms; (d) PES on a 1000 x 7 readout projection
inside the network, the error (readout minus a target) set every step.

Reported: us/step (median over repeats) and the ratio to (a), in wall time
and in the CPU time of the stepping thread (which a shared machine disturbs
less); target (b) and (c) <= 1.5x (a).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from typing import Any

import numpy as np

from neurocontrol.bench.interleave import run_interleaved
from neurocontrol.bench.workloads import (
    READOUT_TAU,
    InputEvents,
    build_workload,
)
from neurocontrol.core.model import (
    LIF,
    PES,
    AllToAll,
    LearningRule,
    Network,
    Population,
    Projection,
    RewardSTDP,
)
from neurocontrol.utils.arguments import positive_int

__all__ = ["VARIANTS", "add_arguments", "build_variant", "run"]

#: variant -> description
VARIANTS = {
    "a_static": "no learning",
    "b_pair_stdp": "pair STDP on input_to_hidden",
    "c_reward_stdp": "R-STDP with eligibility on input_to_hidden, reward every 100 ms",
    "d_pes_readout": "PES on a 1000 x 7 readout projection, error every step",
}
N_OUT = 7
REWARD_PERIOD = 100  # steps


def _with_input_rule(network: Network, rule: LearningRule | None) -> list[Projection]:
    return [
        dataclasses.replace(p, rule=rule) if p.name == "input_to_hidden" else p
        for p in network.projections
    ]


def build_variant(variant: str) -> Network:
    """The CL-1k network of ``variant`` (a key of :data:`VARIANTS`)."""
    base = build_workload("CL-1k", plastic=False)
    projections = list(base.projections)
    populations = list(base.populations)
    if variant == "b_pair_stdp":
        return build_workload("CL-1k", plastic=True)  # the rule of ``bench snn``
    if variant == "c_reward_stdp":
        rule: LearningRule = RewardSTDP(
            a_plus=1.0, a_minus=0.5, learning_rate=1e-4, baseline_rate=0.1, w_min=0.0, w_max=0.1
        )
        projections = _with_input_rule(base, rule)
    elif variant == "d_pes_readout":
        hidden = base.node("hidden")
        readout = Population(N_OUT, LIF(tau_syn=READOUT_TAU, v_th=1e12), name="readout")
        populations.append(readout)
        rule = PES(learning_rate=1e-6, pre_tau=READOUT_TAU)
        projections.append(
            Projection(hidden, readout, AllToAll(), 0.0, rule=rule, name="hidden_to_readout")
        )
    elif variant != "a_static":
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    return Network(populations, projections)


class _Loop:
    """One variant's simulator and closed-loop state."""

    def __init__(self, variant: str) -> None:
        from neurocontrol.core.simulator import Simulator

        self.variant = variant
        t0 = time.perf_counter()
        self.sim = Simulator(build_variant(variant), seed=1)
        self.sim.step(np.zeros(self.sim.n_inputs, dtype=bool))
        self.start_s = time.perf_counter() - t0
        self.n_in = self.sim.n_inputs
        self.hidden = self.sim.slice_of("hidden")
        self.trace = np.zeros(self.hidden.stop - self.hidden.start)
        self.readout = np.random.default_rng(99).normal(0.0, 0.1, (self.trace.size, N_OUT))
        self.decay = math.exp(-self.sim.dt / READOUT_TAU)
        self.inputs = InputEvents(self.n_in)  # its generator also draws the rewards
        if variant == "d_pes_readout":
            self.i_syn = self.sim.state["readout.i_syn"]
            self.error = self.sim.state["hidden_to_readout.pes.error"]
            self.to_output = (1.0 - self.decay) / self.sim.dt
            self.target = np.linspace(-0.5, 0.5, N_OUT)

    def run(self, steps: int, warmup: int = 0) -> tuple[float, float]:
        """Wall and thread CPU seconds for ``steps`` closed-loop steps after ``warmup`` untimed."""
        if warmup > 0:
            self.run(warmup)
        sim, inputs = self.sim, self.inputs
        pes = self.variant == "d_pes_readout"
        reward = self.variant == "c_reward_stdp"
        start, start_cpu = time.perf_counter(), time.thread_time()
        for _ in range(steps):
            events = inputs.draw(sim.time)
            if reward and sim.n_steps % REWARD_PERIOD == 0:
                sim.set_third_factor("input_to_hidden.rstdp", inputs.rng.choice((-1.0, 1.0)))
            spikes = sim.step(events)
            if pes:
                np.multiply(self.i_syn, self.to_output, out=self.error)
                self.error -= self.target
            else:
                self.trace *= self.decay
                self.trace += spikes[self.hidden]
                self.trace @ self.readout
        return time.perf_counter() - start, time.thread_time() - start_cpu


def _bytes_per_synapse(sim: Any, variant: str) -> float:
    name = "hidden_to_readout" if variant == "d_pes_readout" else "input_to_hidden"
    n_syn = sim.state[f"{name}.weights"].size
    return float(sim.built.synapse_bytes[name] / n_syn)


def measure(steps: int, repeats: int, variants: list[str]) -> dict[str, Any]:
    """us/step of each variant, interleaved in chunks within each repeat; ratios to (a)."""
    loops = {variant: _Loop(variant) for variant in variants}
    per_repeat = run_interleaved(
        {variant: loop.run for variant, loop in loops.items()}, steps, repeats
    )  # (wall, CPU seconds) per repeat
    times = {v: [float(wall) / steps * 1e6 for wall, _ in runs] for v, runs in per_repeat.items()}
    cpu_times = {v: [float(cpu) / steps * 1e6 for _, cpu in runs] for v, runs in per_repeat.items()}
    figures: dict[str, Any] = {}
    for variant, loop in loops.items():
        sim = loop.sim
        figures[variant] = {
            "description": VARIANTS[variant],
            "us_per_step": float(np.median(times[variant])),
            "us_per_step_runs": times[variant],
            "cpu_us_per_step": float(np.median(cpu_times[variant])),
            "hidden_rate_hz": sim.total_spikes()["hidden"] / (1000 * sim.time),
            # weights + indices + per-synapse rule state of the plastic projection
            "bytes_per_plastic_synapse": _bytes_per_synapse(sim, variant),
            "start_s": loop.start_s,
        }
    if "a_static" in figures:
        base = figures["a_static"]["us_per_step"]
        base_cpu = figures["a_static"]["cpu_us_per_step"]
        for values in figures.values():
            values["ratio_to_static"] = values["us_per_step"] / base
            values["cpu_ratio_to_static"] = values["cpu_us_per_step"] / base_cpu
    return figures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench rules``."""
    parser.add_argument(
        "--steps", type=positive_int, default=5000, help="steps per repeat (default 5000)"
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=5, help="repeats; the median is reported"
    )
    parser.add_argument(
        "--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), help="variants"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite; return the figures and a printable table."""
    figures = measure(args.steps, args.repeats, args.variants)
    table = []
    for variant, values in figures.items():
        ratio, cpu_ratio = values.get("ratio_to_static"), values.get("cpu_ratio_to_static")
        ratio_text = "" if ratio is None else f" (x{ratio:.2f} of no learning)"
        cpu_text = "" if cpu_ratio is None else f" (x{cpu_ratio:.2f})"
        table.append(
            f"CL-1k {variant} [{values['description']}]: {values['us_per_step']:.1f} us/step"
            f"{ratio_text}, CPU {values['cpu_us_per_step']:.1f} us/step{cpu_text}, runs "
            f"{', '.join(f'{t:.1f}' for t in values['us_per_step_runs'])}, "
            f"hidden rate {values['hidden_rate_hz']:.1f} Hz, "
            f"{values['bytes_per_plastic_synapse']:.0f} B per plastic synapse"
        )
    report: dict[str, Any] = {"variants": figures, "table": table}
    json.dumps(report)  # the report must be JSON-able
    return report
