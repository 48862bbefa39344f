"""neurocontrol: closed-loop neuromorphic robot control.

Importing the package registers the Gymnasium environments
(``gymnasium.make("neurocontrol/PlanarReach-v0")``) without importing
PyBullet; the spiking core (:mod:`neurocontrol.model`, ``build``,
``kernels``, ``simulator``) imports no environment and no agent.
"""

from __future__ import annotations

from neurocontrol import errors
from neurocontrol.registration import ENV_IDS, register_envs

__version__ = "0.1.0"
__all__ = ["ENV_IDS", "__version__", "errors", "register_envs"]

register_envs()
