"""The console script end to end, on small configs (real envs, real agents, real files)."""

from __future__ import annotations

import json
import re

import pytest

from neurocontrol.cli.commands import main

SHORT = """
name: cli-short
env:
  kwargs: {n_targets: 4, movement_time: 0.3, hold_time: 0.2}
agents:
  rate twin: {type: adaptive_rate, n_neurons: 200}
  base: {type: osc}
schedule:
  - {at: 4.0, perturbation: {kind: curl_field, strength: 15.0}, label: curl on}
duration: 12.0
seeds: [0]
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    config = root / "short.yaml"
    config.write_text(SHORT)
    assert main(["train", "--config", str(config), "--out", str(root / "runs"), "--quiet"]) == 0
    (run_dir,) = (root / "runs").iterdir()
    return root, config, run_dir


def test_train_writes_a_run_directory(trained, capsys) -> None:
    _, _, run_dir = trained
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "config.yaml",
        "summary.json",
        "cycles.csv",
        "steps.csv",
        "checkpoint.json",
        "tracking_error.png",
        "learning_curve.png",
    } <= names
    assert (
        len([name for name in names if re.fullmatch(r"checkpoint\.[0-9a-f]{16}\.npz", name)]) == 1
    )
    summary = json.loads((run_dir / "summary.json").read_text())
    table = summary["table_m"]
    # The rate twin adapts to the field; the base controller cannot.
    assert table["rate twin"]["adapted"] < 0.5 * table["base"]["adapted"]


def test_compare_prints_paired_differences_as_json(trained, capsys) -> None:
    root, config, _ = trained
    capsys.readouterr()
    code = main(
        [
            "compare",
            "--config",
            str(config),
            "--out",
            str(root / "cmp"),
            "--json",
            "--duration",
            "8",
            "--seeds",
            "1",
            "2",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    paired = report["paired"]["base"]
    assert paired["phase"] == "adapted"
    assert paired["first_better_fraction"] == 1.0 and paired["mean_difference_m"] < 0


def test_run_evaluates_the_checkpoint(trained, capsys) -> None:
    _, _, run_dir = trained
    capsys.readouterr()
    assert (
        main(
            [
                "run",
                str(run_dir),
                "--duration",
                "1",
                "--json",
                "--perturbation",
                '{"kind": "curl_field", "strength": 15}',
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 1000 and summary["rms_tracking_error_m"] < 0.01


def test_cli_errors_name_the_problem(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nagents: {a: {type: osc}}\nduraton: 3\n")
    assert main(["train", "--config", str(bad), "--out", str(tmp_path)]) == 2
    assert "unknown key 'duraton'" in capsys.readouterr().err
    bad.write_text("name: x\nagents: {a: {type: spiking_magic}}\nduration: 1\n")
    assert main(["train", "--config", str(bad), "--out", str(tmp_path), "--quiet"]) == 2
    assert "spiking_magic" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]  # no half-written run
    assert main(["run", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert main(["train", "--duration", "abc"]) == 2
    assert "argument --duration: must be a finite number > 0; got 'abc'" in capsys.readouterr().err
