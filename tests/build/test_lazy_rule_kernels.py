"""Building a network imports the kernels of the learning rules it uses, not every rule's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_SCRIPT = """
import json, sys
import numpy as np
from neurocontrol.model import LIF, AllToAll, Input, Network, PairSTDP, Population, Projection
from neurocontrol.simulator import Simulator
source, hidden = Input(3, name="input"), Population(4, LIF(), name="hidden")
rule = PairSTDP() if sys.argv[1] == "stdp" else None
if sys.argv[1] == "reward":
    from neurocontrol.model import RewardSTDP
    rule = RewardSTDP()
sim = Simulator(Network([source, hidden], [Projection(source, hidden, AllToAll(), 0.5, rule=rule)]))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("neurocontrol.kernels."))))
"""
_OTHER_RULES = {
    "neurocontrol.kernels.homeostasis",
    "neurocontrol.kernels.pes",
    "neurocontrol.kernels.reward_stdp",
    "neurocontrol.kernels.triplet_stdp",
}


def _kernel_modules(variant: str, tmp_path) -> set[str]:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, variant],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NEUROCONTROL_CACHE_DIR": str(tmp_path)},
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_only_the_used_rule_kernels_are_imported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stdp = _kernel_modules("stdp", tmp_path)
    assert "neurocontrol.kernels.pair_stdp" in stdp
    assert not stdp & _OTHER_RULES
    reward = _kernel_modules("reward", tmp_path)
    assert reward & _OTHER_RULES == {"neurocontrol.kernels.reward_stdp"}
