"""Send-on-delta: reconstruction within delta, event counts, the rate cap, reset."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.encoding import SendOnDeltaEncoder, reconstruct_send_on_delta


def reach_trajectory(n_steps: int = 3000, dt: float = 1e-3, seed: int = 0) -> np.ndarray:
    """(q1, q2, dq1, dq2) of a 2-link arm: minimum-jerk reaches, a tremor and sensor noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps) * dt
    q = np.zeros((n_steps, 2))
    start = np.array([0.3, 1.2])
    for k, target in enumerate([np.array([0.9, 0.6]), np.array([-0.2, 1.5]), start]):
        s = np.clip((t - k * 1.0) / 0.8, 0, 1)[:, None]
        blend = 10 * s**3 - 15 * s**4 + 6 * s**5
        previous = start if k == 0 else q[int(k * 1.0 / dt) - 1]
        mask = t >= k * 1.0
        q[mask] = (previous + (target - previous) * blend)[mask]
    q += 0.01 * np.sin(2 * np.pi * 9 * t)[:, None]
    dq = np.gradient(q, dt, axis=0)
    signal = np.hstack([q, dq]) + rng.normal(scale=[1e-4, 1e-4, 1e-3, 1e-3], size=(n_steps, 4))
    return signal


def run(encoder: SendOnDeltaEncoder, signal: np.ndarray) -> np.ndarray:
    return np.array([encoder.encode(x).copy() for x in signal])


def test_reconstruction_within_delta_on_arm_trajectory():
    signal = reach_trajectory()
    delta = np.array([0.005, 0.005, 0.05, 0.05])
    max_jump = np.abs(np.diff(signal, axis=0)).max(axis=0)
    max_events = int(np.ceil((max_jump / delta).max())) + 1
    encoder = SendOnDeltaEncoder(4, delta, max_events_per_step=max_events)
    events = run(encoder, signal)
    rebuilt = reconstruct_send_on_delta(events, delta, encoder.origin)
    np.testing.assert_array_equal(rebuilt[0], signal[0])  # the origin, no events yet
    error = np.abs(rebuilt - signal)
    assert (error < delta * (1 + 1e-9)).all(), error.max(axis=0) / delta
    # the encoder's own reference is the receiver's reconstruction, exactly
    np.testing.assert_array_equal(encoder.reference, rebuilt[-1])
    # and the code is sparse: far fewer events than steps x signals
    assert 50 < events.sum() < 0.5 * events.size


def test_binary_events_keep_within_delta_when_signal_is_slow():
    t = np.arange(2000) * 1e-3
    signal = np.column_stack([np.sin(2 * np.pi * t), 0.5 * np.cos(3 * t)])
    delta = 0.01  # max change per step is 2 pi 1e-3 < delta
    encoder = SendOnDeltaEncoder(2, delta)
    events = run(encoder, signal)
    assert events.max() == 1
    assert not (events[:, 0::2] & events[:, 1::2]).any()  # never ON and OFF together
    rebuilt = reconstruct_send_on_delta(events, delta, encoder.origin)
    assert np.abs(rebuilt - signal).max() < delta


def test_jump_emits_a_count_then_the_rest_on_later_steps():
    encoder = SendOnDeltaEncoder(1, 0.1, max_events_per_step=3, initial=0.0)
    np.testing.assert_array_equal(encoder.encode(np.array([0.75])), [3, 0])
    np.testing.assert_array_equal(encoder.encode(np.array([0.75])), [3, 0])
    np.testing.assert_array_equal(encoder.encode(np.array([0.75])), [1, 0])  # 0.7 reached
    np.testing.assert_array_equal(encoder.encode(np.array([0.75])), [0, 0])
    np.testing.assert_allclose(encoder.reference, [0.7])
    np.testing.assert_array_equal(encoder.encode(np.array([0.49])), [0, 2])
    np.testing.assert_allclose(encoder.reference, [0.5])


def test_per_signal_deltas_and_symmetry():
    encoder = SendOnDeltaEncoder(2, [0.1, 1.0], max_events_per_step=255, initial=[0.0, 0.0])
    np.testing.assert_array_equal(encoder.encode(np.array([0.35, 0.35])), [3, 0, 0, 0])
    np.testing.assert_array_equal(encoder.encode(np.array([0.05, -2.5])), [0, 2, 0, 2])


def test_first_sample_sets_origin_without_events_and_reset_forgets_it():
    encoder = SendOnDeltaEncoder(2, 0.1)
    np.testing.assert_array_equal(encoder.encode(np.array([5.0, -3.0])), [0, 0, 0, 0])
    np.testing.assert_array_equal(encoder.origin, [5.0, -3.0])
    np.testing.assert_array_equal(encoder.encode(np.array([5.15, -3.15])), [1, 0, 0, 1])
    encoder.reset()
    np.testing.assert_array_equal(encoder.encode(np.array([1.0, 1.0])), [0, 0, 0, 0])
    np.testing.assert_array_equal(encoder.reference, [1.0, 1.0])


def test_out_argument_receives_events_and_buffer_is_reused():
    encoder = SendOnDeltaEncoder(1, 0.1, initial=0.0)
    first = encoder.encode(np.array([0.2]))
    assert encoder.encode(np.array([0.2])) is first  # preallocated, no new array
    out = np.zeros(2, dtype=np.uint8)
    assert encoder.encode(np.array([-0.2]), out=out) is out
    np.testing.assert_array_equal(out, [0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_other_input_dtypes_and_sequences_are_accepted(dtype):
    encoder = SendOnDeltaEncoder(2, 0.5, initial=0.0)
    np.testing.assert_array_equal(encoder.encode(np.array([1, -1], dtype=dtype)), [1, 0, 0, 1])
    np.testing.assert_array_equal(encoder.encode([2.0, -2.0]), [1, 0, 0, 1])
