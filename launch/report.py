"""Regenerate the README's results block and figures from the newest run of each experiment.

    python launch/report.py                 # reads runs/, writes README.md and launch/results/
    python launch/report.py --runs /data/runs --readme README.md

For every experiment config in launch/*.yaml, the newest run under --runs
that is complete and ran exactly that config (resolved) supplies the
figures (the run's measure per phase or per block of trials, its targets,
energy ratio, real-time factor), computed from its files, and its plots (the
measure over time: tracking_error.png or force_error.png; learning_curve.png)
are copied to launch/results/. The README shows, per experiment, the measure
over time, or the learning curve for a trial measure (success per block).
Nothing is typed by hand. If any config has no such run, nothing is written:
the README and the figures stay as they are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from neurocontrol.config import load_yaml
from neurocontrol.errors import NeuroControlError
from neurocontrol.experiment import ExperimentConfig
from neurocontrol.fileio import atomic_path
from neurocontrol.results import experiment_figures, latest_run, results_markdown, update_readme

HERE = Path(__file__).resolve().parent
PLOTS = (
    "tracking_error.png",
    "force_error.png",
    "learning_curve.png",
    "hand_paths.png",
)


def primary_plot(config: ExperimentConfig) -> str:
    """The plot a config's experiment shows in the README."""
    return "learning_curve.png" if config.metric == "trial_success" else f"{config.metric}.png"


def experiment_configs() -> list[Path]:
    """launch/*.yaml but the sweep files (launch/sweep_*.yaml, run by neurocontrol sweep)."""
    return sorted(p for p in HERE.glob("*.yaml") if not p.name.startswith("sweep_"))


def collect(runs: Path, config_paths: list[Path]) -> list[tuple[ExperimentConfig, Path]]:
    """Each config with its newest complete matching run; refuses if one has none."""
    found, missing = [], []
    for config_path in config_paths:
        config = load_yaml(config_path, ExperimentConfig)
        run = latest_run(runs, config)
        if run is None:
            missing.append(
                f"{config_path.name}: no complete run of this config under {str(runs)!r} "
                f"(run: neurocontrol train --config {os.path.relpath(config_path)})"
            )
        elif not (run / primary_plot(config)).is_file():
            missing.append(f"{config_path.name}: run {run.name} has no {primary_plot(config)}")
        else:
            found.append((config, run))
    if missing:
        raise NeuroControlError(
            "results are missing; the README is left as it is:\n  " + "\n  ".join(missing)
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs",
        nargs="+",
        type=Path,
        help="experiment configs (default: launch/*.yaml but sweep_*.yaml)",
    )
    parser.add_argument("--runs", default="runs", help="folder of run directories (runs)")
    parser.add_argument("--readme", default=str(HERE.parent / "README.md"), help="README to update")
    parser.add_argument("--figures", default=str(HERE / "results"), help="where PNGs are copied")
    args = parser.parse_args(argv)
    try:
        found = collect(Path(args.runs), args.configs or experiment_configs())
        figures = [experiment_figures(run) for _, run in found]
    except NeuroControlError as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 2
    figures_dir = Path(args.figures)
    figures_dir.mkdir(parents=True, exist_ok=True)
    shown = []
    for config, run in found:
        for plot in PLOTS:
            if (run / plot).is_file():
                with atomic_path(figures_dir / f"{config.name}_{plot}") as tmp:
                    shutil.copyfile(run / plot, tmp)
        shown.append((config.name, f"{config.name}_{primary_plot(config)}"))
        print(f"{config.name}: {run}")
    markdown = results_markdown(figures)
    markdown += "\n" + "\n".join(f"![{name}](launch/results/{png})" for name, png in shown)
    update_readme(args.readme, markdown)
    print(f"updated {args.readme} with {len(figures)} experiment(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
