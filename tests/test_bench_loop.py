from __future__ import annotations

import json

from neurocontrol.cli import main


def test_bench_loop_reports_both_envs_as_json(capsys) -> None:
    assert main(["bench", "loop", "--seconds", "0.3", "--neurons", "100", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["envs"]) == {"neurocontrol/PlanarReach-v0", "neurocontrol/ArmReach-v0"}
    for figures in report["envs"].values():
        assert figures["agent"]["p50_us"] > 0 and figures["env"]["p50_us"] > 0
        assert figures["step_p99_us"] >= figures["agent"]["p50_us"]
        assert figures["real_time_factor"] > 0
        assert figures["rms_tracking_error_m"] < 0.05
