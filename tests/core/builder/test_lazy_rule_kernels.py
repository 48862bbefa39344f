"""Building a network imports the kernels of the learning rules it uses, not every rule's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_SCRIPT = """
import json, sys
import numpy as np
from neurocontrol.core.model import LIF, AllToAll, Input, Network, PairSTDP, Population, Projection
from neurocontrol.core.simulator import Simulator
source, hidden = Input(3, name="input"), Population(4, LIF(), name="hidden")
rule = PairSTDP() if sys.argv[1] == "stdp" else None
if sys.argv[1] == "reward":
    from neurocontrol.core.model import RewardSTDP
    rule = RewardSTDP()
sim = Simulator(Network([source, hidden], [Projection(source, hidden, AllToAll(), 0.5, rule=rule)]))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("neurocontrol.core.kernels."))))
"""
_OTHER_RULES = {
    "neurocontrol.core.kernels.step.homeostasis",
    "neurocontrol.core.kernels.step.pes",
    "neurocontrol.core.kernels.step.reward_stdp",
    "neurocontrol.core.kernels.step.triplet_stdp",
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
    assert "neurocontrol.core.kernels.step.pair_stdp" in stdp
    assert not stdp & _OTHER_RULES
    reward = _kernel_modules("reward", tmp_path)
    assert reward & _OTHER_RULES == {"neurocontrol.core.kernels.step.reward_stdp"}
