"""A sweep's point table and Pareto front, and launch/report.py publishing the newest matching
complete sweep (on the real Ray) or nothing."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from neurocontrol.experiment.results import END, START
from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.sweep import run_sweep, sweep_from_dict
from neurocontrol.sweep.report import point_summary, sweep_markdown
from neurocontrol.sweep.spec import load_sweep

#: one Ray at a time: the Ray tests run in one test worker (pytest --dist loadgroup)
pytestmark = pytest.mark.xdist_group("ray")

REPORT = Path(__file__).resolve().parents[2] / "launch" / "report.py"
KEY = "agents.rate.learning_rate"


def load_report():
    spec = importlib.util.spec_from_file_location("launch_report_sweeps", REPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(trial: str, seed: int, rate: str, error: float, retention: float, status="complete"):
    return {
        "trial": trial, "kind": "swept", "agent": "rate", "seed": str(seed), KEY: rate,
        "adapted_error": repr(error), "retention": repr(retention), "status": status,
    }  # fmt: skip


def test_point_summary_averages_seeds_marks_the_pareto_front_and_ranks_by_the_first_metric(
    tiny_sweep,
):
    tiny_sweep["space"] = {KEY: {"grid": [1e-6, 1e-5, 1e-4]}}
    tiny_sweep["pareto"] = ["adapted_error", "retention"]
    config = sweep_from_dict(tiny_sweep)
    rows = [
        _row("a0", 0, "1e-06", 3e-3, 0.9), _row("a1", 1, "1e-06", 5e-3, 0.7),  # 4 mm, 80%
        _row("b0", 0, "1e-05", 1e-3, 0.5), _row("b1", 1, "1e-05", 2e-3, 0.5),  # 1.5 mm, 50%
        _row("c0", 0, "0.0001", 6e-3, 0.4), _row("c1", 1, "0.0001", 6e-3, 0.2),  # dominated
        _row("d0", 0, "0.0001", 1e-9, 1.0, status="failed"),  # not a result
        {**_row("s0", 0, "", 9e-3, 0.0), "kind": "shared", "agent": "base"},
    ]  # fmt: skip
    summary = point_summary(config, rows)
    assert [e["params"][KEY] for e in summary] == ["1e-05", "1e-06", "0.0001"]  # min error first
    best = summary[0]
    assert best["adapted_error"] == pytest.approx((1.5e-3, 1e-3, 2e-3))
    assert best["retention"] == pytest.approx((0.5, 0.5, 0.5))
    assert best["seeds"] == [0, 1]
    assert [e["pareto"] for e in summary] == [True, True, False]
    assert summary[2]["seeds"] == [0, 1]  # the failed trial left out


def _experiment(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "name": "rep-exp",
                "agents": {"base": {"type": "osc"}},
                "duration": 0.5,
                "cycle_duration": 0.25,
            }
        )
    )
    return path


def test_report_publishes_the_newest_complete_sweep_of_each_sweep_file_or_nothing(
    tiny_sweep, tmp_path, capsys
):
    from neurocontrol.experiment.protocol import ExperimentConfig
    from neurocontrol.experiment.training import start_run
    from neurocontrol.utils.config import load_yaml

    report = load_report()
    tiny_sweep["pareto"] = ["adapted_error", "retention"]
    sweep_file = tmp_path / "sweep_tiny.yaml"
    sweep_file.write_text(json.dumps(tiny_sweep))
    experiment = _experiment(tmp_path / "rep-exp.yaml")
    start_run(load_yaml(experiment, ExperimentConfig), tmp_path / "runs")
    sweeps, figures, readme = tmp_path / "sweeps", tmp_path / "figures", tmp_path / "README.md"
    original = f"# title\n{START}\nold results\n{END}\n"
    readme.write_text(original)
    args = [
        "--configs", str(experiment), "--runs", str(tmp_path / "runs"),
        "--sweep-files", str(sweep_file), "--sweeps", str(sweeps),
        "--readme", str(readme), "--figures", str(figures),
    ]  # fmt: skip

    # no sweep yet; then one that was stopped, and a complete one of other seeds: refused
    config = load_sweep(sweep_file)
    RunDirectory(config.name, sweeps, config=config.to_dict()).set_status("interrupted")
    other = sweep_from_dict({**tiny_sweep, "seeds": [1]})
    run_sweep(other, sweeps, max_workers=2, progress=False)
    assert report.main(args) == 2
    err = capsys.readouterr().err
    assert "sweep results are missing; the README is left as it is" in err
    assert "sweep_tiny.yaml: no complete sweep of this file" in err
    assert readme.read_text() == original and not (figures / "tiny-sweep_pareto.png").exists()

    outcome = run_sweep(config, sweeps, max_workers=2, progress=False)
    assert report.main(args) == 0
    text = readme.read_text()
    assert "**tiny-sweep** sweep on `neurocontrol/PlanarReach-v0`" in text
    assert f"sweep `{outcome.path.name}`" in text and "old results" not in text
    assert "| agent | learning_rate | adapted_error | retention | Pareto front |" in text
    for rate in ("1e-06", "1e-05"):
        assert f"| rate | {rate} | " in text
    assert "![tiny-sweep: adapted_error against retention]" in text
    assert "(launch/results/tiny-sweep_pareto.png)" in text
    copied = figures / "tiny-sweep_pareto.png"
    plot = outcome.path / "plots" / "pareto_adapted_error_retention.png"
    assert copied.read_bytes() == plot.read_bytes()
    assert sweep_markdown(config, outcome.path, "launch/results/tiny-sweep_pareto.png") in text
    # a report that fails (here: plots/ is a file) leaves the sweep failed, not running
    shutil.rmtree(outcome.path / "plots")
    (outcome.path / "plots").write_text("in the way")
    with pytest.raises(FileExistsError):
        run_sweep(resume=outcome.path, max_workers=2, progress=False)
    status = RunDirectory.open(outcome.path).status
    assert status.state == "failed" and "the report failed (FileExistsError" in status.message
    assert f"neurocontrol sweep --resume {outcome.path}" in status.message


def test_a_choice_of_lists_groups_its_points_and_gets_a_category_axis(tiny_sweep, tmp_path):
    from neurocontrol.sweep.report import _plots

    key = "agents.rate.intercepts"
    tiny_sweep["base"]["agents"]["rate"]["intercepts"] = [-1.0, 0.9]
    tiny_sweep["space"] = {key: {"choice": [[-1.0, 0.9], [0.3, 0.9]]}}
    tiny_sweep.update(search="random", samples=2, pareto=["adapted_error", "retention"])
    config = sweep_from_dict(tiny_sweep)
    rows = [{**_row(f"a{s}", s, "", 1e-3 * (1 + s), 0.8), key: [-1.0, 0.9]} for s in (0, 1)] + [
        {**_row("b0", 0, "", 2e-3, 0.9), key: [0.3, 0.9]}
    ]
    summary = point_summary(config, rows)
    assert [(e["params"][key], e["seeds"]) for e in summary] == [
        ((-1.0, 0.9), [0, 1]),
        ((0.3, 0.9), [0]),
    ]
    assert [e["pareto"] for e in summary] == [True, True]
    _plots(config, tmp_path, rows)
    assert (tmp_path / "plots" / "adapted_error_vs_agents_rate_intercepts.png").stat().st_size
    assert (tmp_path / "plots" / "pareto_adapted_error_retention.png").stat().st_size
