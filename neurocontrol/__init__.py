"""neurocontrol: closed-loop neuromorphic robot control.

Importing the package registers the Gymnasium environments
(``gymnasium.make("neurocontrol/PlanarReach-v0")``) without importing
PyBullet, nor Gymnasium until something else imports it (see
:mod:`neurocontrol.utils.registration`); the spiking core
(:mod:`neurocontrol.core`) imports no environment and no agent.

The layers, bottom up: ``core`` (the spiking network: model, builder,
kernels, simulator, encoding and decoding), ``loop`` (env and agent at the
control rate), ``experiment`` (protocols, probes, runs on disk, results),
``viz`` (plots, videos, live logs), ``interchange`` (NIR), ``sweep`` (Ray),
``bench`` (benchmarks), ``cli``; ``utils`` and ``errors`` serve them all.
The envs (``neurocontrol.envs``) and agents (``neurocontrol.agents``) ship
from the repository's ``envs/`` and ``agents/``. Module paths of the
previous release still import (:mod:`neurocontrol._renamed`).
"""

from __future__ import annotations

from neurocontrol import _renamed, errors
from neurocontrol.utils.registration import (
    ENV_IDS,
    register_envs,
    register_envs_when_gymnasium_loads,
)

__version__ = "0.1.0"
__all__ = ["ENV_IDS", "__version__", "errors", "register_envs"]

register_envs_when_gymnasium_loads()
_renamed.install()
