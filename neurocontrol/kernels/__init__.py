"""numba kernels over struct-of-arrays state (see :mod:`neurocontrol.kernels.state`).

Small pure functions; no validation and no allocation inside. Compilation
flags live in :mod:`neurocontrol.kernels.flags`. Submodules are imported
where they are used (importing this package compiles nothing).
"""

from __future__ import annotations

__all__: list[str] = []
