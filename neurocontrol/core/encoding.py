"""Encoders: signals -> spike events or input currents, one step (``dt``) at a time.

Every encoder allocates its output and state arrays once, at construction;
``encode(x)`` validates the input shape, writes in place and returns the
preallocated output (or ``out=`` if given). Pass ``float64`` 1-D arrays for the
allocation-free path; anything else is converted (one copy). Event outputs are
``uint8`` counts (0/1 except where documented).

All encoders share the checkpoint protocol of :class:`Coder`:
``config()`` (JSON-able constructor parameters), ``from_config``,
``state_dict()`` / ``load_state_dict()`` (plain arrays, RNG state included, so a
restored encoder continues bit-identically) and ``reset()``.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from neurocontrol.core.kernels import coding as kernels
from neurocontrol.core.model.encoders import affine_currents
from neurocontrol.core.statedict import Stateful
from neurocontrol.errors import ConfigError, ObservationError, ShapeError
from neurocontrol.utils.rng import rng_from_words, rng_to_words
from neurocontrol.utils.validation import numeric_vector, require_in, require_int, require_positive

__all__ = [
    "Coder",
    "Encoder",
    "GaussianPopulationEncoder",
    "NEFEncoder",
    "PoissonEncoder",
    "SendOnDeltaEncoder",
    "TactileEncoder",
    "intercept_for_active_fraction",
    "lif_rates",
    "lif_rates_stepped",
    "reconstruct_send_on_delta",
]


def _per_signal(name: str, value: Any, n: int, check: Callable[[str, Any], float]) -> np.ndarray:
    """A scalar or length-``n`` sequence -> float64 array of length ``n``, each checked."""
    array = np.asarray(value, dtype=object if not isinstance(value, np.ndarray) else None)
    if array.ndim == 0:
        return np.full(n, check(name, array.item()), dtype=np.float64)
    if array.shape != (n,):
        raise ConfigError(f"{name} must be a scalar or have shape ({n},), got shape {array.shape}")
    return np.array(
        [check(f"{name}[{i}]", v.item() if hasattr(v, "item") else v) for i, v in enumerate(array)],
        dtype=np.float64,
    )


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _seed(seed: Any) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint32)[0])
    return require_int("seed", seed, minimum=0)


def lif_rates(current: Any, tau_rc: float = 0.02, tau_ref: float = 0.002) -> np.ndarray:
    r"""Steady-state firing rate (Hz) of a LIF neuron driven by a constant current.

    Currents are normalised so that the firing threshold is at 1 (LIF with
    ``tau_rc dv/dt = -v + J``, ``v_th = 1``, ``v_reset = 0``, unit resistance):

    .. math:: a(J) = \left[\tau_{ref} + \tau_{RC} \ln\left(1 + \frac{1}{J - 1}\right)\right]^{-1}
              \quad (J > 1), \qquad a(J) = 0 \text{ otherwise}

    (Eliasmith & Anderson 2003, *Neural Engineering*, eq. 4.9). Any shape; allocates.
    """
    j = np.asarray(current, dtype=np.float64) - 1.0
    out = np.zeros_like(j)
    above = j > 0
    out[above] = 1.0 / (tau_ref + tau_rc * np.log1p(1.0 / j[above]))
    return out


def lif_rates_stepped(
    current: Any, tau_rc: float = 0.02, tau_ref: float = 0.002, dt: float = 1e-3
) -> np.ndarray:
    r"""Firing rate (Hz) of the LIF simulated in whole steps of ``dt`` under a constant current.

    :class:`neurocontrol.core.model.LIF` as the simulator runs it (exact
    integration over a step, a spike when ``v >= 1`` at the end of a step,
    reset to 0 and held for :math:`n_{ref} = \tau_{ref}/dt` steps) needs
    :math:`m = \lceil \tau_{RC}/dt \, \ln(1 + 1/(J - 1)) \rceil` integrating
    steps to reach threshold from reset, so it fires every :math:`n_{ref} + m`
    steps:

    .. math:: a_{dt}(J) = \frac{1}{dt\,(n_{ref} + m(J))} \quad (J > 1)

    a staircase below the continuous rate :func:`lif_rates`: each interspike
    interval is rounded up to whole steps, by :math:`dt/2` on average, which
    is what :class:`NEFEncoder` corrects for with ``dt`` (compare Nengo's
    ``LIF``, which interpolates spike times within a step instead; Eliasmith &
    Anderson 2003, eq. 4.9 for the continuous curve). Any shape; allocates.
    """
    n_ref = round(tau_ref / dt)
    j = np.asarray(current, dtype=np.float64) - 1.0
    out = np.zeros_like(j)
    above = j > 0
    # the simulator compares v >= 1 after exp(-dt/tau) steps: guard the ceil against rounding
    steps = np.ceil(tau_rc / dt * np.log1p(1.0 / j[above]) * (1.0 - 1e-12))
    out[above] = 1.0 / (dt * (n_ref + np.maximum(steps, 1.0)))
    return out


def reconstruct_send_on_delta(events: Any, delta: Any, origin: Any) -> np.ndarray:
    r"""Rebuild the signals from a history of send-on-delta events.

    Parameters
    ----------
    events : array, shape (n_steps, 2 * n_signals)
        Outputs of :meth:`SendOnDeltaEncoder.encode`, one row per step.
    delta : float or array, shape (n_signals,)
    origin : array, shape (n_signals,)
        The level the receiver starts from (:attr:`SendOnDeltaEncoder.origin`).

    Returns
    -------
    array, shape (n_steps, n_signals)
        :math:`\hat x_i[t] = x_{0,i} + \delta_i \sum_{s \le t} (on_i[s] - off_i[s])`.
    """
    ev = np.asarray(events, dtype=np.int64)
    if ev.ndim != 2 or ev.shape[1] % 2:
        raise ShapeError(f"events must have shape (n_steps, 2 * n_signals), got {ev.shape}")
    counts = np.cumsum(ev[:, 0::2] - ev[:, 1::2], axis=0)
    return np.asarray(origin, dtype=np.float64) + counts * np.asarray(delta, dtype=np.float64)


class Coder(Stateful):
    """Base of encoders and decoders: the checkpoint protocol.

    Subclasses list their state arrays (attribute names without the leading
    underscore) in ``_state_names`` and set ``_rng`` if they own a generator;
    the state dict (:class:`~neurocontrol.core.statedict.Stateful`) then holds
    those arrays and, with a generator, ``rng_state``: its state as ``uint64``
    words (:func:`~neurocontrol.utils.rng.rng_to_words`).
    """

    _state_names: ClassVar[tuple[str, ...]] = ()
    _rng: np.random.Generator | None = None
    # the generator's words, allocated on first use: the generator itself is replaced on reseed
    _rng_words: np.ndarray | None = None

    @abc.abstractmethod
    def config(self) -> dict[str, Any]:
        """JSON-able constructor parameters: ``type(self).from_config(c.config())`` rebuilds."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        """Construct from :meth:`config` output; unknown or missing keys raise ConfigError."""
        if not isinstance(config, Mapping):
            raise ConfigError(
                f"{cls.__name__} config must be a mapping, got {type(config).__name__}"
            )
        try:
            return cls(**config)
        except TypeError as exc:
            raise ConfigError(
                f"{cls.__name__} config {sorted(config)} is not accepted: {exc}"
            ) from exc

    def state_targets(self) -> dict[str, np.ndarray]:
        """Live state arrays by name; ``rng_state`` (written by a snapshot) with a generator."""
        targets = {name: getattr(self, "_" + name) for name in self._state_names}
        if self._rng is not None:
            targets["rng_state"] = self._rng_state()
        return targets

    def _rng_state(self) -> np.ndarray:
        """The words ``rng_state`` is saved from and restored to (allocated on first use)."""
        if self._rng_words is None:
            self._rng_words = np.zeros(6, dtype=np.uint64)
        return self._rng_words

    def _snapshot(self) -> None:
        if self._rng is not None:
            self._rng_state()[...] = rng_to_words(self._rng)

    def _restored(self) -> None:
        if self._rng is not None:
            rng_from_words(self._rng, self._rng_state())


class Encoder(Coder):
    """Base of the encoders: input checks and the ``out=`` convention."""

    n_inputs: int
    n_outputs: int

    def _input(self, x: Any) -> np.ndarray:
        if type(x) is np.ndarray and x.dtype == np.float64 and x.shape == (self.n_inputs,):
            return x
        return numeric_vector(f"{type(self).__name__} input", x, self.n_inputs)

    def _out(self, out: np.ndarray | None, own: np.ndarray) -> np.ndarray:
        if out is None:
            return own
        if not isinstance(out, np.ndarray) or out.shape != own.shape or out.dtype != own.dtype:
            got = (out.shape, str(out.dtype)) if isinstance(out, np.ndarray) else type(out)
            raise ShapeError(
                f"out must be an array of shape {own.shape} and dtype {own.dtype}, got {got}"
            )
        return out

    def _raise_nonfinite(self, x: np.ndarray, index: int, what: str = "finite") -> None:
        raise ObservationError(
            f"{type(self).__name__} input[{index}] is {float(x[index])!r}; inputs must be {what}"
        )

    def __call__(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Alias of ``encode``."""
        return self.encode(x, out)  # type: ignore[attr-defined]


