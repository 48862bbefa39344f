"""The results report is computed from a real (short) run directory."""

from __future__ import annotations

import dataclasses
import json

import pytest

from neurocontrol.core.energy import EnergyModel
from neurocontrol.errors import CheckpointError
from neurocontrol.experiment.protocol import ExperimentConfig, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.results import (
    END,
    START,
    experiment_figures,
    latest_run,
    results_markdown,
    update_readme,
)
from neurocontrol.utils.config import from_dict


@pytest.fixture(scope="module")
def config():
    return from_dict(
        ExperimentConfig,
        {
            "name": "report",
            "env": {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2}},
            "agents": {
                "spiking": {"type": "adaptive_spiking", "n_neurons": 200},
                "twin": {"type": "adaptive_rate", "n_neurons": 200},
                "hybrid": {
                    "type": "hybrid",
                    "spiking": {"type": "adaptive_spiking", "n_neurons": 200},
                    "dense": {"type": "adaptive_rate", "n_neurons": 200},
                },
                "base": {"type": "osc"},
            },
            "schedule": [{"at": 4.0, "perturbation": {"kind": "curl_field", "strength": 15.0}}],
            "duration": 12.0,
        },
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, config):
    root = tmp_path_factory.mktemp("runs")
    return write_experiment(run_experiment(config), root).path


def test_figures_follow_the_run_files(run_dir, config) -> None:
    assert latest_run(run_dir.parent, config) == run_dir
    assert latest_run(run_dir.parent, dataclasses.replace(config, name="other")) is None
    figures = experiment_figures(run_dir)
    table = figures["table_m"]
    targets = figures["targets"]
    # Cycles are 4 s: the 30 s and 60 s windows fall on the last cycle of this short run.
    assert targets["reduction_vs_base_30s"] == pytest.approx(
        1 - table["spiking"]["adapted"] / table["base"]["adapted"]
    )
    assert targets["spiking_over_twin_steady"] == pytest.approx(
        table["spiking"]["adapted"] / table["twin"]["adapted"]
    )
    assert targets["reduction_vs_base_30s"] > 0.5
    assert targets["min_real_time_factor"] == min(figures["real_time_factor"].values())
    markdown = results_markdown([figures])
    assert "| spiking |" in markdown and "error below base, 30 s after onset" in markdown


def test_speed_is_reported_in_wall_clock_and_in_cpu_time(run_dir) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    figures = experiment_figures(run_dir)
    for label, data in summary["agents"].items():
        for episode in data["episodes"]:
            # CPU time of the episode's process: at most its wall time (one thread runs it)
            assert 0 < episode["cpu_time_s"] <= episode["wall_time_s"] * 1.05
            assert episode["cpu_real_time_factor"] == pytest.approx(
                episode["sim_time_s"] / episode["cpu_time_s"]
            )
            assert episode["load_average_1min"] >= 0 and episode["cpu_count"] >= 1
        assert figures["cpu_real_time_factor"][label] == min(
            ep["cpu_real_time_factor"] for ep in data["episodes"]
        )
    targets = figures["targets"]
    assert targets["min_cpu_real_time_factor"] == min(figures["cpu_real_time_factor"].values())
    markdown = results_markdown([figures])
    assert "| x real time | x real time (CPU) |" in markdown
    assert f"(wall clock; 1-min load average up to {figures['load_average']:.1f} on " in markdown
    assert "slowest agent, x real time in CPU time (the run's own cost)" in markdown


def test_the_energy_ratio_names_its_model_and_gives_loihi_s(run_dir) -> None:
    (log_path,) = run_dir.glob("hybrid_*.json")
    log = json.loads(log_path.read_text())
    figures = experiment_figures(run_dir)
    energy = figures["energy"]
    assert figures["targets"]["energy_ratio_spiking_to_dense"] == energy["ratio"]
    assert energy["model"] == EnergyModel().to_dict()  # the default: Horowitz 45 nm
    # the same op counts priced with Loihi's per-op energies (pJ) on the spiking side
    spiking = (
        log["spiking_synops_per_step"] * 23.6
        + log["spiking_neuron_updates_per_step"] * 52.0
        + log["spiking_macs_per_step"] * 4.6
    )
    dense = log["dense_macs_per_step"] * 4.6
    assert energy["loihi_ratio"] == pytest.approx(spiking / dense)
    assert energy["loihi_ratio"] > 5 * energy["ratio"]  # neuron updates dominate on Loihi
    markdown = results_markdown([figures])
    assert "energy spiking / dense (hybrid log; per-op energies below)" in markdown
    assert "priced with Horowitz 2014 (ISSCC), 45 nm, 32-bit float per-op energies" in markdown
    assert f"the same counts give {energy['loihi_ratio']:.2f}." in markdown


def test_update_readme_replaces_only_the_block(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n{START}\nold\n{END}\ntail\n")
    update_readme(readme, "new table")
    assert readme.read_text() == f"# title\n{START}\nnew table\n{END}\ntail\n"
    readme.write_text("# no markers\n")
    with pytest.raises(CheckpointError, match="has no <!-- results:start -->"):
        update_readme(readme, "x")
    with pytest.raises(CheckpointError, match="is not a complete run"):
        experiment_figures(tmp_path)
