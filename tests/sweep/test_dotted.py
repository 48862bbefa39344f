"""Dotted keys: one parser for `train --set` and sweep files."""

from __future__ import annotations

import pytest
import yaml

from neurocontrol.cli.commands import main
from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import default_config
from neurocontrol.utils.dotted import apply_overrides, format_key, parse_assignment, parse_key


def test_quoted_parts_hold_spaces_and_dots():
    assert parse_key('agents."spiking (PES)".learning_rate') == (
        "agents",
        "spiking (PES)",
        "learning_rate",
    )
    assert parse_key('a."x.y \\"z\\"".b') == ("a", 'x.y "z"', "b")
    for parts in [("agents", "spiking (PES)", "n"), ("a", 'q"uo\\te', "0")]:
        assert parse_key(format_key(parts)) == parts


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("agents.spiking (PES).n", "must be quoted"),
        ("agents..n", "empty or unquoted part"),
        ('agents."open', "never closes"),
        ('agents."".n', "empty quoted part"),
        ("", "non-empty string"),
    ],
)
def test_malformed_keys_are_refused(key, match):
    with pytest.raises(ConfigError, match=match):
        parse_key(key)


def test_overrides_reach_agents_and_lists():
    config = apply_overrides(
        default_config(),
        {'agents."spiking (PES)".input_coding': "dense", "schedule.1.at": 30.0, "duration": 40.0},
    )
    assert config.agents["spiking (PES)"]["input_coding"] == "dense"
    assert config.schedule[1].at == 30.0 and config.duration == 40.0


def test_a_key_naming_nothing_lists_the_keys_there():
    with pytest.raises(ConfigError, match=r"'spiking' names nothing in agents; valid keys there: "
                       r'"spiking \(PES\)", "rate twin \(PES\)"'):  # fmt: skip
        apply_overrides(default_config(), {"agents.spiking.learning_rate": 1e-6})
    with pytest.raises(ConfigError, match=r"is a list of 2 entries; index it with 0..1"):
        apply_overrides(default_config(), {"schedule.5.at": 1.0})
    with pytest.raises(ConfigError, match="must be a number"):
        apply_overrides(default_config(), {"duration": "long"})


def test_assignment_reads_the_value_as_yaml():
    assert parse_assignment('agents."a=b".learning_rate=1e-6') == (
        'agents."a=b".learning_rate',
        1e-6,
    )
    with pytest.raises(ConfigError, match="must be KEY=VALUE"):
        parse_assignment("duration")


def test_train_set_uses_the_same_keys(tmp_path, capsys):
    code = main(["train", "--set", "agents.nothing.x=1", "--out", str(tmp_path), "--quiet"])
    assert code == 2
    assert "'nothing' names nothing in agents; valid keys there" in capsys.readouterr().err
    code = main(["train", "--resume", str(tmp_path), "--set", "duration=1"])
    assert code == 2
    assert "drop --set" in capsys.readouterr().err


def test_train_set_changes_the_config_the_run_keeps(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "name: tiny\n"
        "env: {id: neurocontrol/PlanarReach-v0}\n"
        "agents:\n"
        "  spiking (PES): {type: adaptive_spiking, n_neurons: 50, learning_rate: 1.0e-3}\n"
        "duration: 1.0\n"
        "seeds: [0]\n"
    )
    args = ["train", "--config", str(config), "--out", str(tmp_path / "runs"), "--quiet"]
    sets = ["--set", 'agents."spiking (PES)".learning_rate=3e-3', "--set", "duration=0.5"]
    assert main([*args, *sets]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    kept = yaml.safe_load((run / "config.yaml").read_text())
    assert kept["agents"]["spiking (PES)"]["learning_rate"] == 3e-3
    assert kept["duration"] == 0.5 and kept["agents"]["spiking (PES)"]["n_neurons"] == 50
