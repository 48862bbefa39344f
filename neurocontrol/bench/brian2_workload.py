"""The CL-1k / CL-10k closed-loop workloads in Brian2, run as a script in Brian2's own venv.

``python brian2_workload.py CL-1k --steps 10000 --repeats 3`` prints one
JSON object: Brian2's version, us/step (median over repeats, Cython
compilation apart), the mean hidden rate and SynOps per step. It imports
only the standard library at module level, so the package can ship it
without depending on Brian2 (whose releases do not import with numpy >=
2.3); :mod:`neurocontrol.bench.brian2_env` runs it in a virtual environment
of its own.

The model matches :func:`neurocontrol.bench.workloads.build_workload` step for
step, so the two simulators integrate the same equations:

- hidden LIF, exact integration ``v <- v exp(-dt/tau_m)``, then this step's
  input (spikes of the previous step) is added (``after_groups``), then the
  threshold ``v >= 1``; reset to 0 and the next ``ref_steps`` steps clamped
  at 0 with their input dropped (the core's ``refractory`` counter, so
  Brian2's ``refractory`` is ``(ref_steps + 1) dt``: Brian2 counts the spike
  step itself);
- pair STDP with per-neuron traces (all-to-all pairing, traces decayed each
  step and read before this step's spikes are added), depression at a
  presynaptic spike in the step of the spike, potentiation at a
  postsynaptic one, weights clipped to ``[w_min, w_max]``;
- per-step I/O through a ``network_operation``: input flags written in
  place from the same probability as the core's bench, the readout
  reads the filtered hidden rates (tau 20 ms, including this step's
  spikes) times a fixed ``n_hidden x 7`` matrix.
"""

from __future__ import annotations

import argparse
import json
import time

#: name -> (inputs, hidden neurons, input->hidden probability or None for all-to-all,
#: hidden->hidden probability); keep equal to neurocontrol.bench.workloads.WORKLOADS.
WORKLOADS = {"CL-1k": (100, 1000, None, 0.1), "CL-10k": (1000, 10000, 0.1, 0.01)}
TAU_M = 0.02
REF_STEPS = 2
READOUT_TAU = 0.02
STDP = {"a_plus": 1e-4, "a_minus": 1.05e-4, "tau_plus": 0.02, "tau_minus": 0.02, "w_max": 0.1}


