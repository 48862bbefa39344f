"""``bench snn`` runs end to end on short windows and reports consistent figures."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from neurocontrol.bench.interleave import CHUNK_WARMUP, CHUNKS
from neurocontrol.bench.snn import ClosedLoop, _timed_process, measure_workloads
from neurocontrol.cli.commands import main


def test_bench_snn_reports_both_workloads_and_their_ratio_as_json(capsys) -> None:
    assert main(["bench", "snn", "--steps", "300", "--repeats", "2", "--no-start", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    small, large = report["workloads"]["CL-1k"], report["workloads"]["CL-10k"]
    for figures in (small, large):
        assert len(figures["us_per_step_runs"]) == 2
        assert figures["us_per_step"] > 0 and figures["cpu_us_per_step"] > 0
        assert 20.0 < figures["hidden_rate_hz"] < 200.0
    assert small["plastic_synapses"] == 100_000 and small["bytes_per_plastic_synapse"] == 4.0
    assert large["bytes_per_plastic_synapse"] <= 12.0
    ratio = report["cl10k_over_cl1k"]
    assert ratio["synops"] == pytest.approx(large["synops_per_step"] / small["synops_per_step"])
    # each round's ratio uses that round's times and SynOps
    rounds = [
        (large["us_per_step_runs"][r] / small["us_per_step_runs"][r])
        / (large["synops_per_step_runs"][r] / small["synops_per_step_runs"][r])
        for r in range(2)
    ]
    assert ratio["time_over_synops_per_round"] == pytest.approx(rounds)
    for figures in (small, large):
        assert np.mean(figures["synops_per_step_runs"]) == pytest.approx(figures["synops_per_step"])
    assert 0.0 < report["fixed_overhead_us"] < 1000.0


def test_interleaved_repeats_count_what_the_simulator_counted() -> None:
    figures = measure_workloads(["CL-1k"], steps=200, repeats=3)["CL-1k"]
    assert len(figures["us_per_step_runs"]) == 3
    assert figures["synops_per_step"] > 0
    # 3 repeats of 20 chunks of 10 steps: one uninterrupted run of 600 steps
    _, _, spikes, synops = ClosedLoop("CL-1k").run(600)
    assert figures["synops_per_step"] * 600 == synops
    assert figures["hidden_rate_hz"] == pytest.approx(spikes / (1000 * 0.6))
    # interleaved, each chunk starts with untimed warm-up steps; the activity is still
    # CL-1k's own, whatever ran in between
    again = measure_workloads(["CL-1k", "CL-10k"], steps=200, repeats=3)["CL-1k"]
    alone = ClosedLoop("CL-1k")
    synops = sum(alone.run(10, warmup=CHUNK_WARMUP)[3] for _ in range(3 * CHUNKS))
    assert again["synops_per_step"] * 600 == synops
    # a workload named twice is measured once, not twice per round
    twice = measure_workloads(["CL-1k", "CL-1k"], steps=200, repeats=3)
    assert list(twice) == ["CL-1k"] and len(twice["CL-1k"]["us_per_step_runs"]) == 3
    assert twice["CL-1k"]["synops_per_step"] == figures["synops_per_step"]


def test_start_time_process_reports_launch_to_first_line_and_its_own_figures() -> None:
    script = "import time; print(0.25, 0.125, flush=True); time.sleep(0.3)"
    figures = _timed_process(["-c", script], dict(os.environ))
    assert figures["in_process"] == 0.25 and figures["in_process_cpu"] == 0.125
    # the line comes before the child's last 0.3 s; the whole process includes them
    assert figures["to_first_step"] < figures["wall"] - 0.25
    assert figures["cpu"] >= 0.0


def test_start_time_process_that_fails_says_why() -> None:
    script = "import sys; sys.stderr.write('no numba here'); sys.exit(3)"
    with pytest.raises(RuntimeError, match=r"exited with 3: no numba here"):
        _timed_process(["-c", script], dict(os.environ))
