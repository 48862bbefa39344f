"""``bench snn``: the closed-loop spiking workloads CL-1k and CL-10k.

Each step, Python computes fresh input events
(``p_i = 0.05 clip(0.5 + 0.5 sin(2 pi t + i/10), 0, 1)``), calls
``sim.step(events)`` once, and reads a 7-value readout (hidden spikes
filtered with tau 20 ms times a fixed 1000 x 7 matrix). Reported: us/step
(median of repeats x steps, compile time apart, the workloads interleaved
in chunks), mean hidden rate, SynOps per step, fixed overhead of a
10-neuron network, cold and warm start to the first step (fresh processes)
beside the floor of any numba program (import numba, first call of a
cached trivial function), and state bytes per plastic synapse.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from neurocontrol.bench.interleave import run_interleaved
from neurocontrol.bench.workloads import (
    READOUT_TAU,
    WORKLOADS,
    InputEvents,
    build_workload,
)
from neurocontrol.core.model import LIF, AllToAll, Input, Network, Population, Projection
from neurocontrol.utils.arguments import positive_int

if TYPE_CHECKING:
    import argparse

__all__ = ["add_arguments", "build_workload", "run"]


class ClosedLoop:
    """One workload's simulator with the bench's per-step Python I/O, built once."""

    def __init__(self, name: str, plastic: bool = True) -> None:
        from neurocontrol.core.simulator import Simulator

        self.n_in = WORKLOADS[name][0]
        t0 = time.perf_counter()
        self.sim = sim = Simulator(build_workload(name, plastic), seed=1)
        t1 = time.perf_counter()
        sim.step(np.zeros(self.n_in, dtype=bool))
        self.build_s, self.first_step_s = t1 - t0, time.perf_counter() - t1
        self.inputs = InputEvents(self.n_in)
        self.hidden = sim.slice_of("hidden")
        n_hidden = self.hidden.stop - self.hidden.start
        self.readout = np.random.default_rng(99).normal(0.0, 0.1, (n_hidden, 7))
        self.decay = np.exp(-sim.dt / READOUT_TAU)
        # (filtered spikes) @ readout, updated by the rows of this step's spikers only:
        # trace_t = decay trace_{t-1} + s_t, so command_t = decay command_{t-1} + s_t @ readout
        self.command = np.zeros(7)

    def run(self, steps: int, warmup: int = 0) -> tuple[float, float, int, int]:
        """Run ``warmup`` untimed steps, then ``steps`` timed ones.

        Returns (seconds, CPU seconds, hidden spikes, SynOps) of the timed
        steps. CPU seconds are this thread's (``time.thread_time``): on a
        shared machine they leave out the time other processes hold the core.
        """
        if warmup > 0:
            self.run(warmup)
        sim, inputs, command = self.sim, self.inputs, self.command
        readout, hidden, decay = self.readout, self.hidden, self.decay
        spikes0, synops0 = sim.total_spikes()["hidden"], sim.total_synops
        start, cpu_start = time.perf_counter(), time.thread_time()
        for _ in range(steps):
            spikes = sim.step(inputs.draw(sim.time))
            command *= decay
            command += readout[np.flatnonzero(spikes[hidden])].sum(axis=0)
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
        return elapsed, cpu, sim.total_spikes()["hidden"] - spikes0, sim.total_synops - synops0


def measure_workloads(
    names: list[str], steps: int, repeats: int, plastic: bool = True
) -> dict[str, dict[str, Any]]:
    """us/step (median), rate, SynOps/step and memory figures of each workload in ``names``.

    Each repeat runs every workload for ``steps`` steps, interleaved in
    :data:`~neurocontrol.bench.interleave.CHUNKS` chunks (CL-1k 500 steps,
    CL-10k 500 steps, CL-1k ...), so that all workloads of a repeat see the
    same stretch of machine time: on a shared machine the speed changes by
    10-70% within seconds, which would otherwise land on one workload only
    and skew the ratio between them. A chunk starts with
    :data:`~neurocontrol.bench.interleave.CHUNK_WARMUP` untimed steps, which
    bring back into the caches what the other workload evicted.
    """
    names = list(dict.fromkeys(names))  # a workload named twice is measured once
    loops = {name: ClosedLoop(name, plastic) for name in names}
    tallies: dict[str, dict[str, Any]] = {
        name: {"times": [], "cpu_times": [], "synops_runs": [], "spikes": 0, "synops": 0}
        for name in names
    }
    per_repeat = run_interleaved({name: loop.run for name, loop in loops.items()}, steps, repeats)
    for name in names:
        for elapsed, cpu, s, ops in per_repeat[name]:  # seconds, CPU seconds, spikes, SynOps
            tally = tallies[name]
            tally["times"].append(float(elapsed) / steps * 1e6)
            tally["cpu_times"].append(float(cpu) / steps * 1e6)
            tally["synops_runs"].append(float(ops) / steps)
            tally["spikes"] += int(s)
            tally["synops"] += int(ops)
    figures: dict[str, dict[str, Any]] = {}
    for name, loop in loops.items():
        sim, tally, total_steps = loop.sim, tallies[name], steps * repeats
        n_plastic = int(sim.state["input_to_hidden.weights"].size)
        figures[name] = {
            "build_s": loop.build_s,
            "first_step_s": loop.first_step_s,
            "us_per_step": float(np.median(tally["times"])),
            "us_per_step_runs": tally["times"],
            "cpu_us_per_step": float(np.median(tally["cpu_times"])),
            "hidden_rate_hz": tally["spikes"] / (WORKLOADS[name][1] * total_steps * sim.dt),
            "synops_per_step": tally["synops"] / total_steps,
            "synops_per_step_runs": tally["synops_runs"],
            "plastic_synapses": n_plastic,
            "bytes_per_plastic_synapse": sim.built.synapse_bytes["input_to_hidden"] / n_plastic
            if plastic
            else None,
            "static_synapses": int(sim.state["hidden_to_hidden.weights"].size),
        }
    return figures


def fixed_overhead_us(steps: int = 20000) -> float:
    """us per ``sim.step`` of a 10-neuron network (Python call included)."""
    from neurocontrol.core.simulator import Simulator

    source, hidden = Input(2, name="input"), Population(10, LIF(), name="hidden")
    sim = Simulator(Network([source, hidden], [Projection(source, hidden, AllToAll(), 0.5)]))
    events = np.zeros(2, dtype=bool)
    sim.step(events)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            sim.step(events)
        best = min(best, (time.perf_counter() - start) / steps * 1e6)
    return best


_IMPORTS = """
import numpy as np
from neurocontrol.bench.workloads import build_workload
from neurocontrol.core.simulator import Simulator
"""

_START_SCRIPT = f"""
import time
t0, c0 = time.perf_counter(), time.process_time()
{_IMPORTS}sim = Simulator(build_workload("CL-1k"), seed=1)
sim.step(np.zeros(100, dtype=bool))
print(time.perf_counter() - t0, time.process_time() - c0, flush=True)
"""

# The floor of a warm start with numba: import numpy and numba, then the first call of
# a trivial cached njit function (loading it starts numba's CPU target), with numba's
# SciPy BLAS probe skipped as neurocontrol.core.kernels does.
_FLOOR_KERNEL = """
from numba import njit


