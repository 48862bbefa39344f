r"""Decoders: spikes -> filtered rates -> motor command in [-1, 1].

:class:`FilteredSpikeDecoder` filters spikes with an exponential synapse and
multiplies by a decoder matrix; :class:`LinearDecoder` does the matrix part
alone (for rates, e.g. a dense twin). The decoder matrix is a plain
``float64`` array of shape ``(n_neurons, n_outputs)``, exposed as
:attr:`LinearDecoder.decoders` and never rebound, so a learning rule (PES)
may hold it and update it in place. Fixed decoders come from
:func:`solve_decoders` / :func:`nef_decoders` (regularised least squares over
LIF tuning curves, as in the NEF).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import numpy as np

from neurocontrol.core.encoding import Coder, NEFEncoder, _per_signal
from neurocontrol.core.kernels import coding as kernels
from neurocontrol.errors import (
    ConfigError,
    NeuroControlError,
    ObservationError,
    ShapeError,
    SimulationError,
)
from neurocontrol.utils.validation import require_finite_array, require_int, require_positive

__all__ = [
    "DecoderSolution",
    "FilteredSpikeDecoder",
    "LinearDecoder",
    "nef_decoders",
    "solve_decoders",
]


def solve_decoders(activities: Any, targets: Any, reg: float = 0.1) -> np.ndarray:
    r"""Regularised least-squares decoders (Nengo's ``LstsqL2``).

    For activities :math:`A` (``n_points x n_neurons``, Hz) and targets
    :math:`Y` (``n_points x n_outputs``),

    .. math:: D = (A^\top A + m \sigma^2 I)^{-1} A^\top Y, \qquad
              \sigma = \mathrm{reg} \cdot \max A

    with :math:`m` = ``n_points``: the noise is a fraction ``reg`` of the
    maximum rate (Eliasmith & Anderson 2003, sec. 2.2 and 7.3). Returns
    :math:`D`, shape ``(n_neurons, n_outputs)`` (or ``(n_neurons,)`` for 1-D targets).
    """
    a = require_finite_array("activities", activities)
    y = require_finite_array("targets", targets)
    if a.ndim != 2:
        raise ShapeError(f"activities must have shape (n_points, n_neurons), got {a.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != a.shape[0]:
        raise ShapeError(
            f"targets must have shape ({a.shape[0]},) or ({a.shape[0]}, n_outputs) to match "
            f"activities {a.shape}, got {y.shape}"
        )
    reg = float(reg) if isinstance(reg, (int, float)) and not isinstance(reg, bool) else reg
    if not isinstance(reg, float) or not math.isfinite(reg) or reg < 0:
        raise ConfigError(f"reg must be a finite number >= 0, got {reg!r}")
    m = a.shape[0]
    sigma = reg * a.max()
    gram = a.T @ a
    gram[np.diag_indices_from(gram)] += m * sigma**2
    rhs = a.T @ y
    try:
        return np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(gram, rhs, rcond=None)[0]


class DecoderSolution(NamedTuple):
    """Result of :func:`nef_decoders`."""

    decoders: np.ndarray
    """Shape ``(n_neurons, n_outputs)``."""
    eval_points: np.ndarray
    """The inputs the decoders were fitted on, ``(n_points, dimensions)``."""
    rmse: float
    """RMS error of the decoded function on ``eval_points`` (rate model)."""


def nef_decoders(
    encoder: NEFEncoder,
    function: Callable[[np.ndarray], Any],
    *,
    eval_points: Any = None,
    n_eval_points: int | None = None,
    reg: float = 0.1,
    seed: int = 0,
) -> DecoderSolution:
    """Decoders of ``function`` for the population of an :class:`NEFEncoder`.

    ``function`` maps ``(n_points, dimensions)`` inputs (physical units) to
    ``(n_points,)`` or ``(n_points, n_outputs)`` targets. Evaluation points
    default to ``n_eval_points`` (default ``max(1000, 2 n_neurons)``) drawn
    uniformly from the box ``center +- radius`` with ``seed``. See
    :func:`solve_decoders`.
    """
    if not isinstance(encoder, NEFEncoder):
        raise ConfigError(f"encoder must be an NEFEncoder, got {type(encoder).__name__}")
    if eval_points is None:
        n = max(1000, 2 * encoder.n_outputs) if n_eval_points is None else n_eval_points
        n = require_int("n_eval_points", n, minimum=1)
        rng = np.random.default_rng(require_int("seed", seed, minimum=0))
        unit = rng.uniform(-1.0, 1.0, size=(n, encoder.n_inputs))
        points = encoder.center + unit * encoder.radius
    else:
        points = require_finite_array("eval_points", eval_points)
    activities = encoder.tuning_curves(points)
    targets = np.asarray(function(points), dtype=np.float64)
    if targets.ndim == 1:
        targets = targets[:, None]
    decoders = solve_decoders(activities, targets, reg)
    rmse = float(np.sqrt(np.mean((activities @ decoders - targets) ** 2)))
    return DecoderSolution(np.ascontiguousarray(decoders), points, rmse)


class LinearDecoder(Coder):
    r"""Activities times a decoder matrix, scaled and clipped to a command.

    .. math:: u = D^\top a, \qquad c = \mathrm{clip}(s \odot u, -1, 1)

    with activities :math:`a` (``n_neurons``, e.g. rates in Hz), decoders
    :math:`D` (``n_neurons x n_outputs``) and ``output_scale`` :math:`s`
    (per output, e.g. ``1 / torque_limit``). :attr:`value` holds :math:`u`
    (unclipped, physical units), :meth:`decode` returns :math:`c`.

    Parameters
    ----------
    n_neurons, n_outputs : int
    decoders : array, shape (n_neurons, n_outputs), optional
        Initial decoders (copied); zeros by default (PES starts from zero).
    output_scale : float or array, shape (n_outputs,)
    """

    _state_names: ClassVar[tuple[str, ...]] = ("decoders",)

    def __init__(
        self,
        n_neurons: int,
        n_outputs: int,
        *,
        decoders: Any = None,
        output_scale: Any = 1.0,
    ) -> None:
        self.n_neurons = require_int("n_neurons", n_neurons, minimum=1)
        self.n_outputs = require_int("n_outputs", n_outputs, minimum=1)
        self.output_scale = _per_signal(
            "output_scale", output_scale, self.n_outputs, require_positive
        )
        self._decoders = np.zeros((self.n_neurons, self.n_outputs), order="F")
        if decoders is not None:
            self.decoders = decoders
        self._value = np.zeros(self.n_outputs)
        self._command = np.zeros(self.n_outputs)

    @property
    def decoders(self) -> np.ndarray:
        """The decoder matrix itself (``float64``, Fortran-ordered): update it in place.

        Column-major so each output's decoders are contiguous for the decode
        kernel; ``D += ...``, ``D[...] = ...`` and numba kernels work on it as
        on any array. Assigning to the property copies into this array.
        """
        return self._decoders

    @decoders.setter
    def decoders(self, value: Any) -> None:
        shape = (self.n_neurons, self.n_outputs)
        self._decoders[...] = require_finite_array("decoders", value, shape=shape)

    @property
    def value(self) -> np.ndarray:
        """The unclipped decoded value :math:`D^\\top a` of the last step."""
        return self._value

    @property
    def command(self) -> np.ndarray:
        """The clipped command of the last step."""
        return self._command

    def reset(self) -> None:
        """Zero the outputs (decoders are kept: they are learned state, not episode state)."""
        self._value[:] = 0.0
        self._command[:] = 0.0

    def _activities(self, activities: Any) -> np.ndarray:
        a = activities
        if type(a) is np.ndarray and a.shape == (self.n_neurons,) and a.dtype.kind in "biuf":
            return a
        try:
            a = np.asarray(activities)
        except (TypeError, ValueError) as exc:
            raise ShapeError(f"input must be numeric with shape ({self.n_neurons},)") from exc
        if a.shape != (self.n_neurons,) or a.dtype.kind not in "biuf":
            raise ShapeError(
                f"{type(self).__name__} input must be a numeric array of shape "
                f"({self.n_neurons},), got shape {a.shape} dtype {a.dtype}"
            )
        return a

    def _nonfinite(self, activities: np.ndarray) -> NeuroControlError:
        """The error for a non-finite decoded value (outputs are zeroed first)."""
        self._value[:] = 0.0
        self._command[:] = 0.0
        bad = np.flatnonzero(~np.isfinite(activities.astype(np.float64)))
        if bad.size:
            return ObservationError(
                f"{type(self).__name__} input[{bad[0]}] is {float(activities[bad[0]])!r}; "
                "inputs must be finite"
            )
        return SimulationError(
            f"{type(self).__name__} decoders contain NaN or inf (a diverging learning rule?); "
            "decoders must be finite"
        )

    def _out(self, out: np.ndarray | None) -> np.ndarray:
        if out is None:
            return self._command
        if (
            not isinstance(out, np.ndarray)
            or out.shape != (self.n_outputs,)
            or (out.dtype != np.float64)
        ):
            got = (out.shape, str(out.dtype)) if isinstance(out, np.ndarray) else type(out)
            raise ShapeError(f"out must be a float64 array of shape ({self.n_outputs},), got {got}")
        return out

    def decode(self, activities: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Command for ``activities`` (shape ``(n_neurons,)``), written into ``out`` if given."""
        a = self._activities(activities)
        command = self._out(out)
        if not kernels.linear_decode_step(
            a, self._decoders, self.output_scale, self._value, command
        ):
            raise self._nonfinite(a)
        return command

    __call__ = decode

    def config(self) -> dict[str, Any]:
        return {
            "n_neurons": self.n_neurons,
            "n_outputs": self.n_outputs,
            "output_scale": self.output_scale.tolist(),
        }


class FilteredSpikeDecoder(LinearDecoder):
    r"""Exponentially filtered spikes times a decoder matrix.

    Spikes :math:`s_k[t]` (counts; an impulse of area 1, i.e. height
    :math:`1/dt` over one step) pass an exponential synapse
    :math:`h(t) = e^{-t/\tau}/\tau`, discretised exactly (zero-order hold):

    .. math:: a_k[t] = e^{-dt/\tau} a_k[t-1] + \frac{1 - e^{-dt/\tau}}{dt} s_k[t]

    so :math:`a` is a rate estimate in Hz (a neuron spiking every step
    settles at :math:`1/dt`) and decoders solved on rate tuning curves apply
    unchanged (Eliasmith & Anderson 2003, sec. 4.4). Then
    :class:`LinearDecoder`. :attr:`activities` is the filtered state, the
    activity a PES rule multiplies with the error.
    """

    _state_names: ClassVar[tuple[str, ...]] = ("decoders", "filtered")

    def __init__(
        self,
        n_neurons: int,
        n_outputs: int,
        *,
        tau: float = 0.02,
        dt: float = 1e-3,
        decoders: Any = None,
        output_scale: Any = 1.0,
    ) -> None:
        super().__init__(n_neurons, n_outputs, decoders=decoders, output_scale=output_scale)
        self.tau = require_positive("tau", tau)
        self.dt = require_positive("dt", dt)
        self.decay = math.exp(-self.dt / self.tau)
        self._spike_gain = (1.0 - self.decay) / self.dt
        self._filtered = np.zeros(self.n_neurons)

    @property
    def activities(self) -> np.ndarray:
        """Filtered spike trains (Hz), shape ``(n_neurons,)``."""
        return self._filtered

    def reset(self) -> None:
        """Zero the filter state and the outputs (decoders are kept)."""
        super().reset()
        self._filtered[:] = 0.0

    def decode(self, activities: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Filter this step's spikes (``bool``/int counts/float, shape ``(n_neurons,)``), decode."""
        spikes = self._activities(activities)
        command = self._out(out)
        if spikes.dtype.kind == "f":  # check before the filter state is touched
            bad = kernels.first_nonfinite(spikes)
            if bad >= 0:
                raise self._nonfinite(spikes)
        finite = kernels.filter_decode_step(
            spikes, self.decay, self._spike_gain, self._filtered, self._decoders,
            self.output_scale, self._value, command,
        )  # fmt: skip
        if not finite:
            raise self._nonfinite(spikes)
        return command

    __call__ = decode

    def config(self) -> dict[str, Any]:
        return {**super().config(), "tau": self.tau, "dt": self.dt}
