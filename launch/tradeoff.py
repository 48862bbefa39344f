"""The adaptive controller's trade-off: adapted error against retention, per configuration.

Runs the configurations on the protocols of ``launch/curl_planar.yaml``
(experiment 1: curl field, then learning frozen, untrained targets,
after-effect, washout and a second exposure) and ``launch/payload_panda.yaml``
(experiment 2: Panda payload, frozen, moved workspace) with the experiment
machinery (``neurocontrol train``): every configuration as one agent of a
single run beside the base controller it is built on, so the figures are
those the results table shows for it. Per configuration and protocol:

- adapted error (last cycle with learning on), frozen error, retention
  :math:`1 - (E_{frozen} - E_{adapted}) / (E_{base} - E_{adapted})`,
  generalisation (the same on the untrained targets), after-effect (frozen,
  perturbation off, over the agent's own unperturbed error), savings
  (reaches to half the first adaptation, second exposure over first);
- ``reduction_30s``: error below the base's in the last cycle ending by 30 s
  after onset; ``ratio_60s``: error 60 s after onset over the base's
  unperturbed error (the results table's targets).

Per-seed rows take each seed's cycles; the ``mean`` row is the probes'
figures on the mean over seeds (as the table). Writes a CSV (one row per
configuration, protocol and seed, plus the means) and a PNG of adapted error
against retention on the curl field (one point per configuration)::

    python launch/tradeoff.py --protocols curl --seeds 0 1 2 --out launch/results/tradeoff

``--list`` prints the configurations (agent specs for
:func:`neurocontrol.agents.make_agent`). One process; a configuration of 3
seeds on the curl protocol takes about a minute of one core.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.experiment.results import _cycle_ends, _cycle_value
from neurocontrol.experiment.training import start_run
from neurocontrol.utils.config import load_yaml

HERE = Path(__file__).resolve().parent
PROTOCOLS = {"curl": HERE / "curl_planar.yaml", "payload": HERE / "payload_panda.yaml"}

_OSC = {"type": "osc"}
_OSC_FF = {"type": "osc", "feedforward": True}
_DENSE = {"q_radius": 1.0, "intercepts": [-1.0, 0.9]}
_SPARSE = {"active_fraction": [0.1, 0.5]}
_DENSER = {"active_fraction": [0.2, 0.6]}


def _two_rate(slow: float, fast: float, tau: float, **more: Any) -> dict[str, Any]:
    return {
        "type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": slow,
        "fast_learning_rate": fast, "fast_decay_tau": tau, **more,
    }  # fmt: skip


def _single(rate: float, **more: Any) -> dict[str, Any]:
    return {"type": "adaptive_spiking", "base": _OSC_FF, "learning_rate": rate,
            "fast_learning_rate": 0.0, **more}  # fmt: skip


#: name -> agent spec; rates per population (1e-2 = the old 1e-5 per neuron x 1000 neurons).
#: "old" is the configuration before the search; "winner" the defaults of AdaptiveController
#: (slow 5e-3, fast 1e-1 forgetting in 50 ms applied every 10 ms, active fraction 0.15-0.55).
CONFIGS: dict[str, dict[str, Any]] = {
    "old": {"type": "adaptive_spiking", "base": _OSC, "learning_rate": 1e-2,
            "fast_learning_rate": 0.0, **_DENSE},
    "ff 1e-2 dense": _single(1e-2, **_DENSE),
    "ff 1e-3 sparse 0.1-0.5": _single(1e-3, **_SPARSE),
    "ff 3e-3": _single(3e-3),
    "ff 1e-2": _single(1e-2),
    "two-rate 1e-3 + 1e-2/0.5 s": _two_rate(1e-3, 1e-2, 0.5),
    "two-rate 3e-3 + 1e-2/0.5 s": _two_rate(3e-3, 1e-2, 0.5),
    "two-rate 1e-2 + 3e-2/0.3 s": _two_rate(1e-2, 3e-2, 0.3),
    "two-rate 1e-2 + 1e-1/0.1 s": _two_rate(1e-2, 1e-1, 0.1),
    "two-rate 1e-2 + 1e-1/0.05 s af 0.1-0.5": _two_rate(1e-2, 1e-1, 0.05, **_SPARSE),
    "two-rate 1e-2 + 1e-1/0.05 s af 0.2-0.6": _two_rate(1e-2, 1e-1, 0.05, **_DENSER),
    "two-rate 1e-2 + 1e-1/0.05 s decay every 5 ms": _two_rate(
        1e-2, 1e-1, 0.05, fast_decay_period=0.005
    ),
    "two-rate 1e-2 + 1e-1/0.05 s": _two_rate(1e-2, 1e-1, 0.05),
    "two-rate 1e-2 + 1e-1/0.05 s rate twin": {
        "type": "adaptive_rate", "learning_rate": 1e-2, "tau_synapse": 0.02,
    },
    "winner: two-rate 5e-3 + 1e-1/0.05 s": {"type": "adaptive_spiking"},
}  # fmt: skip


def base_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The base controller of an agent spec (the adaptive agents' default: OSC + feedforward)."""
    return dict(spec.get("base", _OSC_FF))


def _phase(per_cycle: list[float], phases: dict[str, list[int]], name: str) -> float:
    if name not in phases:
        return math.nan
    first, last = phases[name]
    return float(np.mean(per_cycle[first : last + 1]))


def _retained(frozen: float, adapted: float, base: float) -> float:
    return 1.0 - (frozen - adapted) / (base - adapted)


