"""Distal reward (Izhikevich 2007), reduced: the chosen synapse separates from the rest.

The protocol of ``launch/distal_reward.py`` (the paper's: noise input,
reward 1-3 s after each pre -> post pairing of one chosen synapse,
dopamine-modulated STDP with a 1 s eligibility trace) on 200 neurons with
the paper's in-degree, a 25 min session instead of an hour, the pairing
window of the paper's code (20 ms) and 1.5x its learning rate; the chosen
synapse starts at the initial weight of the others (1 mV). Measured (seeds
1-4): chosen 100 / 99 / 100 / 77 % of w_max, median 9-12 %, rank 78 / 241 /
122 / 808 of about 16 000 plastic synapses (the few others at w_max are
strong synapses that sustain themselves: their own causal pairings keep
their eligibility positive under the tonic dopamine). The test asks for a
separation every seed must show; the full protocol's >= 90 % is in the
README.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "launch" / "distal_reward.py"


def _protocol():
    spec = importlib.util.spec_from_file_location("distal_reward", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_chosen_synapse_separates_from_the_rest(seed):
    protocol = _protocol()
    result = protocol.run_protocol(
        1500.0,
        learning_rate=15.0,
        seed=seed,
        n_neurons=200,
        interval_ms=20,
        chosen_initial=1.0,
    )
    print(
        f"seed {seed}: chosen {result['chosen_fraction_of_w_max']:.3f} of w_max, median "
        f"{result['median_fraction_of_w_max']:.3f}, rank {result['rank_of_chosen']} of "
        f"{result['n_plastic']}, {result['rewards']} rewards, {result['wall_s']:.0f} s"
    )
    chosen, median = result["chosen_fraction_of_w_max"], result["median_fraction_of_w_max"]
    assert result["rewards"] >= 30  # the reward is contingent on the chosen pairing
    assert chosen >= 0.5 and chosen >= 4.0 * median
    assert median <= 0.25
    # above at least 90 % of the ~16,000 plastic synapses
    assert result["rank_of_chosen"] < 0.1 * result["n_plastic"]
