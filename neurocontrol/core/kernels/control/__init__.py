"""Kernels of the controllers and the robot models, called from Python once per control step.

:mod:`~neurocontrol.core.kernels.control.laws`: the base controllers' laws
(operational-space and joint PD torque, Cholesky solves, observation
unpacking, action clipping); :mod:`~neurocontrol.core.kernels.control.rigid_body`:
the nominal rigid-body dynamics of the arms. Each function is cached on
disk with its own wrapper.
"""
