"""Checkpoint endurance: real writer processes killed with SIGKILL; many save/load cycles."""

from __future__ import annotations

import pytest

from neurocontrol.bench import endurance
from neurocontrol.bench.endurance import checkpoint_kill_trials, save_load_cycles


def _assert_never_lost(figures: dict, kills: int) -> None:
    assert figures["lost"] == 0, figures["failures"]
    assert figures["kills"] == kills
    assert figures["loaded_new"] + figures["loaded_previous"] + figures["refused"] == kills
    assert figures["saves_completed"] > 0
    assert figures["files_after_final_save"] == 2  # the header and one arrays file


def test_a_killed_checkpoint_writer_never_loses_the_last_complete_checkpoint(tmp_path, capsys):
    figures = checkpoint_kill_trials(12, seed=0, directory=tmp_path)
    _assert_never_lost(figures, 12)
    assert "checkpoint kill trials: 12 kills" in capsys.readouterr().out


@pytest.mark.slow
def test_a_hundred_kills_never_lose_the_checkpoint(tmp_path):
    _assert_never_lost(checkpoint_kill_trials(100, seed=1, directory=tmp_path), 100)


def test_save_load_cycles_leave_no_descriptor_open_and_load_what_was_saved(tmp_path, capsys):
    figures = save_load_cycles(50, tmp_path)
    assert figures["cycles"] == 50 and figures["mismatches"] == 0
    assert figures["fds_after"] == figures["fds_before"] > 0
    assert figures["files"] == 2
    assert "save/load cycles: 50 of a 200-neuron adaptive spiking agent" in capsys.readouterr().out


def test_a_writer_that_does_not_start_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(endurance, "_WRITER", "raise SystemExit(3)")
    with pytest.raises(
        ChildProcessError, match=r"writer did not start \(exit status 3, first output ''\)"
    ):
        checkpoint_kill_trials(1, seed=0, directory=tmp_path)


def test_kill_trials_need_posix_signals(tmp_path, monkeypatch):
    monkeypatch.setattr(endurance.os, "name", "nt")
    with pytest.raises(OSError, match=r"need POSIX signals \(SIGKILL\)"):
        checkpoint_kill_trials(1, seed=0, directory=tmp_path)