class SendOnDeltaEncoder(Encoder):
    r"""Send-on-delta (level-crossing) events, one ON/OFF afferent pair per signal.

    Signal :math:`x_i` keeps a reference level :math:`r_i = x_{0,i} + k_i \delta_i`
    (integer :math:`k_i`). Each step

    .. math:: n^{on}_i = \min\left(\left\lfloor \frac{x_i - r_i}{\delta_i} \right\rfloor,
              n_{max}\right) \text{ if } x_i - r_i \ge \delta_i, \qquad
              k_i \leftarrow k_i + n^{on}_i - n^{off}_i

    and symmetrically for OFF (Miskowicz 2006, *Sensors* 6:49, "Send-on-delta
    concept"). The receiver rebuilds :math:`r_i` from the events
    (:func:`reconstruct_send_on_delta`) and :math:`|x_i - r_i| < \delta_i`
    whenever the signal moves by less than :math:`n_{max} \delta_i` per step.

    A jump of several deltas in one step emits an event *count* (``uint8``) up to
    ``max_events_per_step``; beyond that the reference lags and the remaining
    events follow on the next steps (a maximum event rate of
    ``max_events_per_step / dt``), so no level crossing is ever lost. With the
    default 1 the events are binary.

    Parameters
    ----------
    n_signals : int
    delta : float or array, shape (n_signals,)
        Threshold per signal, > 0, in the signal's units.
    max_events_per_step : int, 1..255
    initial : None, float or array, shape (n_signals,)
        Starting reference. ``None``: the first sample after :meth:`reset`
        becomes the origin and emits no event (read it from :attr:`origin`).

    Outputs: ``events[2 i]`` = ON count of signal ``i``, ``events[2 i + 1]`` = OFF.
    """

    _state_names: ClassVar[tuple[str, ...]] = ("origin", "level", "started")

    def __init__(
        self,
        n_signals: int,
        delta: Any,
        *,
        max_events_per_step: int = 1,
        initial: Any = None,
    ) -> None:
        self.n_inputs = require_int("n_signals", n_signals, minimum=1)
        self.n_outputs = 2 * self.n_inputs
        self.delta = _per_signal("delta", delta, self.n_inputs, require_positive)
        self.max_events_per_step = require_int("max_events_per_step", max_events_per_step, 1)
        if self.max_events_per_step > kernels.MAX_EVENTS:
            raise ConfigError(
                f"max_events_per_step must be an integer in [1, {kernels.MAX_EVENTS}], "
                f"got {max_events_per_step!r}"
            )
        self.initial = (
            None if initial is None else _per_signal("initial", initial, self.n_inputs, _finite)
        )
        self._inv_delta = 1.0 / self.delta
        self._origin = np.zeros(self.n_inputs)
        self._level = np.zeros(self.n_inputs, dtype=np.int64)
        self._started = np.zeros(1, dtype=np.uint8)
        self._events = np.zeros(self.n_outputs, dtype=np.uint8)
        self.reset()

    @property
    def origin(self) -> np.ndarray:
        """The level reconstruction starts from (set by ``initial`` or the first sample)."""
        return self._origin

    @property
    def reference(self) -> np.ndarray:
        """The current reference levels :math:`x_0 + k \\delta` (a new array)."""
        return self._origin + self._level * self.delta

    def reset(self) -> None:
        """Forget the reference; the next sample (or ``initial``) becomes the origin."""
        self._level[:] = 0
        self._events[:] = 0
        if self.initial is None:
            self._origin[:] = 0.0
            self._started[0] = 0
        else:
            self._origin[:] = self.initial
            self._started[0] = 1

    def encode(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Events of this step, shape ``(2 * n_signals,)`` ``uint8``; see the class docs."""
        x = self._input(x)
        events = self._out(out, self._events)
        if not self._started[0]:
            bad = kernels.first_nonfinite(x)
            if bad >= 0:
                self._raise_nonfinite(x, bad)
            self._origin[:] = x
            self._started[0] = 1
            events[:] = 0
            return events
        bad = kernels.send_on_delta_step(
            x, self._origin, self._inv_delta, self._level, self.max_events_per_step, events
        )
        if bad >= 0:
            self._raise_nonfinite(x, bad)
        return events

    def config(self) -> dict[str, Any]:
        return {
            "n_signals": self.n_inputs,
            "delta": self.delta.tolist(),
            "max_events_per_step": self.max_events_per_step,
            "initial": None if self.initial is None else self.initial.tolist(),
        }


class _RandomEncoder(Encoder):
    """An encoder that owns a seeded ``numpy.random.Generator`` (PCG64)."""

    def _init_rng(self, seed: Any) -> None:
        self.seed = _seed(seed)
        self._rng = np.random.default_rng(self.seed)

    def reset(self, seed: int | None = None) -> None:
        """Clear the state; re-seed the generator only if ``seed`` is given."""
        if seed is not None:
            self.seed = require_int("seed", seed, minimum=0)
            self._rng = np.random.default_rng(self.seed)
        self._clear()

    @abc.abstractmethod
    def _clear(self) -> None:
        """Zero the encoder's per-episode state and outputs."""


def _spike_mode(mode: str, max_rate: float, dt: float) -> float:
    """Validate the per-step probability/mean of a spike mode; return ``max_rate * dt``."""
    per_step = max_rate * dt
    if mode == "bernoulli" and per_step > 1.0:
        raise ConfigError(
            f"max_rate * dt must be <= 1 for mode 'bernoulli' (one spike per step), got "
            f"{max_rate!r} * {dt!r} = {per_step!r}"
        )
    if mode == "poisson" and per_step > 10.0:
        raise ConfigError(
            f"max_rate * dt must be <= 10 for mode 'poisson', got {max_rate!r} * {dt!r}"
        )
    return per_step


class GaussianPopulationEncoder(_RandomEncoder):
    r"""Population coding with Gaussian receptive fields, one 1-D population per signal.

    Signal :math:`i` on :math:`[l_i, h_i]` gets ``n_per_signal`` neurons with
    evenly spaced centers :math:`c_{ij}` (ends included) and width
    :math:`\sigma_i` (default: the center spacing). For the input clipped to
    the range,

    .. math:: a_{ij}(x_i) = A \exp\left(-\frac{(x_i - c_{ij})^2}{2 \sigma_i^2}\right)

    (Pouget, Dayan & Zemel 2000, *Nat. Rev. Neurosci.* 1:125; as used for
    spiking robot control by Bohte, Kok & La Poutré 2002). Populations are
    concatenated signal-major: neuron ``j`` of signal ``i`` is output
    ``i * n_per_signal + j``.

    ``mode``:

    - ``"current"``: output :math:`a_{ij}` with :math:`A` = ``max_current``
      (``float64``, to inject as input current);
    - ``"bernoulli"``: one spike with probability :math:`a_{ij}`,
      :math:`A` = ``max_rate * dt`` (``<= 1``);
    - ``"poisson"``: a Poisson(:math:`a_{ij}`) spike count per step
      (``uint8``), :math:`A` = ``max_rate * dt`` (``<= 10``).

    The expected rate of neuron ``ij`` is :math:`a_{ij} / dt` in both spike
    modes; the last activation is in :attr:`activation`. The spike modes draw
    one uniform per neuron per step from the encoder's own generator
    (``seed``), so the same seed gives the same events.
    """

    def __init__(
        self,
        n_signals: int,
        low: Any,
        high: Any,
        n_per_signal: int,
        *,
        width: Any = None,
        mode: str = "current",
        max_current: float = 1.0,
        max_rate: float = 100.0,
        dt: float = 1e-3,
        seed: int | None = None,
    ) -> None:
        self.n_inputs = require_int("n_signals", n_signals, minimum=1)
        self.n_per_signal = require_int("n_per_signal", n_per_signal, minimum=2)
        self.n_outputs = self.n_inputs * self.n_per_signal
        self.low = _per_signal("low", low, self.n_inputs, _finite)
        self.high = _per_signal("high", high, self.n_inputs, _finite)
        for i in np.flatnonzero(self.high <= self.low):
            raise ConfigError(
                f"high[{i}] must be > low[{i}] = {float(self.low[i])!r}, "
                f"got {float(self.high[i])!r}"
            )
        spacing = (self.high - self.low) / (self.n_per_signal - 1)
        self.width = (
            spacing.copy()
            if width is None
            else _per_signal("width", width, self.n_inputs, require_positive)
        )
        self.mode = require_in("mode", mode, tuple(kernels.MODES))
        self.max_current = require_positive("max_current", max_current)
        self.max_rate = require_positive("max_rate", max_rate)
        self.dt = require_positive("dt", dt)
        if self.mode == "current":
            self._amplitude = self.max_current
        else:
            self._amplitude = _spike_mode(self.mode, self.max_rate, self.dt)
        self._mode_code = kernels.MODES[self.mode]
        self.centers = np.concatenate(
            [
                np.linspace(lo, hi, self.n_per_signal)
                for lo, hi in zip(self.low, self.high, strict=True)
            ]
        )
        self._neg_half_inv_var = -0.5 / self.width**2
        self._activation = np.zeros(self.n_outputs)
        self._events = np.zeros(self.n_outputs, dtype=np.uint8)
        self._uniform = np.zeros(self.n_outputs)
        self._init_rng(seed)

    @property
    def activation(self) -> np.ndarray:
        """Last activations: currents, or spike probability/mean per step."""
        return self._activation

    def _clear(self) -> None:
        self._activation[:] = 0.0
        self._events[:] = 0

    def encode(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Currents (``float64``) or spikes (``uint8``) of this step, shape ``(n_outputs,)``."""
        x = self._input(x)
        if self._mode_code == kernels.MODE_CURRENT:
            activation = self._out(out, self._activation)
            events = self._events
        else:
            activation = self._activation
            events = self._out(out, self._events)
            assert self._rng is not None
            self._rng.random(out=self._uniform)
        bad = kernels.gaussian_population_step(
            x, self.low, self.high, self.centers, self._neg_half_inv_var, self.n_per_signal,
            self._amplitude, self._mode_code, self._uniform, activation, events,
        )  # fmt: skip
        if bad >= 0:
            self._raise_nonfinite(x, bad)
        return activation if self._mode_code == kernels.MODE_CURRENT else events

    def config(self) -> dict[str, Any]:
        return {
            "n_signals": self.n_inputs,
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "n_per_signal": self.n_per_signal,
            "width": self.width.tolist(),
            "mode": self.mode,
            "max_current": self.max_current,
            "max_rate": self.max_rate,
            "dt": self.dt,
            "seed": self.seed,
        }


class PoissonEncoder(_RandomEncoder):
    r"""Spikes from rates (Hz): a Poisson process sampled once per step.

    ``mode="poisson"``: :math:`n_i \sim \mathrm{Poisson}(\lambda_i\,dt)` counts
    (``uint8``, sampled by inversion of the CDF from one uniform per input);
    ``mode="bernoulli"``: at most one spike, with probability
    :math:`\min(\lambda_i\,dt, 1)` (the usual approximation for
    :math:`\lambda\,dt \ll 1`, e.g. the CL-1k benchmark input). Rates must be
    finite and >= 0.
    """

    def __init__(
        self, n_inputs: int, *, mode: str = "poisson", dt: float = 1e-3, seed: int | None = None
    ) -> None:
        self.n_inputs = require_int("n_inputs", n_inputs, minimum=1)
        self.n_outputs = self.n_inputs
        self.mode = require_in("mode", mode, ("poisson", "bernoulli"))
        self.dt = require_positive("dt", dt)
        self._poisson = self.mode == "poisson"
        self._events = np.zeros(self.n_outputs, dtype=np.uint8)
        self._uniform = np.zeros(self.n_outputs)
        self._init_rng(seed)

    def _clear(self) -> None:
        self._events[:] = 0

    def encode(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Spike counts of this step for rates ``x`` (Hz), shape ``(n_inputs,)`` ``uint8``."""
        x = self._input(x)
        events = self._out(out, self._events)
        assert self._rng is not None
        self._rng.random(out=self._uniform)
        bad = kernels.rate_spikes_step(x, self.dt, self._poisson, self._uniform, events)
        if bad >= 0:
            self._raise_nonfinite(x, bad, "finite rates >= 0")
        return events

    def config(self) -> dict[str, Any]:
        return {"n_inputs": self.n_inputs, "mode": self.mode, "dt": self.dt, "seed": self.seed}


def _stepped_gains(
    gains: np.ndarray, intercepts: np.ndarray, tau_rc: float, tau_ref: float, dt: float
) -> np.ndarray:
    """Gains giving stepped LIF neurons the continuous curves' mean rate (see NEFEncoder)."""
    n_grid = 64
    points = intercepts[:, None] + (1.0 - intercepts[:, None]) * (np.arange(n_grid) + 0.5) / n_grid
    above = points - intercepts[:, None]  # J - 1 = gain * (e.x - intercept)
    target = lif_rates(1.0 + gains[:, None] * above, tau_rc, tau_ref).mean(axis=1)
    low, high = gains.copy(), 50.0 * gains  # stepped rates are lower: the gain only grows
    for _ in range(48):
        mid = np.sqrt(low * high)
        below = lif_rates_stepped(1.0 + mid[:, None] * above, tau_rc, tau_ref, dt).mean(axis=1)
        short = below < target
        low = np.where(short, mid, low)
        high = np.where(short, high, mid)
    fitted = np.sqrt(low * high)
    reached = lif_rates_stepped(1.0 + fitted[:, None] * above, tau_rc, tau_ref, dt).mean(axis=1)
    worst = int(np.argmax(np.abs(reached / target - 1.0)))
    if abs(reached[worst] / target[worst] - 1.0) > 0.02:
        raise ConfigError(
            f"a LIF simulated at dt={dt!r} s cannot reach the mean rate {target[worst]:.1f} Hz of "
            f"the requested tuning (at most {1.0 / (tau_ref + dt):.1f} Hz); lower max_rates"
        )
    return fitted


def _interval(
    name: str, value: Any, low: float, high: float, high_open: bool
) -> tuple[float, float]:
    """Validate a (lo, hi) pair with ``low <= lo <= hi <= high`` (``< high`` if open)."""
    bound = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
    try:
        lo, hi = (float(_finite(name, v)) for v in value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{name} must be a pair (low, high) within {bound}, got {value!r}"
        ) from exc
    if not (low <= lo <= hi and (hi < high if high_open else hi <= high)):
        raise ConfigError(f"{name} must be a pair (low, high) within {bound}, got {value!r}")
    return lo, hi


def intercept_for_active_fraction(fraction: Any, dimensions: int) -> np.ndarray:
    r"""The intercept at which a neuron fires on ``fraction`` of the unit ball's volume.

    A neuron with unit encoder :math:`e` and intercept :math:`c` fires where
    :math:`e \cdot \hat x > c`: in :math:`D` dimensions, a cap of the unit
    ball whose share of its volume is

    .. math:: f(c) = \frac{\int_c^1 (1 - t^2)^{(D-1)/2}\,dt}{\int_{-1}^1 (1 - t^2)^{(D-1)/2}\,dt}

    (the ball's cross-sections at :math:`e \cdot \hat x = t` are
    :math:`(D-1)`-balls of radius :math:`\sqrt{1 - t^2}`). This inverts
    :math:`f`, decreasing from 1 at :math:`c = -1` to 0 at :math:`c = 1`
    (numerically, to about 1e-6). Sparser codes in more dimensions need
    lower intercepts for the same share: 10% of a 4-D ball is :math:`c
    \approx 0.55`, of a 1-D interval 0.8.

    Parameters
    ----------
    fraction : float or array of floats in (0, 1)
    dimensions : int
        :math:`D`.
    """
    dims = require_int("dimensions", dimensions, minimum=1)
    values = np.asarray(fraction, dtype=np.float64)
    if values.size == 0 or not np.all((values > 0.0) & (values < 1.0)):
        raise ConfigError(
            f"active fraction must be in (0, 1) (the share of the input ball where a neuron "
            f"fires), got {fraction!r}"
        )
    t = np.linspace(-1.0, 1.0, 20001)
    density = (1.0 - t * t) ** ((dims - 1) / 2.0)
    above = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) * 0.5 * np.diff(t))])
    share = 1.0 - above / above[-1]  # f(t), decreasing from 1 to 0
    return np.interp(-values, -share, t)


