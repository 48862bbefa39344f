"""The adaptive controller's trade-off: adapted error against retention, per configuration.

A short version of experiment 1 (``launch/curl_planar.yaml``) on PlanarReach
(8 targets, 0.5 s move, 0.25 s hold: 12 s cycles), per seed:

- cycle 0 unperturbed; a 15 N·s/m curl field for ``--field-cycles`` cycles
  (learning on: the last one gives the *adapted* error); one cycle with
  learning frozen, the field still on (*frozen*); one frozen cycle with the
  field off (*after-effect*);
- the frozen agent, field on, for one cycle on the targets rotated by 22.5
  degrees, never trained (*generalisation*); the base controller alone runs
  the same schedules (same seed: the same target order).

Retention is :math:`1 - (E_{frozen} - E_{adapted}) / (E_{base} - E_{adapted})`
with :math:`E_{base}` the base's error in the frozen cycle; generalisation is
the same with :math:`E_{frozen}` and :math:`E_{base}` on the rotated targets.
The after-effect ratio is the frozen, field-off cycle's error over the
agent's unperturbed one. ``reduction_30s`` is the error below the base's in
the last field cycle ending by 30 s after onset, ``ratio_60s`` the error 60 s
after onset over the base's unperturbed error (the targets of ``results``).

``--savings`` adds a second protocol: field on for ``--field-cycles``,
``--washout-cycles`` without it (learning on), then the field again; for
each exposure, the movements (out or back, 0.75 s each) until the error per
movement first falls halfway from the exposure's first movement to the
first exposure's adapted level.

Writes a CSV (one row per configuration and seed, plus the means) and a PNG
of adapted error against retention (one point per configuration, the mean
over seeds)::

    python launch/tradeoff.py --configs old,winner --seeds 0 1 2 --out launch/results/tradeoff

Configurations are the ``CONFIGS`` below (agent specs for
:func:`neurocontrol.agents.make_agent`); ``--list`` prints them. Runs one
process: a configuration of 3 seeds takes ~1 min of one core.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from neurocontrol.agents import make_agent
from neurocontrol.experiment import cycle_table
from neurocontrol.loop import run_episode

ENV_ID = "neurocontrol/PlanarReach-v0"
ENV_KWARGS = {"n_targets": 8, "movement_time": 0.5, "hold_time": 0.25}
CYCLE = 12.0  # s: 8 targets x (0.75 s out + 0.75 s back)
MOVEMENT = 0.75  # s
FIELD = {"kind": "curl_field", "strength": 15.0}
ROTATION = math.radians(22.5)

_OSC = {"type": "osc"}
_OSC_FF = {"type": "osc", "feedforward": True}
_SPARSE = {"q_radius": 0.5, "dq_radius": 2.0, "active_fraction": [0.1, 0.5]}
_NARROW = {"q_radius": 0.3, "dq_radius": 1.0, "intercepts": [0.3, 0.9]}
#: name -> agent spec (rates per population: the old 1e-5 per neuron x 1000 neurons = 1e-2).
#: "old" is the previous default; "winner" the present one (AdaptiveController's defaults).
CONFIGS: dict[str, dict[str, Any]] = {
    "old": {"type": "adaptive_spiking", "base": _OSC, "learning_rate": 1e-2},
    "old 7e-4": {"type": "adaptive_spiking", "base": _OSC, "learning_rate": 7e-4},
    "ff 1e-2": {"type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 1e-2},
    "ff 3e-3": {"type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 3e-3},
    "ff 1e-3": {"type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 1e-3},
    "ff 3e-4": {"type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 3e-4},
    "ff narrow 3e-3": {
        "type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 3e-3, **_NARROW,
    },
    "ff two-rate 1e-3 + 1e-2/0.5 s": {
        "type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 1e-3,
        "fast_learning_rate": 1e-2, "fast_decay_tau": 0.5,
    },
    "ff two-rate 3e-4 + 1e-2/5 s": {
        "type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 3e-4,
        "fast_learning_rate": 1e-2, "fast_decay_tau": 5.0,
    },
    "ff sparse 3e-3": {
        "type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 3e-3, **_SPARSE,
    },
    "ff sparse 3e-3 2000n": {
        "type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 3e-3, "n_neurons": 2000,
        **_SPARSE,
    },
    "winner": {"type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": 1e-3, **_SPARSE},
    "winner rate twin": {
        "type": "adaptive_rate", "base": _OSC_FF, "learning_rate": 1e-3, "tau_synapse": 0.02,
        **_SPARSE,
    },
}  # fmt: skip


def _env(steps: int, targets: np.ndarray | None = None) -> gym.Env:
    kwargs = dict(ENV_KWARGS, max_episode_steps=steps)
    if targets is not None:
        kwargs["targets"] = targets
    return gym.make(ENV_ID, **kwargs)


def rotated_targets(env: gym.Env, angle: float) -> np.ndarray:
    """The env's centre-out targets rotated by ``angle`` (rad) about their centre."""
    model = env.unwrapped.robot_model
    centre = np.asarray(model.hand_position(model.q_home))
    task = env.unwrapped.task
    offsets = np.asarray(task.targets) - centre
    c, s = math.cos(angle), math.sin(angle)
    return centre + offsets @ np.array([[c, s], [-s, c]])


