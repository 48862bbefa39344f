"""Kernels compiled into the generated network step (:mod:`neurocontrol.core.builder.codegen`).

They are never called from Python: numba builds no wrapper for them, and
the step's on-disk cache key hashes the source of every module here
(:mod:`~neurocontrol.core.kernels.step.flags` holds their compile flags,
:mod:`~neurocontrol.core.kernels.step.state` the layout of the arrays they
share, :mod:`~neurocontrol.core.kernels.step.order` the order of one step).
"""
