"""Tactile encoder: onset/offset with hysteresis, force-proportional rate channel."""

from __future__ import annotations

import numpy as np

from neurocontrol.core.encoding import TactileEncoder


def press_profile(n_steps: int = 3000, seed: int = 0) -> np.ndarray:
    """Two pads: ramp up, hold near the onset threshold with solver noise, release."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    force = np.interp(t, [0, 500, 1000, 2000, 2500, 3000], [0, 0, 3.0, 3.0, 0, 0])
    pad_b = np.interp(
        t, [0, 800, 850, 2200, 2250, 3000], [0, 0, 1.0, 1.0, 0, 0]
    )  # hovers at the threshold
    noisy = np.column_stack([force, pad_b]) + rng.normal(scale=0.1, size=(n_steps, 2))
    return noisy.clip(0, None)


def test_hysteresis_gives_one_onset_and_one_offset_despite_noise():
    forces = press_profile()
    enc = TactileEncoder(2, on_threshold=1.0, off_threshold=0.4, force_max=5.0, seed=0)
    events = np.array([enc.encode(f).copy() for f in forces])
    onset, offset = events[:, :2], events[:, 2:4]
    np.testing.assert_array_equal(onset.sum(0), [1, 1])
    np.testing.assert_array_equal(offset.sum(0), [1, 1])
    t_on, t_off = onset[:, 0].argmax(), offset[:, 0].argmax()
    assert 500 < t_on < 1000 and 2000 < t_off < 2500
    assert forces[t_on, 0] >= 1.0 and forces[t_off, 0] <= 0.4
    # without hysteresis the same noise would chatter at the threshold
    crossings = np.abs(np.diff((forces[:, 1] >= 1.0).astype(int))).sum()
    assert crossings > 20


def test_state_holds_between_thresholds():
    enc = TactileEncoder(1, 1.0, 0.5, 2.0, seed=0)
    sequence = [0.9, 1.0, 0.6, 0.99, 0.51, 0.5, 0.8, 0.99, 1.2]
    onsets, offsets, contact = [], [], []
    for f in sequence:
        enc.encode(np.array([f]))
        onsets.append(int(enc.onset[0]))
        offsets.append(int(enc.offset[0]))
        contact.append(int(enc.in_contact[0]))
    assert onsets == [0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert offsets == [0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert contact == [0, 1, 1, 1, 1, 0, 0, 0, 1]


def test_rate_channel_is_proportional_to_force():
    n_steps = 20000
    enc = TactileEncoder(3, [1.0, 1.0, 1.0], [0.5, 0.5, 0.5], [10.0, 10.0, 4.0],
                         max_rate=400.0, seed=7)  # fmt: skip
    force = np.array([2.0, 6.0, 20.0])
    spikes = np.zeros(3)
    for _ in range(n_steps):
        spikes += enc.encode(force)[6:]
    want = np.array([80.0, 240.0, 400.0])  # clipped at force_max
    np.testing.assert_allclose(enc.rates, want, rtol=1e-15)
    p = want * 1e-3
    assert (np.abs(spikes / n_steps - p) < 5 * np.sqrt(p * (1 - p) / n_steps)).all()
    np.testing.assert_array_equal(enc.sustained, enc.encode(np.zeros(3))[6:])
    assert enc.rates.sum() == 0


def test_reset_clears_contact():
    enc = TactileEncoder(1, 1.0, 0.5, 2.0, seed=0)
    enc.encode(np.array([3.0]))
    assert enc.in_contact[0] == 1
    enc.reset()
    assert enc.in_contact[0] == 0
    assert enc.encode(np.array([3.0]))[0] == 1  # onset again
