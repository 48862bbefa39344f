"""``bench rules`` runs end to end and interleaves its variants without changing their activity."""

from __future__ import annotations

import json

import pytest

from neurocontrol.bench.rules import _Loop
from neurocontrol.cli.commands import main


def test_bench_rules_reports_every_variant_against_the_static_one(capsys) -> None:
    assert main(["bench", "rules", "--steps", "200", "--repeats", "2", "--json"]) == 0
    variants = json.loads(capsys.readouterr().out)["variants"]
    assert set(variants) == {"a_static", "b_pair_stdp", "c_reward_stdp", "d_pes_readout"}
    assert variants["a_static"]["ratio_to_static"] == 1.0
    for figures in variants.values():
        assert len(figures["us_per_step_runs"]) == 2
        assert figures["ratio_to_static"] == pytest.approx(
            figures["us_per_step"] / variants["a_static"]["us_per_step"]
        )
        assert 20.0 < figures["hidden_rate_hz"] < 200.0
    assert variants["c_reward_stdp"]["bytes_per_plastic_synapse"] == 12.0


def test_warmup_steps_run_the_same_network_untimed() -> None:
    timed, split = _Loop("b_pair_stdp"), _Loop("b_pair_stdp")
    timed.run(60)
    split.run(30, warmup=30)
    assert split.sim.n_steps == timed.sim.n_steps
    for key in ("input_to_hidden.weights", "hidden.v"):
        assert (split.sim.state[key] == timed.sim.state[key]).all()
