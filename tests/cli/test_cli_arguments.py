"""Bad command lines: one error line on stderr, exit code 2, no traceback, nothing run."""

from __future__ import annotations

import json

import pytest

from neurocontrol.cli.commands import main

IDS = "neurocontrol/PlanarReach-v0, neurocontrol/ArmReach-v0, neurocontrol/ArmPress-v0"
POSITIVE_INT = "must be an integer >= 1; got"
SEED = "must be an integer >= 0; got"
POSITIVE = "must be a finite number > 0; got"

BAD_ARGUMENTS = [
    # bench suites: every numeric option, and env ids
    (["bench", "envs", "--steps", "0"], "bench envs", f"--steps: {POSITIVE_INT} '0'"),
    (["bench", "envs", "--steps", "-5"], "bench envs", f"--steps: {POSITIVE_INT} '-5'"),
    (["bench", "envs", "--steps", "1.5"], "bench envs", f"--steps: {POSITIVE_INT} '1.5'"),
    (["bench", "envs", "--repeats", "0"], "bench envs", f"--repeats: {POSITIVE_INT} '0'"),
    (["bench", "envs", "--segment", "-1"], "bench envs", f"--segment: {POSITIVE_INT} '-1'"),
    (
        ["bench", "envs", "--ids", "neurocontrol/Nope-v0"],
        "bench envs",
        f"--ids: must be one of {IDS}; got 'neurocontrol/Nope-v0'",
    ),
    (["bench", "snn", "--steps", "0"], "bench snn", f"--steps: {POSITIVE_INT} '0'"),
    (["bench", "snn", "--repeats", "-2"], "bench snn", f"--repeats: {POSITIVE_INT} '-2'"),
    (["bench", "snn", "--start-repeats", "0"], "bench snn", f"--start-repeats: {POSITIVE_INT}"),
    (["bench", "rules", "--steps", "0"], "bench rules", f"--steps: {POSITIVE_INT} '0'"),
    (["bench", "rules", "--repeats", "x"], "bench rules", f"--repeats: {POSITIVE_INT} 'x'"),
    (["bench", "loop", "--seconds", "0"], "bench loop", f"--seconds: {POSITIVE} '0'"),
    (["bench", "loop", "--seconds", "nan"], "bench loop", f"--seconds: {POSITIVE} 'nan'"),
    (["bench", "loop", "--neurons", "0"], "bench loop", f"--neurons: {POSITIVE_INT} '0'"),
    (["bench", "loop", "--envs", "x"], "bench loop", "argument --envs: invalid choice: 'x'"),
    (
        ["bench", "ab", "--against", "HEAD", "--rounds", "0", "agent", "{}"],
        "bench ab",
        f"--rounds: {POSITIVE_INT} '0'",
    ),
    (
        ["bench", "ab", "--against", "HEAD", "agent", "--seconds", "-1", "{}"],
        "bench ab agent",
        f"--seconds: {POSITIVE} '-1'",
    ),
    (
        ["bench", "ab", "--against", "HEAD", "agent", "--env", "Nope-v0", "{}"],
        "bench ab agent",
        f"--env: must be one of {IDS}; got 'Nope-v0'",
    ),
    (["bench", "nope"], "bench", "argument SUITE: invalid choice: 'nope'"),
    # train and compare
    (["train", "--duration", "0"], "train", f"--duration: {POSITIVE} '0'"),
    (["train", "--duration", "-12"], "train", f"--duration: {POSITIVE} '-12'"),
    (["train", "--duration", "inf"], "train", f"--duration: {POSITIVE} 'inf'"),
    (["compare", "--duration", "nan"], "compare", f"--duration: {POSITIVE} 'nan'"),
    (["train", "--seeds", "0", "-1"], "train", f"--seeds: {SEED} '-1'"),
    (["compare", "--seeds", "one"], "compare", f"--seeds: {SEED} 'one'"),
    # run and demo
    (["run", "r", "--duration", "0"], "run", f"--duration: {POSITIVE} '0'"),
    (["run", "r", "--seed", "-1"], "run", f"--seed: {SEED} '-1'"),
    (["demo", "--duration", "-1"], "demo", f"--duration: {POSITIVE} '-1'"),
    (["demo", "--onset", "-0.5"], "demo", "--onset: must be a finite number >= 0; got '-0.5'"),
    (["demo", "--curl", "inf"], "demo", "--curl: must be a finite number (not NaN or inf)"),
    (["demo", "--seed", "-3"], "demo", f"--seed: {SEED} '-3'"),
    ([], "", "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize(("argv", "command", "message"), BAD_ARGUMENTS)
def test_bad_arguments_are_one_error_line(argv, command, message, capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    prog = f"neurocontrol {command}".strip()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"{prog}: error: ")
    assert message in line and line.endswith(f"(see {prog} --help)")
    assert "Traceback" not in captured.err


def test_a_perturbation_that_is_not_json_is_refused_before_the_run_is_read(
    tmp_path, capsys
) -> None:
    assert main(["run", str(tmp_path), "--perturbation", "not json"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "neurocontrol run: error: argument --perturbation: must be JSON, e.g. "
        """'{"kind": "curl_field", "strength": 15}'; got 'not json' """
        "(Expecting value at character 0) (see neurocontrol run --help)"
    )


def test_a_perturbation_that_is_json_but_no_perturbation_is_a_package_error(
    tmp_path, capsys
) -> None:
    config = tmp_path / "short.yaml"
    config.write_text("name: tiny\nagents: {base: {type: osc}}\nduration: 0.01\n")
    assert main(["train", "--config", str(config), "--out", str(tmp_path), "--quiet"]) == 0
    (run_dir,) = (p for p in tmp_path.iterdir() if p.is_dir())
    capsys.readouterr()
    for text, message in [
        ('{"kind": "wind"}', "unknown perturbation kind 'wind'"),
        ("[5]", "a perturbation must be a dict with a 'kind', got int"),
    ]:
        assert main(["run", str(run_dir), "--perturbation", text, "--duration", "0.01"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("neurocontrol run: error: ") and message in err
        assert "Traceback" not in err
    assert (
        main(["run", str(run_dir), "--perturbation", "null", "--duration", "0.01", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["steps"] == 10


def test_a_duration_that_cuts_the_schedule_is_refused_without_a_run(tmp_path, capsys) -> None:
    assert main(["train", "--duration", "0.05", "--out", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "neurocontrol train: error: schedule[0] ('curl field on') at 12 s is not before "
        "duration 0.05 s; an event must fall inside the run (at < duration)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_demo_shorter_than_a_step_runs_one(capsys) -> None:
    assert main(["demo", "--duration", "0.0001", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sim_seconds"] == 0.001
