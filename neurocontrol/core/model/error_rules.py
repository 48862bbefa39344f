"""Error-driven learning: PES (prescribed error sensitivity) on a projection."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from neurocontrol.core.model._checks import (
    check_int,
    check_name,
    check_nonnegative,
    check_optional_positive,
)
from neurocontrol.core.model.rules import LearningRule
from neurocontrol.errors import ConfigError, ShapeError
from neurocontrol.utils.validation import require_finite_array

__all__ = ["PES"]


@dataclass(frozen=True, eq=False)
class PES(LearningRule):
    r"""Prescribed error sensitivity (MacNeil & Eliasmith 2011, PLoS ONE 6:e22885).

    Each step the error vector :math:`E \in \mathbb{R}^D` (the broadcast
    third factor, e.g. decoded output minus target) is projected onto the
    postsynaptic neurons, :math:`e_j = \sum_d P_{jd} E_d`, and every weight
    moves against it in proportion to the filtered presynaptic activity
    :math:`a_i` (Hz):

    .. math::

        \Delta w_{ij} = -\kappa \, \Delta t \, a_i \, e_j, \qquad
        a_i[n] = \lambda\, a_i[n-1] + \frac{1-\lambda}{\Delta t} s_i[n], \quad
        \lambda = e^{-\Delta t/\tau_{pre}}

    (:math:`s_i[n] \in \{0, 1\}` the spikes; :math:`a_i` is a unit-area
    low-pass of the spike train, so a neuron firing at :math:`f` Hz has
    :math:`a_i \approx f`). With ``pre_tau=None`` the activity is the spike
    train itself, :math:`a_i[n] = s_i[n] / \Delta t`: each spike moves its
    row by :math:`-\kappa\, e_j` and silent neurons cost nothing, with the
    same mean as the filtered rule (event-driven PES). A rate-model
    presynaptic population delivers :math:`r_i \Delta t` in place of
    :math:`s_i`, so there :math:`a_i = r_i` unfiltered. :math:`\kappa` is the
    weight change per second per Hz of activity per unit of error, not
    normalised by the number of neurons (Nengo divides by it). When the
    projection is a readout whose weights are decoders (the postsynaptic
    current low-passed with the same :math:`\tau` and scaled by
    :math:`(1-\lambda)/\Delta t` is the decoded value :math:`\sum_i w_{ij}
    a_i`), :math:`P` is the identity and :math:`E` has one entry per
    postsynaptic neuron. For a projection onto an ensemble, :math:`P` holds
    the postsynaptic encoders (times gains), ``[n_post, D]``.

    Parameters
    ----------
    learning_rate : float
        :math:`\kappa` (>= 0): per second per Hz per unit error
        (DeWolf et al. 2016 use about 1e-5 for 1000 neurons on an arm).
    pre_tau : float or None
        Time constant of the presynaptic activity filter, seconds (> 0); None:
        no filter (per spike, or the instantaneous rates).
    error_dims : int or None
        :math:`D`; None: the number of postsynaptic neurons (identity
        :math:`P`) or the columns of ``encoders``.
    encoders : array [n_post, D] or None
        Projection :math:`P` of the error onto postsynaptic neurons; None is
        the identity (then ``D`` must equal the number of postsynaptic
        neurons).
    decay_tau : float or None
        Time constant (s, > 0) of a weight decay: every weight of the
        projection is multiplied by :math:`e^{-\Delta t/\tau_{decay}}` each
        step, so what the rule learned fades unless the error keeps asking for
        it (the fast process of a two-rate model, Smith, Ghazizadeh & Shadmehr
        2006). The decay belongs to the memory, not to learning: frozen
        (``set_plasticity(False)``) the error-driven changes stop but the
        weights keep fading, as the fast process forgets in error-clamp
        trials. None: no decay (frozen weights stay as they are).
    decay_period : float or None
        With ``decay_tau``: the decay is applied once per this period (s, > 0;
        rounded to whole steps, at least one) by :math:`e^{-T/\tau_{decay}}`,
        at the end of every :math:`T`-th step, instead of every step; the same
        forgetting at a fraction of the cost of the pass over the weights.
        None: every step.
    name : str or None
        Name of the rule in state keys (default ``"pes"``).
    """

    kind: ClassVar[str] = "PES"
    default_name: ClassVar[str] = "pes"

    learning_rate: float = 1e-5
    pre_tau: float | None = 0.005
    error_dims: int | None = None
    encoders: Any = None
    name: str | None = None
    decay_tau: float | None = dataclasses.field(default=None, metadata={"omit_default": True})
    decay_period: float | None = dataclasses.field(default=None, metadata={"omit_default": True})

    def __post_init__(self) -> None:
        check_nonnegative(self, "learning_rate")
        check_optional_positive(self, "pre_tau")
        check_optional_positive(self, "decay_tau")
        check_optional_positive(self, "decay_period")
        if self.decay_period is not None and self.decay_tau is None:
            raise ConfigError(
                f"PES.decay_period={self.decay_period!r} needs a decay_tau (got None); "
                f"accepted: decay_period with decay_tau, or neither"
            )
        if self.error_dims is not None:
            check_int(self, "error_dims", minimum=1)
        if self.encoders is not None:
            encoders = require_finite_array("PES.encoders", self.encoders)
            if encoders.ndim != 2 or encoders.shape[1] < 1:
                raise ShapeError(
                    f"PES.encoders must be a 2-D array [n_post, error_dims], "
                    f"got shape {encoders.shape}"
                )
            if self.error_dims is not None and encoders.shape[1] != self.error_dims:
                raise ShapeError(
                    f"PES.encoders has {encoders.shape[1]} columns but error_dims="
                    f"{self.error_dims}; they must match"
                )
            encoders = encoders.copy()
            encoders.setflags(write=False)
            object.__setattr__(self, "encoders", encoders)
        check_name(self, "name")

    def check_projection(self, projection_name: str, n_post: int) -> int:
        """Return the error dimension on a projection to ``n_post`` neurons, or raise ShapeError."""
        if self.encoders is not None:
            rows, dims = self.encoders.shape
            if rows != n_post:
                raise ShapeError(
                    f"PES on projection {projection_name!r}: encoders have {rows} rows but the "
                    f"projection has {n_post} postsynaptic neurons; accepted: encoders of shape "
                    f"({n_post}, error_dims)"
                )
            return int(dims)
        dims = n_post if self.error_dims is None else self.error_dims
        if dims != n_post:
            raise ShapeError(
                f"PES on projection {projection_name!r}: error dimension {dims} does not match "
                f"the {n_post} postsynaptic neurons; without encoders the error has one entry "
                f"per postsynaptic neuron (error_dims={n_post} or None), or give encoders of "
                f"shape ({n_post}, {dims})"
            )
        return int(dims)
