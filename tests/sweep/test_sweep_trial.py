"""A trial in this process: an episode the env's safety stop ended is a failed trial."""

from __future__ import annotations

import copy

from neurocontrol.experiment.runs import RunDirectory
from neurocontrol.sweep import sweep_from_dict
from neurocontrol.sweep.trial import execute_trial, read_record

KEY = "env.kwargs.max_joint_velocity"


def test_a_trial_the_safety_stop_ended_is_recorded_as_failed_with_when(tiny_sweep, tmp_path):
    tiny_sweep["base"]["env"]["kwargs"]["max_joint_velocity"] = 20.0
    tiny_sweep["space"] = {KEY: {"grid": [20.0, 2.0]}}
    tiny_sweep["metrics"] = {"adapted_error": "min"}
    sweep = sweep_from_dict(tiny_sweep)
    records = {}
    for limit in (20.0, 2.0):  # 2 rad/s: the first reach is faster than that
        plan = sweep.trial_for({KEY: limit}, 0)
        records[limit] = execute_trial(copy.deepcopy(plan.to_dict()), tmp_path)
        kept = read_record(tmp_path, plan.id)  # (NaN figures: compared field by field)
        assert (kept["status"], kept["error"]) == (
            records[limit]["status"],
            records[limit]["error"],
        )
    assert records[20.0]["status"] == "complete" and records[20.0]["error"] == ""
    stopped = records[2.0]
    assert stopped["status"] == "failed"
    assert "agent 'rate': the env ended the episode at" in stopped["error"]
    assert "of 0.6 s (its safety stop)" in stopped["error"]
    assert RunDirectory.open(records[20.0]["run_dir"]).status.complete
