"""Builders of the encoders: the initial state of each encoder's kernel.

An encoder builder turns a description (:mod:`neurocontrol.core.model.encoders`)
and an :class:`EncoderContext` into an :class:`EncoderBuild`: the NamedTuple
type of its state, the initial value of every field, its kernel
(:mod:`neurocontrol.core.kernels.step.encoders`) and the fields an episode start sets
back to their build values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neurocontrol.core.builder.registry import ENCODER_BUILDERS
from neurocontrol.core.model.encoders import CurrentEncoder, ReceptiveFieldEncoder
from neurocontrol.errors import ConfigError

__all__ = [
    "EncoderBuild",
    "EncoderContext",
    "build_current_encoder",
    "build_receptive_field_encoder",
]


@dataclass(frozen=True)
class EncoderContext:
    """What an encoder builder may know about its place in the network."""

    #: first entry of the encoder's signal input in the signal vector
    signal_start: int
    #: row of the target node in the population table
    population_index: int
    dt: float


@dataclass(frozen=True)
class EncoderBuild:
    """The built form of one encoder: state type, initial arrays, kernel, episode state."""

    state_type: type
    arrays: dict[str, np.ndarray]
    kernel: Callable[..., None]
    episode_state: tuple[str, ...] = ()


def _params(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


@ENCODER_BUILDERS.register(CurrentEncoder)
def build_current_encoder(encoder: CurrentEncoder, context: EncoderContext) -> EncoderBuild:
    """Built form of :class:`CurrentEncoder`: the affine map, and the send-on-delta levels."""
    from neurocontrol.core.kernels.step import encoders as k  # imported when a network needs it

    weights_t = encoder.weights.T
    dims = encoder.pre.n
    send_on_delta = encoder.delta is not None
    step = (encoder.delta or 1.0) * encoder.radius  # a level, in the signal's units
    if send_on_delta:
        weights_t = weights_t * step[:, None]  # a level crossing moves the currents by this
        offset = encoder.biases  # the currents at the origin, the centre
    else:
        offset = encoder.offset
    arrays = {
        "weights": np.ascontiguousarray(weights_t),
        "offset": np.array(offset, dtype=np.float64),
        "origin": np.array(encoder.center, dtype=np.float64),
        "inv_delta": 1.0 / step,
        "level": np.zeros(dims, dtype=np.int64),
        "events": np.zeros(2 * dims, dtype=np.uint8),
        "started": np.zeros(1, dtype=np.uint8),
        "params": _params(
            context.signal_start,
            context.population_index,
            int(send_on_delta),
            encoder.max_events_per_step,
        ),
    }
    return EncoderBuild(
        k.CurrentEncoderState,
        arrays,
        k.encode_currents,
        episode_state=("level", "events", "started") if send_on_delta else (),
    )


@ENCODER_BUILDERS.register(ReceptiveFieldEncoder)
def build_receptive_field_encoder(
    encoder: ReceptiveFieldEncoder, context: EncoderContext
) -> EncoderBuild:
    """Built form of :class:`ReceptiveFieldEncoder`: centres, widths, the peak probability."""
    from neurocontrol.core.kernels.step import encoders as k

    per_step = encoder.max_rate * context.dt
    if per_step > 1.0:
        raise ConfigError(
            f"ReceptiveFieldEncoder {encoder.name!r}: max_rate * dt must be <= 1 (one spike per "
            f"step), got {encoder.max_rate!r} * {context.dt!r} = {per_step!r}"
        )
    n = encoder.post.n
    arrays = {
        "low": np.array(encoder.low, dtype=np.float64),
        "high": np.array(encoder.high, dtype=np.float64),
        "centers": encoder.centers,
        "neg_half_inv_var": -0.5 / encoder.widths**2,
        "amplitude": np.array([per_step]),
        "uniform": np.zeros(n),
        "activation": np.zeros(n),
        "params": _params(context.signal_start, context.population_index),
    }
    return EncoderBuild(k.ReceptiveFieldState, arrays, k.encode_receptive_fields)
