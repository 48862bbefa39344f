"""The A/B harness stages another revision beside the working tree and runs both."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from neurocontrol.bench.ab import (
    ChildError,
    add_arguments,
    compare,
    flatten,
    round_orders,
    run,
    run_ab,
    run_child,
    write_probe,
)
from neurocontrol.bench.ab import main as ab_main
from neurocontrol.bench.staging import PACKAGE_DIRS, Side
from neurocontrol.cli.commands import main as cli_main
from neurocontrol.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
OSC = {"workload": "agent", "env": "neurocontrol/PlanarReach-v0", "seconds": 0.02}


@pytest.fixture
def no_jit(monkeypatch: pytest.MonkeyPatch) -> None:
    # the children inherit it: staged trees start with empty caches, and compiling every
    # kernel cold (~5 s per tree) would test numba, not the harness
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(["--repo", str(REPO), *argv])


def test_agent_workload_runs_in_two_staged_trees(no_jit: None) -> None:
    specs = {"osc": {"type": "osc"}, "osc#2": {"type": "osc", "kp": 150.0}}
    report = run_ab({**OSC, "specs": specs}, "HEAD", rounds=2, figures=["*.agent"], repo=REPO)
    old, new = (Path(report["sides"][side]["neurocontrol"]) for side in ("old", "new"))
    assert old != new and old.name == new.name == "__init__.py"
    # each side imported its own staged tree, not this checkout
    assert REPO not in old.parents and REPO not in new.parents
    assert old.parents[1] != new.parents[1]
    assert report["sides"]["old"]["commit"] == report["sides"]["new"]["commit"]
    assert report["order"] == [["old", "new"], ["new", "old"]]
    assert sorted(report["figures"]) == sorted(
        f"{name}.agent.{stat}"
        for name in specs
        for stat in ("p50_us", "p99_us", "mean_us", "max_us")
    )
    for row in report["figures"].values():
        assert len(row["old"]) == len(row["new"]) == 2
        assert row["ratio_per_round"] == pytest.approx(
            [n / o for o, n in zip(row["old"], row["new"], strict=True)]
        )


def test_suite_workload_compares_the_suites_json_figures(no_jit: None) -> None:
    args = _args(
        "--against", "HEAD", "--rounds", "1", "--figure", "envs.*.env_step_us",
        "suite", "envs", "--steps", "10", "--repeats", "1", "--ids", "neurocontrol/PlanarReach-v0",
    )  # fmt: skip
    report = run(args)
    assert list(report["figures"]) == ["envs.neurocontrol/PlanarReach-v0.env_step_us"]
    assert report["workload"]["args"][-1] == "neurocontrol/PlanarReach-v0"
    assert any(
        line.startswith("envs.neurocontrol/PlanarReach-v0.env_step_us") for line in report["table"]
    )
    json.dumps(report)


def test_a_bad_revision_is_refused_before_anything_runs(capsys) -> None:
    with pytest.raises(ConfigError, match=r"unknown git revision 'no-such-rev'"):
        run_ab({**OSC, "specs": {"osc": {"type": "osc"}}}, "no-such-rev", repo=REPO)
    # the same through the command line, as bench ab and as python -m neurocontrol.bench.ab
    argv = ["--against", "no-such-rev", "--repo", str(REPO), "agent", '{"type": "osc"}']
    assert cli_main(["bench", "ab", *argv]) == 2
    assert ab_main(argv) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[0].startswith("neurocontrol bench: error: unknown git revision 'no-such-rev'")
    assert errors[1].startswith("python -m neurocontrol.bench.ab: error: unknown git revision")


def test_a_bad_spec_fails_with_the_childs_error(no_jit: None) -> None:
    with pytest.raises(ConfigError, match="not JSON"):
        run(_args("--against", "HEAD", "agent", "{'type': 'osc'}"))
    with pytest.raises(ChildError, match=r"(?s)old side, HEAD .*failed.*allowed types"):
        run(_args("--against", "HEAD", "--rounds", "1", "agent", '{"type": "no_such_agent"}'))


def test_a_child_that_imports_another_tree_fails_loudly(tmp_path: Path) -> None:
    # an empty tree: neurocontrol can only come from the installed package
    side = Side("old", "empty", "0" * 40, tmp_path / "tree", tmp_path / "cache")
    side.tree.mkdir()
    probe = write_probe(tmp_path / "probe")
    with pytest.raises(ChildError, match="not from the staged tree"):
        run_child(side, {**OSC, "specs": {}}, probe, tmp_path)


def test_staged_layout_is_the_install_layout_of_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    with open(REPO / "pyproject.toml", "rb") as handle:
        package_dir = tomllib.load(handle)["tool"]["setuptools"]["package-dir"]
    assert {k.replace(".", "/"): v for k, v in package_dir.items()} == PACKAGE_DIRS


def test_rounds_alternate_and_ratios_pair_each_round() -> None:
    assert round_orders(3) == [("old", "new"), ("new", "old"), ("old", "new")]
    runs = {"old": [{"t": 10.0, "only": 1.0}, {"t": 20.0}], "new": [{"t": 11.0}, {"t": 18.0}]}
    row = compare(runs)["t"]
    assert list(compare(runs)) == ["t"]  # a figure missing from a run is left out
    assert row["ratio_per_round"] == pytest.approx([1.1, 0.9])
    assert row["old_median"] == 15.0 and row["new_median"] == 14.5
    assert row["ratio_of_medians"] == pytest.approx(14.5 / 15.0)
    assert (row["ratio_min"], row["ratio_max"]) == pytest.approx((0.9, 1.1))
    nested = {"a": {"b": 1, "c": [1, 2], "d": True, "e": "x"}, "f": 2.5}
    assert dict(flatten(nested)) == {"a.b": 1.0, "f": 2.5}


def test_the_result_line_is_found_before_what_c_code_prints_at_exit() -> None:
    from neurocontrol.bench.ab import _result_line

    stdout = 'noise\n{"neurocontrol": "x", "figures": {"a": 1}}\npybullet build time: today\n'
    assert _result_line(stdout) == {"neurocontrol": "x", "figures": {"a": 1}}
    assert _result_line("{not json\n") is None
