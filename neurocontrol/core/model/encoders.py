r"""Encoders: how the real-valued signals of a :class:`SignalInput` enter a network.

An encoder reads a signal input each step and drives one node: the input
current of a population (:class:`CurrentEncoder`, NEF tuning, recomputed
every step or held between send-on-delta events) or the spikes of an
:class:`Input` (:class:`ReceptiveFieldEncoder`, Gaussian receptive fields).
It runs at the start of the network step, before the neurons, so this
step's signal reaches this step's neurons. Descriptions only: the builder is
:mod:`neurocontrol.core.builder.encoders`, the arithmetic
:mod:`neurocontrol.core.kernels.step.encoders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from neurocontrol.core.model._checks import check_int, check_name, check_positive
from neurocontrol.core.model.network import Input, Population, SignalInput
from neurocontrol.errors import ConfigError, ShapeError
from neurocontrol.utils.validation import require_finite_array

__all__ = ["CurrentEncoder", "Encoder", "ReceptiveFieldEncoder", "affine_currents"]


def affine_currents(
    gains: np.ndarray, encoders: np.ndarray, biases: np.ndarray, center: Any, radius: Any
) -> tuple[np.ndarray, np.ndarray]:
    r"""``(W, b)`` of the NEF input currents :math:`J = W x + b` of signal ``x``.

    :math:`J_k = \alpha_k e_k \cdot (x - c) / r + \beta_k`, so
    :math:`W_{kd} = \alpha_k e_{kd} / r_d` (``[n, dims]``) and
    :math:`b_k = \beta_k - \sum_d W_{kd} c_d`; ``center`` and ``radius`` are
    per dimension (or scalars).
    """
    weights = gains[:, None] * encoders / radius
    return weights, biases - weights @ center


def _frozen(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.setflags(write=False)
    return array


def _per_entry(owner: object, field: str, value: Any, n: int, positive: bool = False) -> Any:
    """A scalar or length-``n`` array, finite (and > 0 if ``positive``), frozen."""
    label = f"{type(owner).__name__}.{field}"
    array = require_finite_array(label, value)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise ShapeError(f"{label} must be a scalar or have shape ({n},), got {array.shape}")
    if positive and np.any(array <= 0):
        raise ConfigError(f"{label} must be > 0, got {float(array[array <= 0][0])!r}")
    return _frozen(array)


@dataclass(frozen=True, eq=False)
class Encoder:
    """Base class of the encoders: ``pre`` (a :class:`SignalInput`) drives ``post``."""

    kind: ClassVar[str] = "encoder"

    def _check_pre(self) -> None:
        pre = getattr(self, "pre", None)
        if not isinstance(pre, SignalInput):
            raise ConfigError(f"{type(self).__name__}.pre must be a SignalInput, got {pre!r}")

    def _default_name(self) -> None:
        check_name(self, "name")
        if getattr(self, "name", None) is None:
            pre, post = self.pre.name, self.post.name  # type: ignore[attr-defined]
            object.__setattr__(self, "name", f"{pre}_to_{post}")


@dataclass(frozen=True, eq=False)
class CurrentEncoder(Encoder):
    r"""NEF input currents of a population from a signal (Eliasmith & Anderson 2003, ch. 2, 7).

    Neuron :math:`k` with encoder :math:`e_k`, gain :math:`\alpha_k` and bias
    :math:`\beta_k` receives

    .. math::

        I_{ext,k} = \alpha_k\, e_k \cdot \hat x + \beta_k, \qquad
        \hat x = (x - c) / r

    for the signal :math:`x` normalised by ``center`` :math:`c` and ``radius``
    :math:`r` per dimension. With ``delta=None`` the currents are recomputed
    every step (``n_post x dims`` multiply-adds). With ``delta`` the signal
    is sent on delta (Miskowicz 2006, *Sensors* 6:49): dimension :math:`d`
    keeps a reference level :math:`c_d + m_d \delta_d r_d` (integer
    :math:`m_d`, starting at the centre each episode), and each crossing of a
    level is an event that moves every current by :math:`\pm \alpha_k e_{kd}
    \delta_d` (``n_post`` synaptic operations); between events the currents
    hold (a synapse without decay, e.g. Loihi's current decay 0). The
    currents are then those of the crossed levels, within ``delta`` radii of
    the signal. A jump of several levels in one step emits up to
    ``max_events_per_step`` events per dimension; beyond that the reference
    follows on later steps.

    The encoder owns ``post``'s ``i_ext``. With the default LIF
    (``v_rest = v_reset = 0``, ``v_th = 1``, ``r_m = 1``) the currents are
    normalised to threshold 1, as NEF gains and biases are
    (:class:`neurocontrol.core.encoding.NEFEncoder` solves them).

    Parameters
    ----------
    pre : SignalInput
        ``dims`` signals.
    post : Population
        ``n_post`` neurons.
    encoders : array [n_post, dims]
        Encoding vectors (unit vectors in the NEF; any finite values here).
    gains, biases : float or array [n_post]
    center, radius : float or array [dims]
        ``radius > 0``.
    delta : float or None
        Send-on-delta level step as a fraction of ``radius`` (> 0), or None.
    max_events_per_step : int
        1..255.
    name : str or None
        Default ``"<pre>_to_<post>"``.
    """

    kind: ClassVar[str] = "CurrentEncoder"

    pre: SignalInput
    post: Population
    encoders: Any
    gains: Any = 1.0
    biases: Any = 0.0
    center: Any = 0.0
    radius: Any = 1.0
    delta: float | None = None
    max_events_per_step: int = 255
    name: str | None = None

    def __post_init__(self) -> None:
        self._check_pre()
        if not isinstance(self.post, Population):
            raise ConfigError(f"CurrentEncoder.post must be a Population, got {self.post!r}")
        n_post, dims = self.post.n, self.pre.n
        encoders = require_finite_array("CurrentEncoder.encoders", self.encoders)
        if encoders.shape != (n_post, dims):
            raise ShapeError(
                f"CurrentEncoder.encoders must have shape ({n_post}, {dims}) (post neurons, "
                f"signal dimensions), got {encoders.shape}"
            )
        object.__setattr__(self, "encoders", _frozen(encoders))
        object.__setattr__(self, "gains", _per_entry(self, "gains", self.gains, n_post))
        object.__setattr__(self, "biases", _per_entry(self, "biases", self.biases, n_post))
        object.__setattr__(self, "center", _per_entry(self, "center", self.center, dims))
        radius = _per_entry(self, "radius", self.radius, dims, positive=True)
        object.__setattr__(self, "radius", radius)
        if self.delta is not None:
            check_positive(self, "delta")
        check_int(self, "max_events_per_step", minimum=1)
        if self.max_events_per_step > 255:
            raise ConfigError(
                "CurrentEncoder.max_events_per_step must be an integer in [1, 255], got "
                f"{self.max_events_per_step!r}"
            )
        self._default_name()

    @property
    def weights(self) -> np.ndarray:
        r"""The matrix :math:`\alpha_k e_{kd} / r_d` of the affine map, ``[n_post, dims]``."""
        return affine_currents(self.gains, self.encoders, self.biases, self.center, self.radius)[0]

    @property
    def offset(self) -> np.ndarray:
        r"""The offset :math:`\beta_k - \sum_d W_{kd} c_d` of the affine map, ``[n_post]``."""
        return affine_currents(self.gains, self.encoders, self.biases, self.center, self.radius)[1]


@dataclass(frozen=True, eq=False)
class ReceptiveFieldEncoder(Encoder):
    r"""Spikes of an :class:`Input` from Gaussian receptive fields on each signal dimension.

    Dimension :math:`d` on :math:`[l_d, h_d]` gets ``per_signal`` afferents
    with evenly spaced centres :math:`c_{dj}` (ends included) and width
    :math:`\sigma_d` (default: the spacing); afferent :math:`dj` (flat index
    ``d * per_signal + j``) spikes with probability

    .. math:: p_{dj} = f_{max}\,\Delta t\, \exp\left(-\frac{(x_d - c_{dj})^2}{2\sigma_d^2}\right)

    per step, for :math:`x_d` clipped to the range (Pouget, Dayan & Zemel
    2000; Bohte, Kok & La Poutré 2002), drawn from the network's own
    generator, so a checkpoint restores the stream.

    Parameters
    ----------
    pre : SignalInput
        ``dims`` signals.
    post : Input
        ``dims * per_signal`` afferents; their spikes come from this encoder,
        not from the events given to ``sim.step``.
    per_signal : int
        Afferents per dimension (>= 2).
    low, high : float or array [dims]
        Range of each dimension, ``low < high``.
    max_rate : float
        Peak rate (Hz); ``max_rate * dt <= 1``.
    width : None, float or array [dims]
        :math:`\sigma_d` (> 0); None: the centre spacing.
    name : str or None
        Default ``"<pre>_to_<post>"``.
    """

    kind: ClassVar[str] = "ReceptiveFieldEncoder"

    pre: SignalInput
    post: Input
    per_signal: int
    low: Any
    high: Any
    max_rate: float = 100.0
    width: Any = None
    name: str | None = None

    def __post_init__(self) -> None:
        self._check_pre()
        if not isinstance(self.post, Input):
            raise ConfigError(f"ReceptiveFieldEncoder.post must be an Input, got {self.post!r}")
        check_int(self, "per_signal", minimum=2)
        dims = self.pre.n
        if self.post.n != dims * self.per_signal:
            raise ShapeError(
                f"ReceptiveFieldEncoder: Input {self.post.name!r} has {self.post.n} afferents; "
                f"{dims} dimensions x per_signal={self.per_signal} need {dims * self.per_signal}"
            )
        low = _per_entry(self, "low", self.low, dims)
        high = _per_entry(self, "high", self.high, dims)
        for d in np.flatnonzero(high <= low):
            raise ConfigError(
                f"ReceptiveFieldEncoder: high[{d}] must be > low[{d}] = {float(low[d])!r}, "
                f"got {float(high[d])!r}"
            )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        check_positive(self, "max_rate")
        if self.width is not None:
            width = _per_entry(self, "width", self.width, dims, positive=True)
            object.__setattr__(self, "width", width)
        self._default_name()

    @property
    def centers(self) -> np.ndarray:
        """Centres of the afferents, ``[dims * per_signal]``, dimension-major (a new array)."""
        grids = [
            np.linspace(lo, hi, self.per_signal) for lo, hi in zip(self.low, self.high, strict=True)
        ]
        return np.concatenate(grids)

    @property
    def widths(self) -> np.ndarray:
        """:math:`\\sigma_d` per dimension (the spacing unless ``width`` is given)."""
        if self.width is not None:
            return np.array(self.width)
        return (self.high - self.low) / (self.per_signal - 1)
