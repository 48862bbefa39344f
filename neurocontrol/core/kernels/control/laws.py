"""Small linear algebra of the dense base controllers, compiled.

A 7-joint arm's operational-space law is a few 7x7 and 3x3 products and
solves; through NumPy each is a separate call costing microseconds of
overhead, far more than its arithmetic. These kernels do the whole law in
one call, write into preallocated arrays and allocate nothing. Mass
matrices are symmetric positive definite, so Cholesky factorisations
replace the inverses. Compared against the NumPy formulas in
``tests/agents/test_agents_base_controllers_kernels.py``.
"""

from __future__ import annotations

import math
from typing import Any

from numba import njit

__all__ = [
    "add_and_clip_action",
    "cholesky",
    "cholesky_solve",
    "clip_action",
    "joint_pd_torque",
    "negate_into",
    "operational_space_torque",
    "planar_arm_dynamics",
    "reference_feedforward",
    "task_space_factors",
    "task_space_part",
    "task_space_project",
    "unpack_arm_observation",
    "within_bounds",
]

_JIT: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}


@njit(**_JIT)
def cholesky(a, low):  # pragma: no cover - compiled
    """Lower Cholesky factor of SPD ``a`` into ``low``; False if not positive definite."""
    m = a.shape[0]
    for i in range(m):
        for j in range(i + 1):
            s = a[i, j]
            for k in range(j):
                s -= low[i, k] * low[j, k]
            if i == j:
                if not s > 0.0:
                    return False
                low[i, i] = math.sqrt(s)
            else:
                low[i, j] = s / low[j, j]
        for j in range(i + 1, m):
            low[i, j] = 0.0
    return True


@njit(**_JIT)
def cholesky_solve(low, b):  # pragma: no cover - compiled
    """Solve ``(L L^T) x = b`` in place for every column of ``b`` (shape (m,) or (m, k))."""
    m = low.shape[0]
    cols = 1 if b.ndim == 1 else b.shape[1]
    flat = b.reshape((m, cols))
    for c in range(cols):
        for i in range(m):
            s = flat[i, c]
            for j in range(i):
                s -= low[i, j] * flat[j, c]
            flat[i, c] = s / low[i, i]
        for i in range(m - 1, -1, -1):
            s = flat[i, c]
            for j in range(i + 1, m):
                s -= low[j, i] * flat[j, c]
            flat[i, c] = s / low[i, i]


@njit(**_JIT)
def task_space_factors(mass, jac, damping, low_m, mj, task, low_t):  # pragma: no cover
    r"""Cholesky factors of M and of :math:`\Lambda^{-1} = J M^{-1} J^T + \lambda I`.

    Writes ``low_m`` (n, n), ``mj`` = :math:`M^{-1} J^T` (n, d), ``task`` =
    :math:`\Lambda^{-1}` and its factor ``low_t`` (d, d). Returns False if
    either matrix is not positive definite.
    """
    n = mass.shape[0]
    d = jac.shape[0]
    if not cholesky(mass, low_m):
        return False
    for i in range(n):  # mj = M^-1 J^T
        for k in range(d):
            mj[i, k] = jac[k, i]
    cholesky_solve(low_m, mj)
    for r in range(d):  # task = J M^-1 J^T + damping I
        for c in range(d):
            s = 0.0
            for i in range(n):
                s += jac[r, i] * mj[i, c]
            task[r, c] = s
        task[r, r] += damping
    return cholesky(task, low_t)


@njit(**_JIT)
def within_bounds(values, low, high):  # pragma: no cover - compiled
    """True if every entry of ``values`` is finite and in ``[low, high]`` (entrywise)."""
    for i in range(values.shape[0]):
        v = values[i]
        if not (low[i] <= v <= high[i] and math.isfinite(v)):  # NaN fails the comparison
            return False
    return True


