"""launch/report.py publishes only complete runs of exactly their config, or nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.experiment.results import END, START
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.experiment.training import start_run
from neurocontrol.utils.config import from_dict, to_dict

REPORT = Path(__file__).resolve().parents[2] / "launch" / "report.py"


def load_report():
    spec = importlib.util.spec_from_file_location("launch_report", REPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config(name: str, duration: float = 1.0) -> dict:
    return {
        "name": name,
        "agents": {"base": {"type": "osc"}},
        "schedule": [{"at": 0.5, "perturbation": {"kind": "curl_field", "strength": 15.0}}],
        "duration": duration,
        "cycle_duration": 0.25,
    }


def test_report_refuses_missing_results_and_publishes_only_matching_complete_runs(
    tmp_path, capsys
) -> None:
    report = load_report()
    runs, figures = tmp_path / "runs", tmp_path / "figures"
    paths = []
    for name in ("rep-a", "rep-b"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(json.dumps(config(name)))
        paths.append(path)
    readme = tmp_path / "README.md"
    original = f"# title\n{START}\nold results\n{END}\n"
    readme.write_text(original)
    args = ["--runs", str(runs), "--readme", str(readme), "--figures", str(figures)]
    args += ["--configs", *map(str, paths)]

    start_run(from_dict(ExperimentConfig, config("rep-a")), runs)
    # rep-b: a run of the same name with another duration, and one that was interrupted
    start_run(from_dict(ExperimentConfig, config("rep-b", duration=0.75)), runs)
    stopped = RunDirectory(
        "rep-b", runs, config=to_dict(from_dict(ExperimentConfig, config("rep-b")))
    )
    stopped.set_status("interrupted")

    assert report.main(args) == 2
    err = capsys.readouterr().err
    assert "results are missing; the README is left as it is" in err
    assert "rep-b.yaml: no complete run of this file" in err and "rep-a" not in err
    assert readme.read_text() == original and not figures.exists()

    (complete, _) = start_run(from_dict(ExperimentConfig, config("rep-b")), runs)
    assert report.main(args) == 0
    text = readme.read_text()
    assert f"run `{complete.path.name}`" in text and "old results" not in text
    assert sorted(p.name for p in figures.iterdir()) == [
        "rep-a_hand_paths.png", "rep-a_learning_curve.png", "rep-a_tracking_error.png",
        "rep-b_hand_paths.png", "rep-b_learning_curve.png", "rep-b_tracking_error.png",
    ]  # fmt: skip


def test_the_default_configs_are_the_launch_experiments_and_no_sweep_file() -> None:
    names = [path.name for path in load_report().experiment_configs()]
    assert "curl_planar.yaml" in names and "payload_panda.yaml" in names
    assert not any(name.startswith("sweep_") for name in names)
    sweeps = list(REPORT.parent.glob("sweep_*.yaml"))
    assert sweeps  # there is one to leave out


def test_a_missing_sweep_file_is_refused_and_nothing_is_written(tmp_path, capsys) -> None:
    runs, readme = tmp_path / "runs", tmp_path / "README.md"
    experiment = tmp_path / "rep-a.yaml"
    experiment.write_text(json.dumps(config("rep-a")))
    start_run(from_dict(ExperimentConfig, config("rep-a")), runs)
    original = f"# title\n{START}\nold results\n{END}\n"
    readme.write_text(original)
    missing = tmp_path / "sweep_missing.yaml"
    args = ["--configs", str(experiment), "--runs", str(runs), "--readme", str(readme)]
    args += ["--figures", str(tmp_path / "figures"), "--sweep-files", str(missing)]
    assert load_report().main(args) == 2
    assert f"report: error: cannot read config {str(missing)!r}" in capsys.readouterr().err
    assert readme.read_text() == original and not (tmp_path / "figures").exists()
