"""Regenerate the README's results block and figures from the newest run of each experiment.

    python launch/report.py                 # reads runs/, writes README.md and launch/results/
    python launch/report.py --runs /data/runs --readme README.md

For every experiment config in launch/*.yaml that has a finished run under
--runs, the figures (the run's measure per phase or per block of trials,
its targets, energy ratio, real-time factor) are computed from that run's
files, and its plots (the measure over time: tracking_error.png or
force_error.png; learning_curve.png) are copied to launch/results/. The README
shows, per experiment, the measure over time, or the learning curve for a
trial measure (success per block). Nothing is typed by hand.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from neurocontrol.config import read_yaml
from neurocontrol.results import experiment_figures, latest_run, results_markdown, update_readme

HERE = Path(__file__).resolve().parent
PLOTS = ("tracking_error.png", "force_error.png", "learning_curve.png")


def primary_plot(config: dict) -> str:
    """The plot a config's experiment shows in the README."""
    metric = config.get("metric", "tracking_error")
    return "learning_curve.png" if metric == "trial_success" else f"{metric}.png"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs", help="folder of run directories (runs)")
    parser.add_argument("--readme", default=str(HERE.parent / "README.md"), help="README to update")
    parser.add_argument("--figures", default=str(HERE / "results"), help="where PNGs are copied")
    args = parser.parse_args()
    figures_dir = Path(args.figures)
    figures_dir.mkdir(parents=True, exist_ok=True)
    collected = []
    shown = []
    for config_path in sorted(HERE.glob("*.yaml")):
        config = read_yaml(config_path)
        name = config["name"]
        run = latest_run(args.runs, name)
        if (figures_dir / f"{name}_{primary_plot(config)}").is_file() or run is not None:
            shown.append((name, f"{name}_{primary_plot(config)}"))
        if run is None:
            print(f"{config_path.name}: no finished run of {name!r} under {args.runs}; skipped")
            continue
        collected.append(experiment_figures(run))
        for plot in PLOTS:
            if (run / plot).is_file():
                shutil.copyfile(run / plot, figures_dir / f"{name}_{plot}")
        print(f"{config_path.name}: {run}")
    markdown = results_markdown(collected)
    plots = [(name, png) for name, png in shown if (figures_dir / png).is_file()]
    if plots:
        markdown += "\n" + "\n".join(f"![{name}](launch/results/{png})" for name, png in plots)
    update_readme(args.readme, markdown)
    print(f"updated {args.readme} with {len(collected)} experiment(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