class NEFEncoder(Encoder):
    r"""NEF input currents of a LIF population representing a vector jointly.

    The input :math:`x` (physical units, e.g. (q, dq)) is normalised per
    dimension, :math:`\hat x = (x - \mathrm{center}) / \mathrm{radius}`, and
    neuron :math:`k` with unit encoder :math:`e_k`, gain :math:`\alpha_k` and
    bias :math:`\beta_k` receives

    .. math:: J_k = \alpha_k\, e_k \cdot \hat x + \beta_k

    (Eliasmith & Anderson 2003, *Neural Engineering*, ch. 2 and 7). Encoders
    are uniform on the unit hypersphere; maximum rates (at
    :math:`e_k \cdot \hat x = 1`) and intercepts (where the neuron starts to
    fire) are uniform in the given intervals; gains and biases follow from
    them for LIF neurons as in Nengo's ``LIFRate.gain_bias``. Currents are
    normalised to a threshold of 1 (``tau_rc dv/dt = -v + J``, ``v_th = 1``):
    they drive :class:`neurocontrol.core.model.LIF` with its defaults (``v_rest =
    v_reset = 0``, ``v_th = 1``, ``r_m = 1``) and ``tau_m = tau_rc``,
    ``tau_ref = tau_ref``. :func:`lif_rates` gives the rate model
    (:meth:`encode_rates`; in a network, a
    :class:`~neurocontrol.core.model.LIFRate` population). Needs no randomness
    per step.

    Gains for a simulated population (``dt``): a LIF simulated in steps of
    ``dt`` fires only at step ends, so each interspike interval is rounded up
    to whole steps (:func:`lif_rates_stepped`); with the continuous gains its
    rates fall below the requested tuning curves (about 10% on average for
    200-400 Hz at 1 ms, 15-20% less :math:`\langle a^2 \rangle`, the loop gain
    of PES). Given ``dt``, each neuron keeps its encoder and intercept and its
    gain is solved (bisection; the stepped rate grows monotonically with it)
    so that its stepped rate averaged over :math:`e \cdot \hat x \in
    [\text{intercept}, 1]` equals that of the continuous curve: the simulated
    population then carries, neuron by neuron, the same mean activity as the
    rate model it is compared with (:meth:`encode_rates` stays the continuous
    curve with the requested tuning, what a rate population computes).

    Note: in ``d`` dimensions the box ``center +- radius`` reaches
    :math:`\sqrt{d}` in normalised units, beyond the unit sphere the
    intercepts refer to; corners of the box drive some neurons above their
    ``max_rates``.
    """

    _state_names: ClassVar[tuple[str, ...]] = ("encoders", "gains", "biases")

    def __init__(
        self,
        n_neurons: int,
        dimensions: int,
        *,
        center: Any = 0.0,
        radius: Any = 1.0,
        max_rates: Any = (200.0, 400.0),
        intercepts: Any = (-1.0, 0.9),
        tau_rc: float = 0.02,
        tau_ref: float = 0.002,
        seed: int | None = None,
        dt: float | None = None,
    ) -> None:
        self.n_outputs = require_int("n_neurons", n_neurons, minimum=1)
        self.n_inputs = require_int("dimensions", dimensions, minimum=1)
        self.center = _per_signal("center", center, self.n_inputs, _finite)
        self.radius = _per_signal("radius", radius, self.n_inputs, require_positive)
        self.tau_rc = require_positive("tau_rc", tau_rc)
        self.tau_ref = require_positive("tau_ref", tau_ref)
        self.max_rates = _interval("max_rates", max_rates, 0.0, 1.0 / self.tau_ref, True)
        if self.max_rates[0] <= 0.0:
            raise ConfigError(f"max_rates must be > 0 (and < 1/tau_ref), got {max_rates!r}")
        self.intercepts = _interval("intercepts", intercepts, -1.0, 1.0, True)
        self.dt = None if dt is None else require_positive("dt", dt)
        steps = None if self.dt is None else self.tau_ref / self.dt
        if steps is not None and abs(steps - round(steps)) > 1e-6:
            raise ConfigError(
                f"tau_ref={tau_ref!r} s must be a whole number of steps of dt={dt!r} s"
            )
        self.seed = _seed(seed)
        rng = np.random.default_rng(self.seed)
        directions = rng.standard_normal((self.n_outputs, self.n_inputs))
        self._encoders = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        rates = rng.uniform(*self.max_rates, size=self.n_outputs)
        intercept = rng.uniform(*self.intercepts, size=self.n_outputs)
        j_max = 1.0 / (1.0 - np.exp((self.tau_ref - 1.0 / rates) / self.tau_rc))
        self._gains = (1.0 - j_max) / (intercept - 1.0)
        if self.dt is not None:
            self._gains = _stepped_gains(self._gains, intercept, self.tau_rc, self.tau_ref, self.dt)
        self._biases = 1.0 - self._gains * intercept
        self._weights_t = np.zeros((self.n_inputs, self.n_outputs))
        self._offset = np.zeros(self.n_outputs)
        self._currents = np.zeros(self.n_outputs)
        self._rates = np.zeros(self.n_outputs)
        self._scratch = np.zeros(self.n_outputs)  # of the rates' logarithm
        self._exponents = np.zeros(self.n_outputs, dtype=np.int32)
        self._derive_weights()

    def _restored(self) -> None:
        super()._restored()
        self._derive_weights()  # encoders, gains or biases were replaced

    def _derive_weights(self) -> None:
        """The input weights and offsets :meth:`encode` uses, from encoders, gains and biases."""
        weights, offset = affine_currents(
            self._gains, self._encoders, self._biases, self.center, self.radius
        )
        self._weights_t[...] = weights.T
        self._offset[...] = offset

    @property
    def encoders(self) -> np.ndarray:
        """Unit encoders, shape ``(n_neurons, dimensions)`` (read them; set via state)."""
        return self._encoders

    @property
    def gains(self) -> np.ndarray:
        return self._gains

    @property
    def biases(self) -> np.ndarray:
        return self._biases

    def reset(self) -> None:
        """Clear the output buffers (the encoder has no dynamic state)."""
        self._currents[:] = 0.0
        self._rates[:] = 0.0

    def encode(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Input currents :math:`J` for ``x``, shape ``(n_neurons,)``."""
        x = self._input(x)
        currents = self._out(out, self._currents)
        bad = kernels.nef_step(
            x, self._weights_t, self._offset, currents, self.tau_rc, self.tau_ref, self._rates,
            False, self._scratch, self._exponents,
        )  # fmt: skip
        if bad >= 0:
            self._raise_nonfinite(x, bad)
        return currents

    def encode_rates(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """LIF rates (Hz) for ``x``: the rate model of the same neurons."""
        x = self._input(x)
        rates = self._out(out, self._rates)
        bad = kernels.nef_step(
            x, self._weights_t, self._offset, self._currents, self.tau_rc, self.tau_ref, rates,
            True, self._scratch, self._exponents,
        )  # fmt: skip
        if bad >= 0:
            self._raise_nonfinite(x, bad)
        return rates

    def tuning_curves(self, points: Any) -> np.ndarray:
        """Rates (Hz) at many inputs: ``points`` (n_points, dimensions) -> (n_points, n_neurons)."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != self.n_inputs:
            raise ShapeError(f"points must have shape (n_points, {self.n_inputs}), got {pts.shape}")
        return lif_rates(pts @ self._weights_t + self._offset, self.tau_rc, self.tau_ref)

    def config(self) -> dict[str, Any]:
        return {
            "n_neurons": self.n_outputs,
            "dimensions": self.n_inputs,
            "center": self.center.tolist(),
            "radius": self.radius.tolist(),
            "max_rates": list(self.max_rates),
            "intercepts": list(self.intercepts),
            "tau_rc": self.tau_rc,
            "tau_ref": self.tau_ref,
            "seed": self.seed,
            "dt": self.dt,
        }


class TactileEncoder(_RandomEncoder):
    r"""Tactile events per pad: onset/offset with hysteresis plus a force-rate channel.

    A pad enters contact when its force :math:`F \ge F_{on}` (one onset
    event) and leaves it when :math:`F \le F_{off} < F_{on}` (one offset
    event); between the two thresholds the state holds, so solver noise
    around one threshold does not chatter (a Schmitt trigger, as in the
    fast-adapting SA/FA split of event-based tactile sensors, Bartolozzi et
    al. 2016). The sustained channel fires Bernoulli spikes at

    .. math:: \lambda = \lambda_{max}\, \mathrm{clip}(F / F_{max}, 0, 1).

    Output ``uint8``, shape ``(3 * n_pads,)``: onsets, offsets, rate-channel
    spikes (views: :attr:`onset`, :attr:`offset`, :attr:`sustained`); the
    rates (Hz) are in :attr:`rates`, the contact state in :attr:`in_contact`.
    """

    _state_names: ClassVar[tuple[str, ...]] = ("in_contact",)

    def __init__(
        self,
        n_pads: int,
        on_threshold: Any,
        off_threshold: Any,
        force_max: Any,
        *,
        max_rate: float = 200.0,
        dt: float = 1e-3,
        seed: int | None = None,
    ) -> None:
        self.n_inputs = require_int("n_pads", n_pads, minimum=1)
        self.n_outputs = 3 * self.n_inputs
        n = self.n_inputs
        self.on_threshold = _per_signal("on_threshold", on_threshold, n, _nonnegative)
        self.off_threshold = _per_signal("off_threshold", off_threshold, n, _nonnegative)
        for i in np.flatnonzero(self.off_threshold >= self.on_threshold):
            raise ConfigError(
                f"off_threshold[{i}] must be < on_threshold[{i}] = {float(self.on_threshold[i])!r} "
                f"(hysteresis), got {float(self.off_threshold[i])!r}"
            )
        self.force_max = _per_signal("force_max", force_max, n, require_positive)
        self.max_rate = require_positive("max_rate", max_rate)
        self.dt = require_positive("dt", dt)
        _spike_mode("bernoulli", self.max_rate, self.dt)
        self._inv_force_max = 1.0 / self.force_max
        self._in_contact = np.zeros(n, dtype=np.uint8)
        self._events = np.zeros(self.n_outputs, dtype=np.uint8)
        self._rates = np.zeros(n)
        self._uniform = np.zeros(n)
        self._init_rng(seed)

    @property
    def in_contact(self) -> np.ndarray:
        """Contact state per pad (1 = in contact), after the last step."""
        return self._in_contact

    @property
    def rates(self) -> np.ndarray:
        """Rate of the sustained channel per pad (Hz), after the last step."""
        return self._rates

    @property
    def onset(self) -> np.ndarray:
        return self._events[: self.n_inputs]

    @property
    def offset(self) -> np.ndarray:
        return self._events[self.n_inputs : 2 * self.n_inputs]

    @property
    def sustained(self) -> np.ndarray:
        return self._events[2 * self.n_inputs :]

    def _clear(self) -> None:
        self._in_contact[:] = 0
        self._events[:] = 0
        self._rates[:] = 0.0

    def encode(self, x: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Events of this step for pad forces ``x`` (N), shape ``(3 * n_pads,)``."""
        x = self._input(x)
        events = self._out(out, self._events)
        assert self._rng is not None
        self._rng.random(out=self._uniform)
        bad = kernels.tactile_step(
            x, self.on_threshold, self.off_threshold, self._in_contact, self._inv_force_max,
            self.max_rate, self.dt, self._uniform, events, self._rates,
        )  # fmt: skip
        if bad >= 0:
            self._raise_nonfinite(x, bad)
        return events

    def config(self) -> dict[str, Any]:
        return {
            "n_pads": self.n_inputs,
            "on_threshold": self.on_threshold.tolist(),
            "off_threshold": self.off_threshold.tolist(),
            "force_max": self.force_max.tolist(),
            "max_rate": self.max_rate,
            "dt": self.dt,
            "seed": self.seed,
        }


def _nonnegative(name: str, value: Any) -> float:
    if _finite(name, value) < 0:
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)