def _figures(
    cycles: list[float], base: list[float], summary: dict[str, Any], ends: list[float]
) -> dict[str, float]:
    """Adapted / frozen errors and their ratios on one series of cycles (m) and the base's."""
    phases = summary["phases"]
    onset = next(e["at"] for e in summary["schedule"] if e.get("perturbation"))
    adapted, frozen = _phase(cycles, phases, "adapted"), _phase(cycles, phases, "learning frozen")
    base_frozen = _phase(base, phases, "learning frozen")
    rotated, base_rotated = (
        _phase(series, phases, "untrained targets") for series in (cycles, base)
    )
    k30, e30 = _cycle_value(cycles, ends, onset + 30.0)
    _, e60 = _cycle_value(cycles, ends, onset + 60.0)
    return {
        "unperturbed_mm": _phase(cycles, phases, "before") * 1e3,
        "base_unperturbed_mm": _phase(base, phases, "before") * 1e3,
        "base_field_mm": base_frozen * 1e3,
        "adapted_mm": adapted * 1e3,
        "frozen_mm": frozen * 1e3,
        "retention": _retained(frozen, adapted, base_frozen),
        "generalisation": _retained(rotated, adapted, base_rotated),
        "after_effect_ratio": _phase(cycles, phases, "after-effect")
        / _phase(cycles, phases, "before"),
        "reduction_30s": 1.0 - e30 / base[k30],
        "ratio_60s": e60 / _phase(base, phases, "before"),
    }


def run_protocol(
    protocol: str, names: list[str], seeds: list[int], runs: Path
) -> list[dict[str, Any]]:
    """One run of the protocol with the named configurations and each base they use; rows."""
    config = load_yaml(PROTOCOLS[protocol], ExperimentConfig)
    agents = {name: CONFIGS[name] for name in names}
    bases = {json.dumps(base_spec(spec), sort_keys=True) for spec in agents.values()}
    base_labels = {key: f"base {json.loads(key)}" for key in sorted(bases)}
    for key, label in base_labels.items():
        agents[label] = json.loads(key)
    config = dataclasses.replace(
        config, name=f"tradeoff-{protocol}", agents=agents, seeds=list(seeds)
    )
    run, _ = start_run(config, runs, progress=False)
    summary = json.loads((run.path / "summary.json").read_text())
    series = {label: data["per_cycle"] for label, data in summary["agents"].items()}
    first = next(iter(summary["agents"].values()))["episodes"][0]
    ends = _cycle_ends(summary["cycle_starts_s"], first)
    rows = []
    for name in names:
        base = base_labels[json.dumps(base_spec(CONFIGS[name]), sort_keys=True)]
        for k, seed in enumerate(seeds):
            figures = _figures(series[name][k], series[base][k], summary, ends)
            rows.append({"protocol": protocol, "config": name, "seed": seed, **figures})
        mean = _figures(
            list(np.mean(series[name], axis=0)), list(np.mean(series[base], axis=0)), summary, ends
        )
        probes = summary["probes"].get(name, {})
        saving = probes.get("savings") or {}
        mean |= {
            "retention": probes.get("retention", mean["retention"]),
            "generalisation": probes.get("generalisation", mean["generalisation"]),
            "after_effect_ratio": probes.get("after_effect", mean["after_effect_ratio"]),
            "savings_ratio": saving.get("ratio", math.nan),
            "reaches_first": saving.get("movements_first", math.nan),
            "reaches_second": saving.get("movements_second", math.nan),
            "real_time_factor": min(
                ep["real_time_factor"] for ep in summary["agents"][name]["episodes"]
            ),
        }
        rows.append({"protocol": protocol, "config": name, "seed": "mean", **mean})
        print(_line(protocol, name, mean), flush=True)
    return rows


def _line(protocol: str, name: str, mean: dict[str, Any]) -> str:
    return (
        f"{protocol:>7} {name:>38}: adapted {mean['adapted_mm']:.2f} mm, retention "
        f"{100 * mean['retention']:.0f}%, generalisation {100 * mean['generalisation']:.0f}%, "
        f"after-effect {mean['after_effect_ratio']:.0f}x, savings {mean['savings_ratio']:.2f}, "
        f"30 s {100 * mean['reduction_30s']:.0f}%, 60 s {mean['ratio_60s']:.2f}x"
    )


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neurocontrol.utils.fileio import atomic_path

    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    for row in rows:
        colour = "C1" if row["config"].startswith("winner") else "C0"  # the defaults
        ax.scatter(row["adapted_mm"], 100 * row["retention"], color=colour)
        ax.annotate(row["config"], (row["adapted_mm"], 100 * row["retention"]), fontsize=6)
    ax.set_xscale("log")
    ax.set_xlabel("adapted error (mm RMS, last cycle with learning on)")
    ax.set_ylabel("retention once frozen (%)")
    ax.axhline(80, color="0.7", lw=0.8, ls="--")
    ax.axvline(1.0, color="0.7", lw=0.8, ls="--")
    ax.set_title("Curl field 15 N·s/m (experiment 1), mean over seeds")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    parser.add_argument("--protocols", nargs="+", default=["curl"], choices=list(PROTOCOLS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=Path, default=None, help="run directories (a temp dir)")
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
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        runs = args.runs if args.runs is not None else Path(scratch)
        for protocol in args.protocols:
            rows += run_protocol(protocol, names, args.seeds, runs)
    if args.out is not None:
        from neurocontrol.utils.fileio import atomic_write

        args.out.parent.mkdir(parents=True, exist_ok=True)
        keys = list(dict.fromkeys(key for row in rows for key in row))
        with atomic_write(args.out.with_suffix(".csv"), newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=keys, restval="")
            writer.writeheader()
            writer.writerows(rows)
        curl = [r for r in rows if r["protocol"] == "curl" and r["seed"] == "mean"]
        if curl:
            _plot(curl, args.out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
