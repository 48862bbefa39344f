"""Regenerate the README's results block and figures from the newest run of each experiment.

    python launch/report.py                 # reads runs/ and sweeps/, writes README.md and
                                            # launch/results/
    python launch/report.py --runs /data/runs --sweeps /data/sweeps --readme README.md

For every experiment config in launch/*.yaml, the newest run under --runs
that is complete and ran exactly that config (resolved) supplies the
figures (the run's measure per phase or per block of trials, its targets,
energy ratio, real-time factor), computed from its files, and its plots (the
measure over time: tracking_error.png or force_error.png; learning_curve.png)
are copied to launch/results/. The README shows, per experiment, the measure
over time, or the learning curve for a trial measure (success per block).
For every sweep file (launch/sweep_*.yaml), the newest complete sweep under
--sweeps that ran exactly that file (resolved) supplies a table of its
parameter points (each metric's mean and range over seeds, the Pareto front
marked) and its Pareto plot, copied to launch/results/<name>_pareto.png.
Nothing is typed by hand. If any config has no such run, or a sweep file no
such sweep, nothing is written: the README and the figures stay as they are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from neurocontrol.errors import NeuroControlError
from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.experiment.results import (
    experiment_figures,
    latest_run,
    results_markdown,
    update_readme,
)
from neurocontrol.sweep.report import latest_sweep, pareto_figure, sweep_markdown
from neurocontrol.sweep.spec import SweepConfig, load_sweep
from neurocontrol.utils.config import load_yaml
from neurocontrol.utils.fileio import atomic_path

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


def sweep_files() -> list[Path]:
    """launch/sweep_*.yaml: the sweeps whose results the README shows."""
    return sorted(HERE.glob("sweep_*.yaml"))


def _newest(
    kind: str, folder: Path, paths: list[Path], load: Any, latest: Any, figure: Any, command: str
) -> list[tuple[Any, Path]]:
    """Each file with its newest complete result under ``folder`` that ran exactly it and has
    its ``figure``; refuses (naming each file without one) if any has none."""
    found, missing = [], []
    for path in paths:
        config = load(path)
        result = latest(folder, config)
        wanted = figure(config)
        if result is None:
            missing.append(
                f"{path.name}: no complete {kind} of this file under {str(folder)!r} "
                f"(run: neurocontrol {command} --config {os.path.relpath(path)})"
            )
        elif wanted is not None and not (result / wanted).is_file():
            missing.append(f"{path.name}: {kind} {result.name} has no {wanted}")
        else:
            found.append((config, result))
    if missing:
        raise NeuroControlError(
            f"{kind} results are missing; the README is left as it is:\n  " + "\n  ".join(missing)
        )
    return found


def collect(runs: Path, config_paths: list[Path]) -> list[tuple[ExperimentConfig, Path]]:
    """Each config with its newest complete matching run; refuses if one has none."""
    return _newest(
        "run", runs, config_paths, lambda p: load_yaml(p, ExperimentConfig), latest_run,
        primary_plot, "train",
    )  # fmt: skip


def collect_sweeps(sweeps: Path, sweep_paths: list[Path]) -> list[tuple[SweepConfig, Path]]:
    """Each sweep file with its newest complete matching sweep; refuses if one has none."""
    return _newest(
        "sweep", sweeps, sweep_paths, load_sweep, latest_sweep,
        lambda c: f"plots/{pareto_figure(c)}" if len(c.pareto) == 2 else None, "sweep",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs",
        nargs="+",
        type=Path,
        help="experiment configs (default: launch/*.yaml but sweep_*.yaml)",
    )
    parser.add_argument(
        "--sweep-files",
        nargs="*",
        type=Path,
        help="sweep files (default: launch/sweep_*.yaml, or none when --configs is given)",
    )
    parser.add_argument("--runs", default="runs", help="folder of run directories (runs)")
    parser.add_argument("--sweeps", default="sweeps", help="folder of sweep directories (sweeps)")
    parser.add_argument("--readme", default=str(HERE.parent / "README.md"), help="README to update")
    parser.add_argument("--figures", default=str(HERE / "results"), help="where PNGs are copied")
    args = parser.parse_args(argv)
    try:
        found = collect(Path(args.runs), args.configs or experiment_configs())
        figures = [experiment_figures(run) for _, run in found]
        default_sweeps = [] if args.configs else sweep_files()
        swept = collect_sweeps(
            Path(args.sweeps), default_sweeps if args.sweep_files is None else args.sweep_files
        )
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
    for config, sweep in swept:
        figure = None
        if len(config.pareto) == 2:
            figure = f"{config.name}_pareto.png"
            with atomic_path(figures_dir / figure) as tmp:
                shutil.copyfile(sweep / "plots" / pareto_figure(config), tmp)
            figure = f"launch/results/{figure}"
        markdown += "\n\n" + sweep_markdown(config, sweep, figure)
        print(f"{config.name}: {sweep}")
    update_readme(args.readme, markdown)
    print(f"updated {args.readme} with {len(figures)} experiment(s) and {len(swept)} sweep(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
