"""``bench sweep`` runs the same trials serially and as a sweep on a real local Ray."""

from __future__ import annotations

import json

import pytest

from neurocontrol.bench.sweep import TARGET
from neurocontrol.cli.commands import main

#: one Ray at a time: the Ray tests run in one test worker (pytest --dist loadgroup)
pytestmark = pytest.mark.xdist_group("ray")


def test_bench_sweep_reports_both_wall_times_and_what_a_sweep_needs_to_gain(capsys) -> None:
    argv = ["bench", "sweep", "--trials", "2", "--duration", "0.3", "--workers", "2", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["trials"] == 2 and report["failed"] == 0
    assert report["speedup"] == pytest.approx(report["serial_wall_s"] / report["sweep_wall_s"])
    assert 0 < report["ray_start_s"] < report["sweep_wall_s"]
    assert report["peak_rss_mb_per_worker"] > 50
    per_trial = report["serial_wall_s"] / 2
    on_ray = report["trials_phase_s"] / 2
    assert report["speedup_limit"] == pytest.approx(per_trial / on_ray)
    if report["speedup_limit"] > TARGET:  # n t / (fixed + n p) = TARGET at the stated n
        n, fixed = report["trials_for_target"], report["sweep_wall_s"] - report["trials_phase_s"]
        assert n * per_trial / (fixed + n * on_ray) == pytest.approx(TARGET)
    else:
        assert report["trials_for_target"] == float("inf")
    assert any("target >= 1.6x" in line for line in report["table"])