@njit(**_JIT)
def unpack_arm_observation(proprio, ee, goal, bounds, state):  # pragma: no cover - compiled
    """Copy ``q, dq`` (proprio), ``x, dx`` (ee), ``x_ref, dx_ref`` (goal) into ``state`` (float64).

    ``proprio`` holds ``3n`` values (q, dq, tau), ``ee`` ``2d`` and ``goal``
    ``3d``; ``state`` is ``[q (n), dq (n), x (d), dx (d), x_ref (d), dx_ref (d)]``.
    ``bounds`` (2, 3n + 5d) holds the accepted low and high of every entry of
    the three blocks laid end to end. Returns False, having written nothing,
    if any entry is not finite or out of its bounds: a refused observation
    leaves ``state`` as it was.
    """
    m = proprio.shape[0]
    e = ee.shape[0]
    for i in range(m):
        v = proprio[i]
        if not (bounds[0, i] <= v <= bounds[1, i] and math.isfinite(v)):  # NaN fails too
            return False
    for i in range(e):
        v = ee[i]
        if not (bounds[0, m + i] <= v <= bounds[1, m + i] and math.isfinite(v)):
            return False
    for i in range(goal.shape[0]):
        v = goal[i]
        if not (bounds[0, m + e + i] <= v <= bounds[1, m + e + i] and math.isfinite(v)):
            return False
    n = m // 3
    d = e // 2
    for i in range(2 * n):
        state[i] = proprio[i]
    base = 2 * n
    for i in range(2 * d):
        state[base + i] = ee[i]
        state[base + 2 * d + i] = goal[i]
    return True


@njit(**_JIT)
def operational_space_torque(
    mass,
    jac,
    gravity,
    state,
    q_home,
    gains,
    low_m,
    mj,
    task,
    low_t,
    force,
    posture,
    previous,
    started,
    feedback,
    tau,
):  # pragma: no cover - compiled
    r"""Khatib's operational-space torque with a null-space posture task, into ``tau``.

    ``feedback`` receives the torque without the gravity term (what the
    controller adds in response to tracking errors).

    ``state`` as :func:`unpack_arm_observation`; ``gains = [kp, kd, kp_null,
    kd_null, damping, gravity_on, feedforward_on, dt]``. Workspace: ``low_m``
    (n, n), ``mj`` (n, d), ``task`` and ``low_t`` (d, d), ``force`` (d,),
    ``posture`` (2, n). With ``feedforward_on`` the reference-acceleration
    torque of :func:`reference_feedforward` (state ``previous``, ``started``)
    is added to ``tau`` in the same call, which saves the controller a
    second call into compiled code per step.

    .. math::

        \tau = J^T \Lambda a + N^T M (k_{p,0}(q_0 - q) - k_{d,0}\dot q) + g, \quad
        \Lambda = (J M^{-1} J^T + \lambda I)^{-1}, \quad N^T = I - J^T \Lambda J M^{-1}

    Returns False if :math:`M` or :math:`\Lambda^{-1}` is not positive definite.
    """
    n = mass.shape[0]
    d = jac.shape[0]
    kp, kd, kp_null, kd_null, damping = gains[0], gains[1], gains[2], gains[3], gains[4]
    if not task_space_factors(mass, jac, damping, low_m, mj, task, low_t):
        return False
    q = state[0:n]
    dq = state[n : 2 * n]
    x = state[2 * n : 2 * n + d]
    dx = state[2 * n + d : 2 * n + 2 * d]
    x_ref = state[2 * n + 2 * d : 2 * n + 3 * d]
    dx_ref = state[2 * n + 3 * d : 2 * n + 4 * d]
    for k in range(d):
        force[k] = kp * (x_ref[k] - x[k]) + kd * (dx_ref[k] - dx[k])
    cholesky_solve(low_t, force)  # Lambda a
    for i in range(n):
        s = 0.0
        for k in range(d):
            s += jac[k, i] * force[k]
        feedback[i] = s
    if n > d:
        accel = posture[0]
        torque = posture[1]
        for i in range(n):  # desired posture acceleration, then p = M accel
            accel[i] = kp_null * (q_home[i] - q[i]) - kd_null * dq[i]
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += mass[i, j] * accel[j]
            torque[i] = s
        for k in range(d):  # J M^-1 p = mj^T p
            s = 0.0
            for i in range(n):
                s += mj[i, k] * torque[i]
            force[k] = s
        cholesky_solve(low_t, force)
        for i in range(n):
            s = 0.0
            for k in range(d):
                s += jac[k, i] * force[k]
            feedback[i] += torque[i] - s
    for i in range(n):
        tau[i] = feedback[i] + gravity[i] if gains[5] != 0.0 else feedback[i]
    if gains[6] != 0.0:
        reference_feedforward(jac, low_t, state, gains[7], previous, started, force, tau)
    return True


