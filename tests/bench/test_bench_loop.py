"""``bench loop`` times the hybrid and each of its two sides alone, on both reach envs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocontrol.bench.loop import agent_specs
from neurocontrol.cli.commands import main


def test_bench_loop_reports_the_agents_and_the_previous_configuration_as_json(capsys) -> None:
    argv = ["bench", "loop", "--seconds", "0.3", "--neurons", "100", "--repeats", "2", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["envs"]) == {"neurocontrol/PlanarReach-v0", "neurocontrol/ArmReach-v0"}
    assert report["agents"] == agent_specs(100)
    for env_id, agents in report["envs"].items():
        assert set(agents) == {
            "hybrid", "adaptive_spiking", "adaptive_rate", "spiking (old)", "rate (old)"
        }  # fmt: skip
        for figures in agents.values():
            assert figures["timed_steps"] == 300
            assert figures["agent"]["p50_us"] > 0 and figures["env"]["p50_us"] > 0
            assert figures["step"]["p99_us"] >= figures["agent"]["p50_us"]
            assert figures["real_time_factor"] > 0
            assert figures["rms_tracking_error_m"] < 0.05
        sides = agents["adaptive_spiking"]["agent"]["p50_us"]
        sides += agents["adaptive_rate"]["agent"]["p50_us"]
        assert report["hybrid_over_sides_agent_p50"][env_id] == pytest.approx(
            agents["hybrid"]["agent"]["p50_us"] / sides
        )
        # each figure is the median of the runs; each ratio the median of the runs' ratios
        runs = report["repeats"][env_id]
        assert len(runs) == 2
        p50s = [run["rate (old)"]["agent"]["p50_us"] for run in runs]
        assert agents["rate (old)"]["agent"]["p50_us"] == pytest.approx(np.median(p50s))
        ratios = [
            run["adaptive_spiking"]["agent"]["p50_us"] / run["spiking (old)"]["agent"]["p50_us"]
            for run in runs
        ]
        assert report["present_over_previous_agent_p50"][env_id]["spiking"] == pytest.approx(
            np.median(ratios)
        )


def test_bench_loop_table_has_a_row_per_agent_and_env(capsys) -> None:
    argv = ["bench", "loop", "--seconds", "0.05", "--neurons", "50", "--repeats", "2"]
    assert main([*argv, "--envs", "neurocontrol/PlanarReach-v0"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("neuro")]
    assert [row.split()[1] for row in rows[:3]] == ["hybrid", "adaptive_spiking", "adaptive_rate"]
    assert [row.split(maxsplit=1)[1][:13] for row in rows[3:5]] == [
        "spiking (old)",
        "rate (old)   ",
    ]
    assert "hybrid agent p50 / (spiking + rate twin alone)" in rows[5]
    assert "agent p50 present / previous configuration: spiking x" in rows[6]
    assert "(runs: spiking " in rows[6]


def test_bench_loop_refuses_a_repeat_count_below_one(capsys) -> None:
    assert main(["bench", "loop", "--repeats", "0"]) == 2
    assert "--repeats: must be an integer >= 1; got '0'" in capsys.readouterr().err
