"""numba kernels over struct-of-arrays state (see :mod:`neurocontrol.core.kernels.step.state`).

Small pure functions; no validation and no allocation inside. Compilation
flags live in :mod:`neurocontrol.core.kernels.step.flags`. Submodules are imported
where they are used (importing this package compiles nothing); importing
it loads numba's NumPy support without SciPy's BLAS probe
(:func:`~neurocontrol.core.kernels.step.flags.load_numba_numpy_support`), before
any kernel is compiled or loaded from the cache.
"""

from __future__ import annotations

from neurocontrol.core.kernels.step.flags import load_numba_numpy_support

__all__: list[str] = []

load_numba_numpy_support()