def _schedule(env: gym.Env, agent: Any, events: list[tuple[float, str, Any]], dt: float) -> Any:
    """A step callback applying ``(time, what, value)`` events (``field`` or ``learning``)."""
    steps = [round(at / dt) for at, _, _ in events]
    pending = [0]

    def apply(step: int, *_: Any) -> None:
        while pending[0] < len(events) and steps[pending[0]] <= step + 1:
            _, what, value = events[pending[0]]
            if what == "field":
                env.unwrapped.set_perturbation(value)
            else:
                agent.set_learning(value)
            pending[0] += 1

    return apply


def _cycles(env: gym.Env, agent: Any, seed: int, events: list, n_cycles: int) -> np.ndarray:
    """RMS error (m) of each cycle of one episode of ``n_cycles`` under ``events``."""
    dt = 1e-3
    env.unwrapped.set_perturbation(None)
    result = run_episode(
        env,
        agent,
        seed=seed,
        max_steps=round(n_cycles * CYCLE / dt),
        callbacks=[_schedule(env, agent, events, dt)],
    )
    if result.terminated:
        return np.full(n_cycles, np.nan)
    return cycle_table(result)[1][:n_cycles]


def _movements(env: gym.Env, agent: Any, seed: int, events: list, n_cycles: int) -> np.ndarray:
    """RMS error (m) of each movement (0.75 s) of one episode under ``events``."""
    dt = 1e-3
    env.unwrapped.set_perturbation(None)
    result = run_episode(
        env,
        agent,
        seed=seed,
        max_steps=round(n_cycles * CYCLE / dt),
        callbacks=[_schedule(env, agent, events, dt)],
    )
    error = result.trace["tracking_error"]
    per = round(MOVEMENT / dt)
    whole = error[: error.size // per * per].reshape(-1, per)
    return np.sqrt((whole**2).mean(axis=1))


def base_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The base controller of an agent spec."""
    return dict(spec.get("base", _OSC))


def trial(spec: dict[str, Any], seed: int, field_cycles: int) -> dict[str, float]:
    """One seed of the short protocol; the figures of the module docstring."""
    n = 1 + field_cycles + 2
    freeze, off = CYCLE * (1 + field_cycles), CYCLE * (2 + field_cycles)
    events = [(CYCLE, "field", FIELD), (freeze, "learning", False), (off, "field", None)]
    env = _env(round(n * CYCLE * 1000))
    rot = _env(round(CYCLE * 1000), rotated_targets(env, ROTATION))
    try:
        base = _cycles(env, make_agent(base_spec(spec), env), seed, events, n)
        base_rot = _cycles(rot, make_agent(base_spec(spec), rot), seed, [(0.0, "field", FIELD)], 1)
        agent = make_agent(spec, env, seed=seed)
        start = time.perf_counter()
        cycles = _cycles(env, agent, seed, events, n)
        wall = time.perf_counter() - start
        agent.set_learning(False)
        rot_frozen = _cycles(rot, agent, seed, [(0.0, "field", FIELD)], 1)[0]
    finally:
        env.close()
        rot.close()
    adapted, frozen, after = cycles[field_cycles], cycles[field_cycles + 1], cycles[-1]
    e_base = base[field_cycles + 1]
    k30 = int(30 // CYCLE)  # field cycles ending by 30 s after onset
    return {
        "unperturbed_mm": cycles[0] * 1e3,
        "base_unperturbed_mm": base[0] * 1e3,
        "base_field_mm": e_base * 1e3,
        "adapted_mm": adapted * 1e3,
        "frozen_mm": frozen * 1e3,
        "retention": 1.0 - (frozen - adapted) / (e_base - adapted),
        "generalisation": 1.0 - (rot_frozen - adapted) / (base_rot[0] - adapted),
        "rotated_frozen_mm": rot_frozen * 1e3,
        "rotated_base_mm": base_rot[0] * 1e3,
        "after_effect_ratio": after / cycles[0],
        "reduction_30s": 1.0 - cycles[k30] / base[k30],
        "ratio_60s": cycles[min(5, field_cycles)] / base[0],
        "real_time_factor": n * CYCLE / wall,
    }


def _first_below(errors: np.ndarray, level: float) -> int:
    hits = np.flatnonzero(errors <= level)
    return int(hits[0]) + 1 if hits.size else errors.size + 1


def savings(spec: dict[str, Any], seed: int, field_cycles: int, washout: int) -> dict[str, float]:
    """Movements to half adaptation in a first and a second exposure to the field."""
    second = CYCLE * (1 + field_cycles + washout)
    n = 1 + 2 * field_cycles + washout
    events = [
        (CYCLE, "field", FIELD),
        (CYCLE * (1 + field_cycles), "field", None),
        (second, "field", FIELD),
    ]
    env = _env(round(n * CYCLE * 1000))
    try:
        per = _movements(env, make_agent(spec, env, seed=seed), seed, events, n)
    finally:
        env.close()
    per_cycle = round(CYCLE / MOVEMENT)
    first = per[per_cycle : per_cycle * (1 + field_cycles)]
    again = per[round(second / MOVEMENT) :]
    adapted = first[-per_cycle:].mean()
    half_first = first[0] - 0.5 * (first[0] - adapted)
    half_again = again[0] - 0.5 * (again[0] - adapted)
    return {
        "movements_first": _first_below(first, half_first),
        "movements_second": _first_below(again, half_again),
        "washout_end_mm": per[
            round(second / MOVEMENT) - per_cycle : round(second / MOVEMENT)
        ].mean()
        * 1e3,
    }


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neurocontrol.fileio import atomic_path

    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    for row in rows:
        ax.scatter(row["adapted_mm"], 100 * row["retention"], color="C0")
        ax.annotate(row["config"], (row["adapted_mm"], 100 * row["retention"]), fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("adapted error (mm RMS, last cycle in the field)")
    ax.set_ylabel("retention once frozen (%)")
    ax.axhline(80, color="0.7", lw=0.8, ls="--")
    ax.axvline(1.0, color="0.7", lw=0.8, ls="--")
    ax.set_title("Curl field 15 N·s/m, spiking, mean over seeds")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--field-cycles", type=int, default=5)
    parser.add_argument("--savings", action="store_true", help="also the savings protocol")
    parser.add_argument("--washout-cycles", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="CSV/PNG path without suffix")
    parser.add_argument("--list", action="store_true", help="print the configurations")
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in CONFIGS.items():
            print(f"{name}: {json.dumps(spec)}")
        return 0
    names = [name.strip() for name in args.configs.split(",") if name.strip()]
    unknown = [name for name in names if name not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; known: {list(CONFIGS)}")
    rows, means = [], []
    for name in names:
        per_seed = []
        for seed in args.seeds:
            figures: dict[str, Any] = trial(CONFIGS[name], seed, args.field_cycles)
            if args.savings:
                figures |= savings(CONFIGS[name], seed, args.field_cycles, args.washout_cycles)
            per_seed.append(figures)
            rows.append({"config": name, "seed": seed, **figures})
        mean = {key: float(np.mean([f[key] for f in per_seed])) for key in per_seed[0]}
        means.append({"config": name, "seed": "mean", **mean})
        print(
            f"{name:>24}: adapted {mean['adapted_mm']:.2f} mm, retention "
            f"{100 * mean['retention']:.0f}%, generalisation {100 * mean['generalisation']:.0f}%, "
            f"after-effect {mean['after_effect_ratio']:.1f}x, "
            f"30 s {100 * mean['reduction_30s']:.0f}%, 60 s {mean['ratio_60s']:.2f}x, "
            f"unperturbed {mean['unperturbed_mm']:.2f} mm (base "
            f"{mean['base_unperturbed_mm']:.2f}, field {mean['base_field_mm']:.1f}), "
            f"{mean['real_time_factor']:.0f}x real time"
            + (
                f", savings {mean['movements_first']:.0f} -> {mean['movements_second']:.0f} moves"
                if args.savings
                else ""
            ),
            flush=True,
        )
    if args.out is not None:
        from neurocontrol.fileio import atomic_write

        args.out.parent.mkdir(parents=True, exist_ok=True)
        table = rows + means
        keys = list(table[0])
        with atomic_write(args.out.with_suffix(".csv"), newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=keys)
            writer.writeheader()
            writer.writerows(table)
        _plot(means, args.out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