@njit(cache=True)
def add(a, b):
    a[0] += b[0]
"""

_FLOOR_SCRIPT = """
import sys, time
t0, c0 = time.perf_counter(), time.process_time()
import numpy as np
import numba
sys.modules["scipy.linalg"] = None
try:
    import numba.np.arraymath
finally:
    del sys.modules["scipy.linalg"]
sys.path.insert(0, sys.argv[1])
from floor_kernel import add
a = np.ones(1)
add(a, a)
print(time.perf_counter() - t0, time.process_time() - c0, flush=True)
"""


def _timed_process(arguments: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a fresh Python process that prints its own figures right after its first step.

    Returns ``to_first_step``, the wall time from launch to that line (interpreter
    start included, exit not), ``wall`` and ``cpu`` of the whole process, and the
    process's own ``in_process`` / ``in_process_cpu`` (from its first import).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile("w+") as errors:
        t0 = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, *arguments], env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        to_first_step = time.perf_counter() - t0
        process.stdout.read()
        code = process.wait()
        wall = time.perf_counter() - t0
        if code != 0 or not line.strip():
            errors.seek(0)
            raise RuntimeError(f"start-time process exited with {code}: {errors.read()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    inner_wall, inner_cpu = (float(v) for v in line.split())
    return {
        "to_first_step": to_first_step,
        "wall": wall,
        "cpu": cpu,
        "in_process": inner_wall,
        "in_process_cpu": inner_cpu,
    }


def _median_runs(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.median([run[key] for run in runs])) for key in runs[0]}


def start_times(repeats: int = 3) -> dict[str, Any]:
    """Cold and warm start to the first CL-1k step in fresh processes, and the numba floor.

    Cold: an empty step cache (a fresh ``NEUROCONTROL_CACHE_DIR`` per run; the
    kernels have no cache of their own). Warm: the same cache, filled.
    Floor: ``import numpy, numba`` and the first call of a trivial cached
    njit function, below which no numba program starts. Python's bytecode
    cache is on, as in a default install (pip writes it at install time); a
    ``PYTHONDONTWRITEBYTECODE`` in this environment would otherwise make
    every process recompile the package's sources (about 0.07 s). Each figure is the
    median of ``repeats`` processes: ``to_first_step`` from launch to the end
    of the first step, ``wall`` and ``cpu`` of the whole process (interpreter
    start and exit included), ``in_process`` and ``in_process_cpu`` from the
    first import to the end of the first step; warm above the floor is the
    median of each round's difference.
    """
    cold, warm, floor = [], [], []
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as scratch:
        # write the package's bytecode if missing (an editable install has none yet)
        subprocess.run([sys.executable, "-c", _IMPORTS], env=base_env, check=True)
        with open(os.path.join(scratch, "floor_kernel.py"), "w", encoding="utf-8") as handle:
            handle.write(_FLOOR_KERNEL)
        _timed_process(["-c", _FLOOR_SCRIPT, scratch], base_env)  # fills numba's cache
        # one of each per round, back to back: the machine's speed drifts within a minute
        for run in range(repeats):
            cache = os.path.join(scratch, f"cache{run}")
            env = dict(base_env, NEUROCONTROL_CACHE_DIR=cache)
            cold.append(_timed_process(["-c", _START_SCRIPT], env))
            warm.append(_timed_process(["-c", _START_SCRIPT], env))
            floor.append(_timed_process(["-c", _FLOOR_SCRIPT, scratch], base_env))
    result: dict[str, Any] = {
        "cold_start": _median_runs(cold),
        "warm_start": _median_runs(warm),
        "numba_floor": _median_runs(floor),
        "start_repeats": repeats,
    }
    # the median of each round's difference, which shares the round's machine speed
    result["warm_above_floor"] = _median_runs(
        [{key: w[key] - f[key] for key in f} for w, f in zip(warm, floor, strict=True)]
    )
    return result


def _brian2_side(
    args: argparse.Namespace, ours: dict[str, Any], table: list[str]
) -> dict[str, Any]:
    """Run every selected workload in Brian2; add per-step, rate and ratio lines to ``table``."""
    from neurocontrol.bench.brian2_env import run_brian2_workload

    results: dict[str, Any] = {}
    for name in args.workloads:
        theirs = run_brian2_workload(name, args.steps, args.repeats)
        mine = ours[name]
        theirs["time_ratio"] = mine["us_per_step"] / theirs["us_per_step"]
        theirs["cpu_ratio"] = mine["cpu_us_per_step"] / theirs["cpu_us_per_step"]
        theirs["rate_difference"] = (
            abs(mine["hidden_rate_hz"] - theirs["hidden_rate_hz"]) / theirs["hidden_rate_hz"]
        )
        results[name] = theirs
        table.append(
            f"{name} Brian2 {theirs['brian2_version']} (cython, runtime, numpy "
            f"{theirs['numpy_version']}): {theirs['us_per_step']:.1f} us/step (runs "
            f"{', '.join(f'{t:.1f}' for t in theirs['us_per_step_runs'])}; CPU "
            f"{theirs['cpu_us_per_step']:.1f}), hidden rate "
            f"{theirs['hidden_rate_hz']:.1f} Hz, {theirs['synops_per_step']:.0f} SynOps/step, "
            f"first run (Cython compile or load) {theirs['compile_s']:.1f} s"
        )
        table.append(
            f"{name} neurocontrol / Brian2: time x{theirs['time_ratio']:.3f} (CPU "
            f"x{theirs['cpu_ratio']:.3f}), rates "
            f"{mine['hidden_rate_hz']:.1f} vs {theirs['hidden_rate_hz']:.1f} Hz "
            f"({100 * theirs['rate_difference']:.1f}% apart)"
        )
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench snn``."""
    parser.add_argument(
        "--steps", type=positive_int, default=10_000, help="steps per repeat (default 10000)"
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=3, help="repeats; the median is reported"
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=list(WORKLOADS),
        choices=list(WORKLOADS),
        help="which workloads",
    )
    parser.add_argument("--static", action="store_true", help="run without pair STDP")
    parser.add_argument(
        "--no-start", action="store_true", help="skip the cold/warm start measurement"
    )
    parser.add_argument(
        "--start-repeats",
        type=positive_int,
        default=3,
        help="fresh processes per start figure; the median is reported (default 3)",
    )
    parser.add_argument(
        "--brian2",
        action="store_true",
        help="also run the workloads in Brian2 (its own venv, created on first use)",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite; return the figures and a printable table."""
    report: dict[str, Any] = {"workloads": {}, "load_average_start": list(os.getloadavg())}
    table = []
    measured = measure_workloads(args.workloads, args.steps, args.repeats, not args.static)
    for name, figures in measured.items():
        report["workloads"][name] = figures
        bytes_text = (
            "-"
            if figures["bytes_per_plastic_synapse"] is None
            else f"{figures['bytes_per_plastic_synapse']:.1f}"
        )
        table.append(
            f"{name}: {figures['us_per_step']:.1f} us/step (runs "
            f"{', '.join(f'{t:.1f}' for t in figures['us_per_step_runs'])}; CPU "
            f"{figures['cpu_us_per_step']:.1f}), hidden rate "
            f"{figures['hidden_rate_hz']:.1f} Hz, {figures['synops_per_step']:.0f} SynOps/step, "
            f"{figures['plastic_synapses']} plastic + {figures['static_synapses']} static, "
            f"{bytes_text} B/plastic synapse, first step {figures['first_step_s']:.2f} s"
        )
    if "CL-1k" in report["workloads"] and "CL-10k" in report["workloads"]:
        small, large = report["workloads"]["CL-1k"], report["workloads"]["CL-10k"]
        time_ratio = large["us_per_step"] / small["us_per_step"]
        cpu_ratio = large["cpu_us_per_step"] / small["cpu_us_per_step"]
        ops_ratio = large["synops_per_step"] / small["synops_per_step"]
        # each round ran both workloads back to back: its ratio shares the machine's state
        rounds = zip(
            small["us_per_step_runs"],
            large["us_per_step_runs"],
            small["synops_per_step_runs"],
            large["synops_per_step_runs"],
            strict=True,
        )
        per_round = [
            (large_time / small_time) / (large_ops / small_ops)
            for small_time, large_time, small_ops, large_ops in rounds
        ]
        report["cl10k_over_cl1k"] = {
            "time": time_ratio,
            "cpu": cpu_ratio,
            "synops": ops_ratio,
            "time_over_synops_per_round": per_round,
        }
        table.append(
            f"CL-10k / CL-1k: time x{time_ratio:.2f} (CPU x{cpu_ratio:.2f}), SynOps "
            f"x{ops_ratio:.2f}; time / SynOps ratio {time_ratio / ops_ratio:.2f} "
            f"(CPU {cpu_ratio / ops_ratio:.2f}, target <= 1.2; per round "
            f"{', '.join(f'{r:.2f}' for r in per_round)})"
        )
    if getattr(args, "brian2", False):
        report["brian2"] = _brian2_side(args, report["workloads"], table)
    report["fixed_overhead_us"] = fixed_overhead_us()
    table.append(f"fixed overhead (10 neurons): {report['fixed_overhead_us']:.2f} us/step")
    if not args.no_start:
        starts = start_times(args.start_repeats)
        report.update(starts)
        for label, key in (
            ("cold start to first CL-1k step", "cold_start"),
            ("warm start to first CL-1k step", "warm_start"),
            ("numba floor (import numba, first call of a cached trivial function)", "numba_floor"),
            ("warm start above the floor", "warm_above_floor"),
        ):
            figures = starts[key]
            table.append(
                f"{label}, median of {args.start_repeats}: launch to first step "
                f"{figures['to_first_step']:.2f} s; whole process {figures['wall']:.2f} s wall / "
                f"{figures['cpu']:.2f} s CPU; after interpreter start "
                f"{figures['in_process']:.2f} s wall / {figures['in_process_cpu']:.2f} s CPU"
            )
    report["load_average_end"] = list(os.getloadavg())
    table.append(
        "load average (1, 5, 15 min): start "
        + ", ".join(f"{v:.2f}" for v in report["load_average_start"])
        + "; end "
        + ", ".join(f"{v:.2f}" for v in report["load_average_end"])
    )
    report["table"] = table
    json.dumps(report)  # the report must be JSON-able
    return report
