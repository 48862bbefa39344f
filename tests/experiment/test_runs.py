from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from neurocontrol.errors import ConfigError, ShapeError
from neurocontrol.experiment.runs import RunDirectory, read_csv


def test_run_directory_layout_and_round_trip(tmp_path) -> None:
    run = RunDirectory("curl-demo", root=tmp_path)
    assert run.path.parent == tmp_path and run.path.name.startswith("curl-demo-")
    second = RunDirectory("curl-demo", root=tmp_path)
    assert second.path != run.path

    run.write_config({"name": "curl-demo", "seed": 3})
    assert yaml.safe_load(run.file("config.yaml").read_text()) == {"name": "curl-demo", "seed": 3}

    run.write_json("summary.json", {"rms": np.float64(0.5), "bad": float("nan"), "n": np.int64(2)})
    assert json.loads(run.file("summary.json").read_text()) == {"rms": 0.5, "bad": None, "n": 2}

    time = np.arange(5) * 1e-3
    action = np.arange(10, dtype=float).reshape(5, 2)
    run.write_csv("steps.csv", {"time": time, "action": action})
    table = read_csv(run.file("steps.csv"))
    assert list(table) == ["time", "action_0", "action_1"]
    np.testing.assert_allclose(table["action_1"], action[:, 1])


def test_run_directory_rejects_bad_names_and_columns(tmp_path) -> None:
    with pytest.raises(ConfigError, match="run name must start with a letter or digit"):
        RunDirectory("../escape", root=tmp_path)
    run = RunDirectory("ok", root=tmp_path)
    with pytest.raises(ShapeError, match=r"equal lengths, got \[2, 3\]"):
        run.write_csv("x.csv", {"a": np.zeros(2), "b": np.zeros(3)})
    with pytest.raises(ShapeError, match="must be 1-D or 2-D"):
        run.write_csv("x.csv", {"a": np.zeros((2, 2, 2))})
    assert not run.file("x.csv").exists()
