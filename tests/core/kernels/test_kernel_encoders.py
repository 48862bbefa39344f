"""Encoder kernels against their references: NEF currents, send-on-delta levels, receptive fields.

``encode_currents`` every step equals :meth:`NEFEncoder.encode` given the
same encoders, gains, biases, centre and radius (the same arithmetic, to the
last bit); sent on delta, its levels and events are those of a
:class:`SendOnDeltaEncoder` starting at the centre (property-based over
random signal paths) and its currents those of the reference levels; an
episode start sets the levels back to the centre. ``encode_receptive_fields``
spikes where this step's uniform draw is below the Gaussian field's
probability, computed here in NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neurocontrol.core.encoding import NEFEncoder, SendOnDeltaEncoder
from neurocontrol.core.kernels.coding import lif_rates_inplace
from neurocontrol.core.simulator import Simulator

DT = 1e-3
N_ENS, N_RATE, PER_SIGNAL = 16, 6, 4
CENTER, RADIUS = np.array([0.2, -0.1]), np.array([1.0, 2.0])


def nef_twin(sim: Simulator, encoder_name: str) -> NEFEncoder:
    """A standalone NEF encoder with the tuning of the network's encoder ``encoder_name``."""
    encoder = next(e for e in sim.network.encoders if e.name == encoder_name)
    nef = NEFEncoder(encoder.post.n, encoder.pre.n, center=encoder.center, radius=encoder.radius)
    nef.load_state_dict(
        {"encoders": encoder.encoders, "gains": encoder.gains, "biases": encoder.biases}
    )
    return nef


def level_reference(delta: float, max_events: int) -> SendOnDeltaEncoder:
    """Send-on-delta of the ``q`` signals with levels ``delta`` radii apart, from the centre."""
    return SendOnDeltaEncoder(
        2, delta * RADIUS, max_events_per_step=max_events, initial=CENTER.copy()
    )


def signals(q: np.ndarray, f: float = 0.0) -> np.ndarray:
    return np.array([q[0], q[1], f])


@pytest.fixture(scope="module")
def dense(make_signal_network):
    return Simulator(make_signal_network(delta=None), dt=DT, seed=4)


@settings(max_examples=20, deadline=None)
@given(q=arrays(np.float64, 2, elements=st.floats(-4.0, 4.0)))
def test_currents_every_step_are_the_nef_encoders(dense, q):
    dense.step(signals=signals(q))
    np.testing.assert_array_equal(dense.state["ens.i_ext"], nef_twin(dense, "q_ens").encode(q))
    currents = nef_twin(dense, "q_rates").encode(q)
    np.testing.assert_array_equal(dense.state["rates.i_ext"], currents)
    rates = np.zeros(N_RATE)  # this step's signal reached this step's neurons
    lif_rates_inplace(currents, 0.02, 0.002, rates, np.zeros(N_RATE), np.zeros(N_RATE, np.int32))
    np.testing.assert_array_equal(dense.state["rates.rate"], rates)
    assert dense.operation_counts()["encoders"] == {
        "synops": 0,
        "neuron_updates": 0,
        "macs": (N_ENS + N_RATE) * 2 + PER_SIGNAL,
    }


@st.composite
def signal_paths(draw: st.DrawFn) -> np.ndarray:
    """Random walks of ``q`` from the centre, with jumps of up to a radius per step."""
    steps = draw(st.integers(1, 40))
    moves = draw(arrays(np.float64, (steps, 2), elements=st.floats(-1.0, 1.0)))
    return CENTER + np.cumsum(moves * RADIUS * 0.5, axis=0)


def check_levels(sim: Simulator, reference: SendOnDeltaEncoder, q: np.ndarray, nef) -> None:
    """Step ``sim`` and ``reference`` on ``q``: same events, levels and NEF currents."""
    events = reference.encode(q)
    sim.step(signals=signals(q))
    np.testing.assert_array_equal(sim.state["q_ens.events"], events)
    level = sim.state["q_ens.level"]
    np.testing.assert_array_equal(CENTER + level * reference.delta, reference.reference)
    np.testing.assert_allclose(
        sim.state["ens.i_ext"], nef.encode(reference.reference), rtol=1e-12, atol=1e-12
    )
    counts = sim.operation_counts()["encoders"]
    assert counts["synops"] == int(events.sum()) * N_ENS


