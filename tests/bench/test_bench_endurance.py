"""Endurance: a long closed loop, resets, save/load cycles, writers and runs killed (SIGKILL).

The default suite runs each part shortened; the full figures come from
``neurocontrol bench endurance`` (and the ``slow`` tests).
"""

from __future__ import annotations

import pytest

from neurocontrol.bench import kill_trials
from neurocontrol.bench.endurance import closed_loop_soak, reset_cycles, save_load_cycles
from neurocontrol.bench.kill_trials import checkpoint_kill_trials, run_kill_trials
from neurocontrol.cli.commands import main


def _assert_never_lost(figures: dict, kills: int) -> None:
    assert figures["lost"] == 0, figures["failures"]
    assert figures["kills"] == kills
    assert figures["loaded_new"] + figures["loaded_previous"] + figures["refused"] == kills
    assert figures["saves_completed"] > 0
    assert figures["files_after_final_save"] == 2  # the header and one arrays file


def test_a_killed_checkpoint_writer_never_loses_the_last_complete_checkpoint(tmp_path):
    _assert_never_lost(checkpoint_kill_trials(12, seed=0, directory=tmp_path), 12)


@pytest.mark.slow
def test_a_hundred_kills_never_lose_the_checkpoint(tmp_path):
    _assert_never_lost(checkpoint_kill_trials(100, seed=1, directory=tmp_path), 100)


def test_save_load_cycles_leave_no_descriptor_open_and_load_what_was_saved(tmp_path):
    figures = save_load_cycles(50, tmp_path)
    assert figures["cycles"] == 50 and figures["mismatches"] == 0
    assert figures["fds_after"] == figures["fds_before"] > 0
    assert figures["files"] == 2


def _assert_runs_marked(figures: dict, kills: int) -> None:
    assert figures["kills"] == kills and figures["bad"] == 0, figures["problems"]
    assert figures["complete"] + figures["incomplete"] == figures["run_directories"]
    assert figures["resumed_to_complete"] == figures["incomplete"]
    assert set(figures["incomplete_states"]) <= {"stopped", "running"}


def test_training_runs_killed_at_random_are_complete_or_marked_and_resume(tmp_path):
    _assert_runs_marked(run_kill_trials(3, seed=0, directory=tmp_path), 3)


@pytest.mark.slow
def test_a_hundred_killed_runs_are_each_complete_or_marked(tmp_path):
    _assert_runs_marked(run_kill_trials(100, seed=1, directory=tmp_path), 100)


def test_a_closed_loop_soak_stays_finite_bounded_and_flat_in_memory():
    figures = closed_loop_soak(24_000, episode_seconds=1.0)
    assert figures["steps"] == 24_000 and figures["episodes"] == 24
    assert figures["nonfinite"] == 0 and figures["weights_out_of_bounds"] == 0
    assert figures["rss_growth_mb"] < 10.0


@pytest.mark.slow
def test_a_million_closed_loop_steps_stay_finite_bounded_and_flat_in_memory():
    figures = closed_loop_soak(1_000_000)
    assert figures["episodes"] == 84
    assert figures["nonfinite"] == 0 and figures["weights_out_of_bounds"] == 0
    assert figures["rss_growth_mb"] < 10.0


def test_resets_and_new_envs_leave_no_client_or_descriptor_open():
    figures = reset_cycles(60, n_envs=5)
    assert figures["clients_after"] == figures["clients_before"]
    assert figures["fds_after"] == figures["fds_before"]
    assert figures["rss_growth_mb"] < 10.0


def test_the_suite_prints_every_part(capsys):
    args = ["bench", "endurance", "--steps", "2000", "--resets", "10", "--cycles", "3"]
    assert main([*args, "--checkpoint-kills", "2", "--run-kills", "0"]) == 0
    out = capsys.readouterr().out
    for part in ("closed loop: 2000 steps", "resets: 10 with perturbations",
                 "save/load: 3 cycles", "checkpoint kills: 2"):  # fmt: skip
        assert part in out
    assert "run kills" not in out


def test_a_writer_that_does_not_start_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(kill_trials, "_WRITER", "raise SystemExit(3)")
    with pytest.raises(
        ChildProcessError, match=r"writer did not start \(exit status 3, first output ''\)"
    ):
        checkpoint_kill_trials(1, seed=0, directory=tmp_path)


@pytest.mark.parametrize("trials", [checkpoint_kill_trials, run_kill_trials])
def test_kill_trials_need_posix_signals(tmp_path, monkeypatch, trials):
    monkeypatch.setattr(kill_trials.os, "name", "nt")
    with pytest.raises(OSError, match=r"need POSIX signals \(SIGKILL\)"):
        trials(1, seed=0, directory=tmp_path)


def test_the_suite_refuses_negative_counts(capsys):
    assert main(["bench", "endurance", "--steps", "-1"]) == 2
    assert "argument --steps" in capsys.readouterr().err
