"""The headless demo: a PD controller reaching centre-out while a curl field switches on.

``neurocontrol demo`` runs one episode of ``neurocontrol/PlanarReach-v0``
under a joint-space PD controller with gravity compensation, built only
from the env's nominal ``robot_model`` (closed-form inverse kinematics turn
the hand reference into a joint reference). Mid-episode a velocity-dependent
curl field switches on; the fixed-gain controller cannot adapt, so the
tracking error against the minimum-jerk reference grows. That error is what
an adaptive (e.g. spiking PES) controller would bring back down.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from neurocontrol.utils.validation import require_finite, require_nonnegative, require_positive

__all__ = ["format_summary", "joint_pd_torque", "run_demo"]

#: PD gains of the demo controller (N·m/rad, N·m·s/rad), shoulder and elbow
STIFFNESS = np.array([60.0, 40.0])
DAMPING = np.array([6.0, 4.0])


def joint_pd_torque(model: Any, observation: dict[str, np.ndarray]) -> np.ndarray:
    """Joint-space PD + gravity compensation toward the hand reference in ``goal``.

    .. math::

        \\tau = K_p (q_r - q) + K_d (\\dot q_r - \\dot q) + g(q),\\quad
        q_r = \\mathrm{IK}(x_r),\\ \\dot q_r = J(q_r)^{-1} \\dot x_r
    """
    n, d = model.n_joints, model.dim
    q = observation["proprio"][:n].astype(np.float64)
    dq = observation["proprio"][n : 2 * n].astype(np.float64)
    reference = observation["goal"][:d].astype(np.float64)
    reference_velocity = observation["goal"][d : 2 * d].astype(np.float64)
    q_ref = model.inverse_kinematics(reference)
    dq_ref = np.linalg.solve(model.jacobian(q_ref), reference_velocity)
    return STIFFNESS * (q_ref - q) + DAMPING * (dq_ref - dq) + model.gravity(q)


def run_demo(
    duration: float = 12.0, onset: float = 6.0, curl_strength: float = 15.0, seed: int = 0
) -> dict[str, Any]:
    """Run the demo episode; return its figures as plain data.

    Parameters
    ----------
    duration : float
        Simulated seconds (one 8-target centre-out-and-back cycle is 12 s).
    onset : float
        When the curl field switches on (s).
    curl_strength : float
        Curl field strength (N·s/m).
    seed : int
        Seed of the episode (target order).

    Returns
    -------
    dict
        ``sim_seconds``, ``wall_seconds``, ``real_time_factor``,
        ``rms_tracking_error_before_mm`` / ``_after_mm`` (before/after onset),
        ``max_tracking_error_after_mm``, the settings.
    """
    import gymnasium

    import neurocontrol  # noqa: F401  (registers the ids)

    duration = require_positive("duration", duration)
    onset = require_nonnegative("onset", onset)
    curl_strength = require_finite("curl_strength", curl_strength)
    perturbation = {"kind": "curl_field", "strength": curl_strength, "onset": onset}
    env = gymnasium.make("neurocontrol/PlanarReach-v0", perturbation=perturbation)
    unwrapped: Any = env.unwrapped
    model = unwrapped.robot_model
    steps = max(1, round(duration / unwrapped.dt))  # at least one step, however short
    errors = np.empty(steps)
    times = np.empty(steps)
    try:
        observation, info = env.reset(seed=seed)
        start = time.perf_counter()
        for k in range(steps):
            action = joint_pd_torque(model, observation) / model.torque_limit
            observation, _, terminated, truncated, info = env.step(action.astype(np.float32))
            errors[k], times[k] = info["tracking_error"], info["sim_time"]
            if terminated or truncated:
                errors, times = errors[: k + 1], times[: k + 1]
                break
        wall = time.perf_counter() - start
    finally:
        env.close()
    before, after = errors[times <= onset], errors[times > onset]

    def rms_mm(values: np.ndarray) -> float | None:
        return round(float(np.sqrt(np.mean(values**2))) * 1e3, 3) if values.size else None

    sim_seconds = float(times[-1])
    return {
        "env_id": "neurocontrol/PlanarReach-v0",
        "controller": "joint-space PD + gravity compensation (nominal model)",
        "curl_strength": curl_strength,
        "onset": onset,
        "seed": seed,
        "sim_seconds": round(sim_seconds, 3),
        "wall_seconds": round(wall, 3),
        "real_time_factor": round(sim_seconds / wall, 1),
        "rms_tracking_error_before_mm": rms_mm(before),
        "rms_tracking_error_after_mm": rms_mm(after),
        "max_tracking_error_after_mm": round(float(after.max()) * 1e3, 3) if after.size else None,
    }


def format_summary(result: dict[str, Any]) -> str:
    """A short human-readable summary of :func:`run_demo`'s result."""

    def mm(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f} mm"

    return "\n".join(
        [
            f"{result['env_id']}: {result['controller']}",
            f"  simulated {result['sim_seconds']:.2f} s in {result['wall_seconds']:.2f} s wall "
            f"time: {result['real_time_factor']:.1f}x real time (controller included)",
            f"  curl field {result['curl_strength']:g} N·s/m from t = {result['onset']:g} s",
            f"  RMS tracking error before onset: {mm(result['rms_tracking_error_before_mm'])}",
            f"  RMS tracking error after onset:  {mm(result['rms_tracking_error_after_mm'])} "
            f"(max {mm(result['max_tracking_error_after_mm'])})",
        ]
    )
