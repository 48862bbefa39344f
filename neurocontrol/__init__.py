"""neurocontrol: closed-loop neuromorphic robot control.

Importing the package registers the Gymnasium environments
(``gymnasium.make("neurocontrol/PlanarReach-v0")``) without importing
PyBullet, nor Gymnasium until something else imports it (see
:mod:`neurocontrol.registration`); the spiking core
(:mod:`neurocontrol.model`, ``build``, ``kernels``, ``simulator``) imports
no environment and no agent.
"""

from __future__ import annotations

from neurocontrol import errors
from neurocontrol.registration import ENV_IDS, register_envs, register_envs_when_gymnasium_loads

__version__ = "0.1.0"
__all__ = ["ENV_IDS", "__version__", "errors", "register_envs"]

register_envs_when_gymnasium_loads()
