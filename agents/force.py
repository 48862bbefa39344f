r"""Force regulation from tactile events (ArmPress): hold a normal force on a surface.

The env's ``tactile`` observation carries each fingertip pad's summed normal
force. :class:`TactileForceRegulator` sees it only through events: each pad
drives ``afferents_per_pad`` afferents of a
:class:`~neurocontrol.core.encoding.TactileEncoder` (onset/offset with
hysteresis, and Bernoulli spikes at a rate proportional to the force, the
slowly-adapting channel of event-based skins; Bartolozzi et al. 2016). The
contact state follows the onset/offset events; the force is estimated from
the sustained spikes filtered with :math:`\tau_F`,

.. math::

    \hat F = \sum_{pads} \frac{F_{max}}{N_{aff}\,\lambda_{max}}\, r_{pad}, \qquad
    \tau_F \dot r_{pad} = -r_{pad} + \sum_{aff} s_{aff}(t)

and, while any pad is in contact, a PI law with feedforward pushes the hand
into the surface along :math:`-\hat n` (the surface normal, +z), or lifts it
(:math:`f < 0`) where a load on the hand (a payload) alone presses harder
than :math:`F^*`:

.. math::

    e = F^* - \hat F, \quad I \leftarrow \mathrm{clip}(I + e\,dt, \pm I_{max}), \quad
    f = F^* + k_p e + k_i I, \quad \tau_F = J(q)^\top (-f\,\hat n).

The position controller keeps the hand on its press point in the tangent
directions. In contact the adaptive term pauses learning (the surface, not a
model error, holds the hand off its reference) and acts only through the hand
(see :meth:`~neurocontrol.agents.adaptive.AdaptiveController._task_part`).
Out of contact the integral is cleared and :math:`\tau_F = 0`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocontrol.core.encoding import TactileEncoder
from neurocontrol.core.statedict import Stateful
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import require_int, require_nonnegative, require_positive

__all__ = ["TactileForceRegulator"]

#: Where each pad's summed normal force sits in ArmPress's ``tactile`` block (5 values per pad).
PAD_FORCE_INDEX = (0, 5)


class TactileForceRegulator(Stateful):
    """PI regulation of the pads' normal force from tactile events (see the module docstring).

    Parameters
    ----------
    target_force : float
        :math:`F^*` (N), summed over the pads.
    kp, ki : float
        Proportional gain (N/N) and integral gain (1/s).
    integral_limit : float
        :math:`I_{max}` (N·s).
    afferents_per_pad, max_rate, force_max : int, float, float
        Afferents per pad, their rate at ``force_max`` (Hz) and that force (N, per pad).
    on_threshold, off_threshold : float
        Contact hysteresis (N per pad).
    tau : float
        :math:`\\tau_F` (s) of the force estimate.
    dt : float
        Control period (s).
    seed : int
        Seed of the afferents' spikes.
    """

    def __init__(
        self,
        target_force: float = 10.0,
        *,
        kp: float = 0.2,
        ki: float = 20.0,
        integral_limit: float = 1.0,
        afferents_per_pad: int = 32,
        max_rate: float = 500.0,
        force_max: float = 20.0,
        on_threshold: float = 0.5,
        off_threshold: float = 0.2,
        tau: float = 0.02,
        dt: float = 1e-3,
        seed: int = 0,
    ) -> None:
        self.target_force = require_positive("force.target_force", target_force)
        self.kp = require_nonnegative("force.kp", kp)
        self.ki = require_nonnegative("force.ki", ki)
        self.integral_limit = require_nonnegative("force.integral_limit", integral_limit)
        self.afferents_per_pad = require_int("force.afferents_per_pad", afferents_per_pad, 1)
        self.tau = require_positive("force.tau", tau)
        self.dt = require_positive("force.dt", dt)
        n_pads = len(PAD_FORCE_INDEX)
        k = self.afferents_per_pad
        self.encoder = TactileEncoder(
            n_pads * k, on_threshold, off_threshold, force_max,
            max_rate=max_rate, dt=dt, seed=seed,
        )  # fmt: skip
        self._pad_forces = np.zeros(n_pads * k)  # each pad's force, once per afferent
        self._n_state_events = 2 * n_pads * k  # onset and offset events lead the event vector
        self._decay = float(np.exp(-dt / tau))
        # one spike adds (1 - decay) / dt to a rate in Hz; the estimate sums all afferents
        self._spike_to_newton = (1.0 - self._decay) / dt * force_max / (k * max_rate)
        self.estimate = np.zeros(1)  # F-hat, N
        self.integral = np.zeros(1)  # I, N s
        self.torque = np.zeros(0)
        self.n_events = 0
        self.in_contact = False

    def bind(self, n_joints: int, dim: int) -> None:
        """Allocate the outputs for an arm of ``n_joints`` joints in ``dim`` dimensions."""
        if dim != 3:
            raise ConfigError(f"force regulation needs a 3-D arm (pressing along z), got {dim}-D")
        self.torque = np.zeros(n_joints)

    def reset(self) -> None:
        """Out of contact, no estimate, no integral."""
        self.encoder.reset()
        self.estimate[:] = 0.0
        self.integral[:] = 0.0
        self.torque[:] = 0.0
        self.in_contact = False

    def update(self, tactile: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
        """Torque (N·m) of this step from the ``tactile`` observation; zero out of contact.

        ``jacobian`` is the hand's translational Jacobian (3, n) at the current
        posture (the base controller's, so no second model evaluation).
        """
        # Scalars in Python floats, written back once: NumPy ops on 1-element arrays cost
        # ~1 us each, and this runs every control step next to a ~150 us env + agent step.
        k = self.afferents_per_pad
        forces = self._pad_forces
        for pad, index in enumerate(PAD_FORCE_INDEX):
            forces[pad * k : (pad + 1) * k] = tactile[index]
        encoder = self.encoder
        events = encoder.encode(forces)
        spikes = int(np.count_nonzero(encoder.sustained))
        self.n_events = spikes + int(np.count_nonzero(events[: self._n_state_events]))
        estimate = float(self.estimate[0]) * self._decay + spikes * self._spike_to_newton
        self.estimate[0] = estimate
        self.in_contact = in_contact = bool(encoder.in_contact.any())
        if not in_contact:
            self.integral[0] = 0.0
            self.torque[:] = 0.0
            return self.torque
        error = self.target_force - estimate
        limit = self.integral_limit
        integral = min(max(float(self.integral[0]) + error * self.dt, -limit), limit)
        self.integral[0] = integral
        push = self.target_force + self.kp * error + self.ki * integral
        # f < 0 lifts: the arm carries part of a load resting on the pads (a payload)
        np.multiply(jacobian[2], -push, out=self.torque)  # J^T (0, 0, -f)
        return self.torque

    def config(self) -> dict[str, Any]:
        """Constructor parameters as plain data."""
        encoder = self.encoder
        return {
            "target_force": self.target_force,
            "kp": self.kp,
            "ki": self.ki,
            "integral_limit": self.integral_limit,
            "afferents_per_pad": self.afferents_per_pad,
            "max_rate": encoder.max_rate,
            "force_max": float(encoder.force_max[0]),
            "on_threshold": float(encoder.on_threshold[0]),
            "off_threshold": float(encoder.off_threshold[0]),
            "tau": self.tau,
            "dt": self.dt,
            "seed": encoder.seed,
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        """State arrays: the force estimate and the integral."""
        return {"estimate": self.estimate, "integral": self.integral}

    def state_parts(self) -> dict[str, Stateful]:
        """The afferents' encoder: contact states and generator."""
        return {"encoder": self.encoder}