@njit(**_JIT)
def reference_feedforward(jac, low_t, state, dt, previous, started, force, tau):  # pragma: no cover
    r"""Add the nominal model's reference-acceleration torque :math:`J^\top \Lambda \ddot x_{ref}`.

    :math:`\ddot x_{ref}` is the difference of the reference velocity (in
    ``state`` as :func:`unpack_arm_observation`) from ``previous``, the one
    of the last step, over ``dt``; zero on the first step of an episode
    (``started[0] == 0``). ``previous`` and ``started`` are updated; ``low_t``
    is the factor of :math:`\Lambda^{-1}` the torque's kernel left (call
    after a successful :func:`operational_space_torque`). ``force`` (d,) is
    workspace; the torque is added to ``tau``.
    """
    d = jac.shape[0]
    n = jac.shape[1]
    base = 2 * n + 3 * d
    first = started[0] == 0
    for k in range(d):
        velocity = state[base + k]
        force[k] = 0.0 if first else (velocity - previous[k]) / dt
        previous[k] = velocity
    started[0] = 1
    if first:
        return
    cholesky_solve(low_t, force)
    for i in range(n):
        s = 0.0
        for k in range(d):
            s += jac[k, i] * force[k]
        tau[i] += s


@njit(**_JIT)
def task_space_part(
    mass, jac, damping, tau, low_m, mj, task, low_t, force, out
):  # pragma: no cover - compiled
    r"""The part of ``tau`` that acts on the hand, into ``out``; False if not positive definite.

    .. math::

        \tau_x = J^T \Lambda J M^{-1} \tau, \qquad
        \Lambda = (J M^{-1} J^T + \lambda I)^{-1}

    (dynamically consistent, Khatib 1987): the rest, :math:`\tau - \tau_x =
    N^T \tau`, moves the arm in the null space of the hand task. Workspace as
    :func:`operational_space_torque`.
    """
    if not task_space_factors(mass, jac, damping, low_m, mj, task, low_t):
        return False
    task_space_project(jac, mj, low_t, tau, force, out)
    return True


@njit(**_JIT)
def task_space_project(jac, mj, low_t, tau, force, out):  # pragma: no cover - compiled
    """:func:`task_space_part` on factors already in ``mj`` and ``low_t`` (task_space_factors)."""
    n = jac.shape[1]
    d = jac.shape[0]
    for r in range(d):  # force = J M^-1 tau
        s = 0.0
        for i in range(n):
            s += mj[i, r] * tau[i]
        force[r] = s
    cholesky_solve(low_t, force)
    for i in range(n):
        s = 0.0
        for k in range(d):
            s += jac[k, i] * force[k]
        out[i] = s