def run(name: str, steps: int, repeats: int, seed: int = 1) -> dict[str, object]:
    """Build workload ``name`` in Brian2 (runtime mode, Cython) and time it."""
    import brian2 as b2
    import numpy as np

    b2.prefs.codegen.target = "cython"
    b2.prefs.logging.console_log_level = "ERROR"
    b2.seed(seed)
    dt = 1e-3
    b2.defaultclock.dt = dt * b2.second
    n_in, n_hidden, p_in, p_rec = WORKLOADS[name]
    namespace = {
        "decay_m": float(np.exp(-dt / TAU_M)),
        "decay_x": float(np.exp(-dt / STDP["tau_plus"])),
        "decay_y": float(np.exp(-dt / STDP["tau_minus"])),
        "decay_r": float(np.exp(-dt / READOUT_TAU)),
        "a_plus": STDP["a_plus"],
        "a_minus": STDP["a_minus"],
        "w_max": STDP["w_max"],
    }
    # Inputs: a flag written by the network operation; x is the presynaptic STDP trace.
    inputs = b2.NeuronGroup(
        n_in, "fire : boolean\nx : 1", threshold="fire", reset="x += 1", namespace=namespace
    )
    inputs.run_regularly("x = x * decay_x", when="groups")
    hidden = b2.NeuronGroup(
        n_hidden,
        """dv/dt = -v / tau_m : 1 (unless refractory)
        y : 1
        r : 1""",
        threshold="v >= 1",
        reset="v = 0\ny += 1\nr += 1",
        refractory=(REF_STEPS + 1) * dt * b2.second,
        method="exact",
        namespace={**namespace, "tau_m": TAU_M * b2.second},
    )
    hidden.run_regularly("y = y * decay_y\nr = r * decay_r", when="groups")
    plastic = b2.Synapses(
        inputs,
        hidden,
        "w : 1",
        on_pre={
            "pre": "v_post += w * int(not_refractory_post)",
            "depress": "w = clip(w - a_minus * y_post, 0, w_max)",
        },
        on_post="w = clip(w + a_plus * x_pre, 0, w_max)",
        namespace=namespace,
    )
    if p_in is None:
        plastic.connect()
    else:
        plastic.connect(p=p_in)
    plastic.w = "rand() * 0.1"
    recurrent = b2.Synapses(
        hidden, hidden, "w : 1", on_pre="v_post += w * int(not_refractory_post)"
    )
    recurrent.connect(condition="i != j", p=p_rec)
    recurrent.w = "randn() * 0.02"
    # Spikes of step t reach v in step t + 1 after the membrane decay, as in the core.
    plastic.pre.when = "after_groups"
    recurrent.pre.when = "after_groups"

    flags = inputs.variables["fire"].get_value()  # the live array (runtime mode)
    rates = hidden.variables["r"].get_value()
    phase = np.arange(n_in) / 10.0
    readout = np.random.default_rng(99).normal(0.0, 0.1, (n_hidden, 7))
    rng = np.random.default_rng(0)
    prob = np.empty(n_in)
    uniform = np.empty(n_in)
    command = np.zeros(7)
    step = [0]  # the step counter, as the core's sim.time = n_steps * dt

    @b2.network_operation(when="start")
    def write_inputs() -> None:
        np.sin(2.0 * np.pi * (step[0] * dt) + phase, out=prob)
        step[0] += 1
        np.multiply(prob, 0.5, out=prob)
        np.add(prob, 0.5, out=prob)
        np.clip(prob, 0.0, 1.0, out=prob)
        np.multiply(prob, 0.05, out=prob)
        rng.random(out=uniform)
        np.less(uniform, prob, out=flags)

    @b2.network_operation(when="end")
    def read_rates() -> None:
        np.dot(rates, readout, out=command)

    spikes = b2.SpikeMonitor(hidden, record=False)
    input_spikes = b2.SpikeMonitor(inputs, record=False)
    net = b2.Network(
        inputs, hidden, plastic, recurrent, write_inputs, read_rates, spikes, input_spikes
    )
    t0 = time.perf_counter()
    net.run(1 * dt * b2.second)  # compiles (or loads) every Cython code object
    compile_s = time.perf_counter() - t0
    spikes0, input0 = int(spikes.num_spikes), int(input_spikes.num_spikes)
    times, cpu_times = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.thread_time()
        net.run(steps * dt * b2.second)
        times.append((time.perf_counter() - start) / steps * 1e6)
        cpu_times.append((time.thread_time() - cpu_start) / steps * 1e6)
    total_steps = steps * repeats
    hidden_spikes = int(spikes.num_spikes) - spikes0
    input_spike_count = int(input_spikes.num_spikes) - input0
    n_plastic, n_recurrent = len(plastic), len(recurrent)
    synops = (
        input_spike_count * n_plastic / n_in + hidden_spikes * n_recurrent / n_hidden
    ) / total_steps
    return {
        "brian2_version": b2.__version__,
        "numpy_version": np.__version__,
        "us_per_step": float(np.median(times)),
        "us_per_step_runs": times,
        "cpu_us_per_step": float(np.median(cpu_times)),
        "hidden_rate_hz": hidden_spikes / (n_hidden * total_steps * dt),
        "synops_per_step": synops,
        "compile_s": compile_s,
        "plastic_synapses": n_plastic,
        "static_synapses": n_recurrent,
    }


def main() -> None:
    """Command line: ``brian2_workload.py NAME --steps N --repeats R``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=list(WORKLOADS))
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.workload, args.steps, args.repeats, args.seed)))


if __name__ == "__main__":
    main()
