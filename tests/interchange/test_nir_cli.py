"""``neurocontrol export RUN --nir FILE``: a trained run's controller written as NIR."""

from __future__ import annotations

import json

import pytest

from neurocontrol.cli.commands import main
from neurocontrol.interchange.nir_io import from_nir, read_nir

CONFIG = """
name: nir-export
env:
  kwargs: {n_targets: 4, movement_time: 0.3, hold_time: 0.2}
agents:
  spiking: {type: adaptive_spiking, n_neurons: 200, learning_rate: 1.0e-5}
schedule:
  - {at: 0.5, perturbation: {kind: curl_field, strength: 15.0}, label: curl on}
duration: 2.0
seeds: [0]
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("nir-cli")
    config = root / "run.yaml"
    config.write_text(CONFIG)
    assert main(["train", "--config", str(config), "--out", str(root / "runs"), "--quiet"]) == 0
    (run,) = (root / "runs").iterdir()
    return run


def test_export_refuses_without_lossy_and_lists_each_element(run_dir, tmp_path, capsys):
    target = tmp_path / "controller.nir"
    assert main(["export", str(run_dir), "--nir", str(target)]) == 2
    err = capsys.readouterr().err
    for part in ("base controller", "refractory period", "send-on-delta", "learning rule: PES"):
        assert part in err
    assert not target.exists()


def test_export_lossy_writes_the_trained_controller(run_dir, tmp_path, capsys):
    target = tmp_path / "controller.nir"
    assert main(["export", str(run_dir), "--nir", str(target), "--lossy"]) == 0
    out = capsys.readouterr().out
    assert "hidden: LIF" in out and "torque: LI" in out and "omitted: refractory period" in out
    graph = read_nir(target)
    assert graph.metadata["dt"] == 1e-3
    assert "PES" in json.loads(graph.metadata["learning_rules"])["readout.pes"]["type"]
    assert abs(graph.nodes["readout"].weight).sum() > 0  # the trained decoders
    assert from_nir(graph).readouts == ["torque"]


def test_export_of_a_folder_that_is_no_run_fails_cleanly(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--nir", str(tmp_path / "x.nir")]) == 2
    assert "no config.yaml" in capsys.readouterr().err