@njit(**_JIT)
def joint_pd_torque(
    jac,
    hand,
    gravity,
    state,
    gains,
    kp,
    kd,
    dt,
    q_ref,
    dq_ref,
    task,
    low_t,
    velocity,
    feedback,
    tau,
):  # pragma: no cover - compiled
    r"""One step of closed-loop inverse kinematics, then joint PD, into ``tau``.

    ``feedback`` receives the PD torque without the gravity term.

    ``jac``/``hand`` are evaluated at ``q_ref``; ``gains = [k_ik, damping,
    gravity_on]``; ``kp``, ``kd`` per joint; ``q_ref``/``dq_ref`` are updated
    in place. Workspace: ``task``/``low_t`` (d, d), ``velocity`` (d,).

    .. math::

        \dot q_r = J^T (J J^T + \lambda I)^{-1} (\dot x_{ref} + k_{ik}(x_{ref} - f(q_r))),
        \quad q_r \mathrel{+}= \dot q_r\, dt, \quad
        \tau = K_p (q_r - q) + K_d (\dot q_r - \dot q) + g

    Returns False if :math:`J J^T + \lambda I` is not positive definite.
    """
    n = q_ref.shape[0]
    d = jac.shape[0]
    k_ik, damping = gains[0], gains[1]
    for r in range(d):
        for c in range(d):
            s = 0.0
            for i in range(n):
                s += jac[r, i] * jac[c, i]
            task[r, c] = s
        task[r, r] += damping
    if not cholesky(task, low_t):
        return False
    base = 2 * n + 2 * d
    for k in range(d):
        velocity[k] = state[base + d + k] + k_ik * (state[base + k] - hand[k])
    cholesky_solve(low_t, velocity)
    for i in range(n):
        s = 0.0
        for k in range(d):
            s += jac[k, i] * velocity[k]
        dq_ref[i] = s
        q_ref[i] += s * dt
    for i in range(n):
        pd = kp[i] * (q_ref[i] - state[i]) + kd[i] * (dq_ref[i] - state[n + i])
        feedback[i] = pd
        tau[i] = pd + gravity[i] if gains[2] != 0.0 else pd
    return True


@njit(**_JIT)
def clip_action(tau, inv_limit, action):  # pragma: no cover - compiled
    """``action = clip(tau * inv_limit, -1, 1)`` (float32 ``action``, any float ``tau``)."""
    for i in range(tau.shape[0]):
        a = tau[i] * inv_limit[i]
        action[i] = 1.0 if a > 1.0 else (-1.0 if a < -1.0 else a)


@njit(**_JIT)
def negate_into(values, out, copy):  # pragma: no cover - compiled
    """``out = copy = -values``: one call where ``np.negative`` and a copy would be two."""
    for i in range(values.shape[0]):
        negated = -values[i]
        out[i] = negated
        copy[i] = negated


@njit(**_JIT)
def add_and_clip_action(tau_a, tau_b, inv_limit, total, action):  # pragma: no cover - compiled
    """``total = tau_a + tau_b``; ``action = clip(total * inv_limit, -1, 1)`` (float32)."""
    for i in range(total.shape[0]):
        t = tau_a[i] + tau_b[i]
        total[i] = t
        a = t * inv_limit[i]
        action[i] = 1.0 if a > 1.0 else (-1.0 if a < -1.0 else a)


@njit(**_JIT)
def planar_arm_dynamics(q, constants, mass, jacobian, gravity):  # pragma: no cover - compiled
    r"""Mass matrix, hand Jacobian and (zero) gravity of the 2-link planar arm at ``q``.

    ``constants = [a1, a2, a3, l1, l2]`` of
    :class:`~neurocontrol.envs.robots.planar_arm.PlanarArmModel`:
    :math:`M = [[a_1 + 2 a_2 c_2, a_3 + a_2 c_2], [a_3 + a_2 c_2, a_3]]`; the
    Jacobian of the hand point; gravity loads no joint in the horizontal plane.
    """
    a1, a2, a3, l1, l2 = constants[0], constants[1], constants[2], constants[3], constants[4]
    q1, q2 = q[0], q[1]
    c2 = math.cos(q2)
    m12 = a3 + a2 * c2
    mass[0, 0] = a1 + 2.0 * a2 * c2
    mass[0, 1] = m12
    mass[1, 0] = m12
    mass[1, 1] = a3
    s12, c12 = math.sin(q1 + q2), math.cos(q1 + q2)
    jacobian[0, 0] = -l1 * math.sin(q1) - l2 * s12
    jacobian[0, 1] = -l2 * s12
    jacobian[1, 0] = l1 * math.cos(q1) + l2 * c12
    jacobian[1, 1] = l2 * c12
    gravity[0] = 0.0
    gravity[1] = 0.0
