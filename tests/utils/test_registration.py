"""Env registration: importing neurocontrol registers the envs without importing Gymnasium."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_CHECK = """
import json, sys
{first}
{second}
import gymnasium
from neurocontrol import ENV_IDS
hooks = [type(f).__name__ for f in sys.meta_path if "Gymnasium" in type(f).__name__]
print(json.dumps([gymnasium_before, all(i in gymnasium.registry for i in ENV_IDS), hooks,
                  gymnasium.make("neurocontrol/PlanarReach-v0").spec.max_episode_steps]))
"""


@pytest.mark.parametrize("gymnasium_first", [False, True])
def test_envs_registered_in_either_import_order(gymnasium_first: bool) -> None:
    importing = "import neurocontrol; gymnasium_before = 'gymnasium' in sys.modules"
    first, second = ("import gymnasium", importing) if gymnasium_first else (importing, "")
    script = _CHECK.format(first=first, second=second)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    gymnasium_before, registered, hooks, max_steps = json.loads(out.strip().splitlines()[-1])
    assert gymnasium_before is gymnasium_first  # neurocontrol alone does not import it
    assert registered
    assert hooks == []  # the one-shot hook removed itself
    assert max_steps == 12_000
