"""Live TensorBoard logs and the CLI's logging and env listing (real runs, real event files
read back with tensorboard's EventAccumulator)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from neurocontrol.cli.commands import main
from neurocontrol.experiment.protocol import ExperimentConfig, run_experiment
from neurocontrol.experiment.training import start_run
from neurocontrol.utils.config import from_dict
from neurocontrol.utils.registration import ENV_IDS

#: 4 s cycles; the field on for the second, learning frozen for the third
LOGGED = {
    "name": "logged",
    "env": {"kwargs": {"movement_time": 0.2, "hold_time": 0.05}},
    "agents": {
        "spiking (PES)": {"type": "adaptive_spiking", "n_neurons": 50},
        "base": {"type": "osc"},
    },
    "schedule": [
        {"at": 4.0, "perturbation": {"kind": "curl_field", "strength": 15.0}, "label": "curl on"},
        {"at": 8.0, "learning": False},
    ],
    "duration": 10.0,
    "tensorboard": True,
}


def scalars(folder) -> EventAccumulator:
    events = EventAccumulator(str(folder))
    events.Reload()
    return events


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    return start_run(from_dict(ExperimentConfig, LOGGED), tmp_path_factory.mktemp("tb"))


def test_the_event_file_holds_each_cycles_error_and_figures(logged_run) -> None:
    run, result = logged_run
    events = scalars(run.file("tensorboard"))
    tags = set(events.Tags()["scalars"])
    spiking = "spiking_PES/seed0"
    assert {
        f"{spiking}/error_mm",
        f"{spiking}/real_time_factor",
        f"{spiking}/spike_rate_hz",
        f"{spiking}/energy_uj",
        "base/seed0/error_mm",
        "base/seed0/real_time_factor",
    } <= tags
    # one value per cycle (two whole, the last a half), equal to the run's own per-cycle error
    for label, tag in (("spiking (PES)", spiking), ("base", "base/seed0")):
        logged = events.Scalars(f"{tag}/error_mm")
        assert [e.step for e in logged] == [0, 1, 2]
        expected = result.agents[label].per_cycle()[0] * 1e3
        np.testing.assert_allclose([e.value for e in logged], expected, rtol=1e-5)
    assert all(e.value > 0 for e in events.Scalars(f"{spiking}/spike_rate_hz"))
    assert all(e.value > 0 for e in events.Scalars(f"{spiking}/real_time_factor"))


def test_the_event_file_holds_the_error_per_phase(logged_run) -> None:
    run, result = logged_run
    events = scalars(run.file("tensorboard"))
    table = result.table()
    for phase in ("before", "first_perturbed", "adapted"):
        (value,) = events.Scalars(f"spiking_PES/phase_{phase}")
        assert value.value == pytest.approx(table["spiking (PES)"][phase.replace("_", " ")] * 1e3)


def test_without_the_entry_nothing_is_logged(tmp_path) -> None:
    config = from_dict(
        ExperimentConfig, {**LOGGED, "tensorboard": False, "duration": 0.1, "schedule": []}
    )
    run, _ = start_run(config, tmp_path)
    assert not run.file("tensorboard").exists()
    # and run_experiment alone (no run directory) writes nothing either
    run_experiment(from_dict(ExperimentConfig, {**LOGGED, "duration": 0.1, "schedule": []}))


def test_train_tensorboard_flag_logs_and_says_where(tmp_path, capsys) -> None:
    config = tmp_path / "short.yaml"
    config.write_text(json.dumps({**LOGGED, "tensorboard": False, "duration": 0.2, "schedule": []}))
    code = main(["train", "--config", str(config), "--out", str(tmp_path), "--tensorboard"])
    assert code == 0
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert "tensorboard: true" in (run_dir / "config.yaml").read_text()
    assert scalars(run_dir / "tensorboard").Tags()["scalars"]
    err = capsys.readouterr().err
    assert f"tensorboard --logdir {run_dir / 'tensorboard'}" in err
    assert f"results, plots and checkpoint in {run_dir}" in err
    # a resumed run keeps its config: the flag is refused there
    assert main(["train", "--resume", str(run_dir), "--tensorboard"]) == 2
    assert "--resume continues a run with the config it started with; drop --tensorboard" in (
        capsys.readouterr().err
    )


def test_quiet_keeps_diagnostics_off_and_verbose_excludes_it(tmp_path, capsys) -> None:
    config = tmp_path / "short.yaml"
    config.write_text(json.dumps({**LOGGED, "tensorboard": False, "duration": 0.1, "schedule": []}))
    assert main(["train", "--config", str(config), "--out", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert logging.getLogger("neurocontrol").level == logging.WARNING
    assert main(["train", "--config", str(config), "--quiet", "--verbose"]) == 2
    assert "not allowed with argument --quiet" in capsys.readouterr().err


def test_envs_json_lists_spaces_and_control_rate(capsys) -> None:
    assert main(["envs", "--json"]) == 0
    envs = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in envs] == list(ENV_IDS)
    planar = envs[0]
    assert planar["action_space"] == {
        "type": "Box", "shape": [2], "dtype": "float32", "low": [-1.0, -1.0], "high": [1.0, 1.0],
    }  # fmt: skip
    assert set(planar["observation_space"]["spaces"]) == {"proprio", "ee", "goal"}
    assert planar["observation_space"]["spaces"]["ee"]["shape"] == [4]
    assert planar["control_rate_hz"] == pytest.approx(1000.0)
    assert planar["max_episode_steps"] == 12_000
    assert "tactile" in envs[2]["observation_space"]["spaces"]