@settings(max_examples=20, deadline=None)
@given(
    path=signal_paths(),
    delta=st.floats(0.02, 0.5),
    max_events=st.integers(1, 4),
)
def test_send_on_delta_levels_events_and_currents_follow_the_reference(
    make_signal_network, path, delta, max_events
):
    sim = Simulator(make_signal_network(delta=delta, max_events=max_events), dt=DT)
    reference, nef = level_reference(delta, max_events), nef_twin(sim, "q_ens")
    for q in path:
        check_levels(sim, reference, q, nef)


def test_a_jump_emits_at_most_max_events_per_step_and_the_rest_later(make_signal_network):
    sim = Simulator(make_signal_network(delta=0.1, max_events=3), dt=DT)
    reference, nef = level_reference(0.1, 3), nef_twin(sim, "q_ens")
    target = CENTER + np.array([1.05, -0.42]) * RADIUS  # 10 levels up, 4 down
    events = []
    for _ in range(5):
        check_levels(sim, reference, target, nef)
        events.append(sim.state["q_ens.events"].copy())
    np.testing.assert_array_equal(
        np.array(events), [[3, 0, 0, 3], [3, 0, 0, 1], [3, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(sim.state["q_ens.level"], [10, -4])


def test_an_episode_restarts_the_levels_from_the_centre(make_signal_network):
    sim = Simulator(make_signal_network(delta=0.05, max_events=255), dt=DT)
    reference, nef = level_reference(0.05, 255), nef_twin(sim, "q_ens")
    rng = np.random.default_rng(0)
    for q in CENTER + rng.normal(0.0, 0.5, (30, 2)):
        check_levels(sim, reference, q, nef)
    assert np.abs(sim.state["q_ens.level"]).max() > 3
    sim.reset_state()
    np.testing.assert_array_equal(sim.state["q_ens.level"], 0)
    np.testing.assert_array_equal(sim.state["q_ens.started"], 0)
    reference.reset()
    for q in CENTER + rng.normal(0.0, 0.5, (30, 2)):
        check_levels(sim, reference, q, nef)


def receptive_fields(x: float, per_signal: int, max_rate: float) -> np.ndarray:
    """Spike probability per step of each afferent on [-1, 1] (width: the spacing)."""
    centers = np.linspace(-1.0, 1.0, per_signal)
    width = 2.0 / (per_signal - 1)
    distance = np.clip(x, -1.0, 1.0) - centers
    return max_rate * DT * np.exp(-0.5 / width**2 * distance**2)


@pytest.mark.parametrize("per_signal", [4, 9])
def test_receptive_fields_spike_where_the_uniform_draw_is_below_the_field(
    make_signal_network, per_signal
):
    sim = Simulator(make_signal_network(per_signal=per_signal, max_rate=600.0), dt=DT, seed=9)
    aff = sim.slice_of("aff")
    rng = np.random.default_rng(1)
    total, draws = 0, []
    for f in rng.uniform(-1.5, 1.5, 300):  # beyond the range: clipped to its ends
        spikes = sim.step(signals=signals(CENTER, f))[aff]
        uniform = sim.state["f_aff.uniform"].copy()
        probability = receptive_fields(f, per_signal, 600.0)
        np.testing.assert_allclose(sim.state["f_aff.activation"], probability, rtol=1e-14)
        np.testing.assert_array_equal(spikes, uniform < probability)
        assert sim.spike_counts()["aff"] == spikes.sum()
        total += int(spikes.sum())
        draws.append(uniform)
    assert sim.total_spikes()["aff"] == total > 50
    draws = np.array(draws)
    assert draws.min() >= 0.0 and draws.max() < 1.0 and abs(draws.mean() - 0.5) < 0.03
    # the draws come from the network's generator: its seed picks them
    again = Simulator(make_signal_network(per_signal=per_signal, max_rate=600.0), dt=DT, seed=9)
    other = Simulator(make_signal_network(per_signal=per_signal, max_rate=600.0), dt=DT, seed=10)
    again.step(signals=signals(CENTER))
    other.step(signals=signals(CENTER))
    np.testing.assert_array_equal(again.state["f_aff.uniform"], draws[0])
    assert not np.array_equal(other.state["f_aff.uniform"], draws[0])
