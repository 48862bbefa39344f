"""Simulator API of signal inputs, encoders and outputs: layout, forms of the signals, refusals.

Every refusal says what was wrong, and a refused step changes nothing (the
whole state dict compared before and after).
"""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ConfigError, ObservationError, ShapeError

DT = 1e-3


@pytest.fixture(scope="module")
def sim(make_signal_network):
    return Simulator(make_signal_network(), dt=DT, seed=2)


def assert_same_state(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> None:
    assert before.keys() == after.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


def test_layout_of_signals_events_and_nodes(sim):
    assert sim.n_signals == 3 and sim.signal_slice("q") == slice(0, 2)
    assert sim.signal_slice("f") == slice(2, 3)
    assert sim.n_inputs == 3 and sim.input_slice("cmd") == slice(0, 3)  # aff: its encoder's
    assert [node.name for node in sim.built.node_order] == ["cmd", "aff", "ens", "rates", "out"]
    assert sim.slice_of("aff") == slice(3, 7) and sim.slice_of("out") == slice(29, 31)
    for key in ("out.value", "rates.rate", "rates.i_ext", "q_ens.level", "f_aff.uniform"):
        assert key in sim.state
    assert "out.v" not in sim.state and "rates.v" not in sim.state


def test_the_mapping_form_steps_as_the_vector_form(make_signal_network):
    by_vector = Simulator(make_signal_network(), dt=DT, seed=2)
    by_name = Simulator(make_signal_network(), dt=DT, seed=2)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, events = rng.normal(size=3), rng.random(3) < 0.5
        by_vector.step(events, x)
        by_name.step({"cmd": events}, {"f": x[2:], "q": list(x[:2])})
    assert_same_state(by_vector.state_dict(), by_name.state_dict())


def test_missing_or_misshapen_signals_are_refused(sim):
    before = sim.state_dict()
    with pytest.raises(ConfigError, match=r"has signal inputs \(q, f\): step needs signals"):
        sim.step()
    with pytest.raises(
        ShapeError, match=r"signals \(the signal inputs q, f\) must have shape \(3,\), got \(2,\)"
    ):
        sim.step(signals=np.zeros(2))
    with pytest.raises(
        ShapeError, match=r"signals \(the signal inputs q, f\) must have shape \(3,\), got \(3, 1\)"
    ):
        sim.step(signals=np.zeros((3, 1)))
    with pytest.raises(
        ShapeError,
        match=r"signals \(the signal inputs q, f\) must be numeric with shape \(3,\), got str",
    ):
        sim.step(signals="abc")
    with pytest.raises(ConfigError, match=r"signals: missing signal input\(s\) \['f'\]"):
        sim.step(signals={"q": np.zeros(2)})
    with pytest.raises(ShapeError, match=r"signals\['q'\] must have shape \(2,\), got \(3,\)"):
        sim.step(signals={"q": np.zeros(3), "f": [0.0]})
    with pytest.raises(ShapeError, match=r"signals\['q'\] must be numeric with shape \(2,\)"):
        sim.step(signals={"q": ["a", "b"], "f": [0.0]})
    with pytest.raises(ConfigError, match=r"no signal input 'ens'; signal inputs: q, f"):
        sim.step(signals={"q": np.zeros(2), "f": [0.0], "ens": [1.0]})
    with pytest.raises(ConfigError, match=r"Input 'aff' takes its spikes from its encoder"):
        sim.step({"aff": np.ones(4)}, np.zeros(3))
    assert_same_state(before, sim.state_dict())


@pytest.mark.parametrize(
    ("signals", "message"),
    [
        (np.array([0.0, np.nan, 0.0]), r"signal input 'q' entry 1 is nan"),
        (np.array([0.0, 0.0, np.inf]), r"signal input 'f' entry 0 is inf"),
        ({"q": [-np.inf, 0.0], "f": [0.0]}, r"signal input 'q' entry 0 is -inf"),
    ],
    ids=["nan", "inf", "by-name"],
)
def test_a_non_finite_signal_steps_nothing(sim, signals, message):
    sim.step(np.ones(3, bool), np.array([0.3, -0.2, 0.5]))  # something to keep
    before = sim.state_dict()
    with pytest.raises(ObservationError, match=message + r"; signals must be finite"):
        sim.step(np.ones(3, bool), signals)
    assert_same_state(before, sim.state_dict())


def test_names_that_are_not_signal_inputs_inputs_or_projections_are_refused(sim):
    with pytest.raises(ConfigError, match=r"Input 'aff' takes its spikes from its encoder, not"):
        sim.input_slice("aff")
    with pytest.raises(ConfigError, match=r"no signal input 'cmd'; signal inputs: q, f"):
        sim.signal_slice("cmd")
    with pytest.raises(ConfigError, match=r"'q' is a SignalInput, not an Input"):
        sim.input_slice("q")
    with pytest.raises(ConfigError, match=r"'out' is a Output, not an Input"):
        sim.input_slice("out")
    with pytest.raises(ConfigError, match=r"run\(\) drives events only"):
        sim.run(3)
    with pytest.raises(ConfigError, match=r"no projection 'missing'; projections: cmd_ens"):
        sim.weights("missing")


def test_weights_of_an_encoder_or_rule_are_not_a_projection_s(sim):
    """An encoder's state has weights too; ``weights()`` names projections only."""
    assert "q_ens.weights" in sim.state
    for name in ("q_ens", "ens_out.pes"):
        with pytest.raises(ConfigError, match=rf"no projection '{name}'; projections: cmd_ens"):
            sim.weights(name)
        with pytest.raises(ConfigError, match=rf"no projection '{name}'"):
            sim.weight_matrix(name)


def test_signals_to_a_network_without_signal_inputs_are_refused(make_rate_network):
    sim = Simulator(make_rate_network(), dt=DT)
    assert sim.n_signals == 0
    with pytest.raises(ConfigError, match=r"this network has no SignalInput"):
        sim.step(signals=np.zeros(1))
    with pytest.raises(ConfigError, match=r"no signal input 'q'; signal inputs: none"):
        sim.signal_slice("q")
    assert sim.n_steps == 0


def test_the_error_of_pes_is_copied_and_checked_on_the_fast_path(sim):
    error = np.array([0.5, -1.0])
    sim.set_third_factor("ens_out.pes", error)
    error[0] = 7.0  # a copy was taken
    np.testing.assert_array_equal(sim.state["ens_out.pes.error"], [0.5, -1.0])
    with pytest.raises(ConfigError, match=r"ens_out\.pes\.error must be finite"):
        sim.set_third_factor("ens_out.pes", np.array([np.nan, 0.0]))
    with pytest.raises(ShapeError, match=r"ens_out\.pes\.error must have shape \(2,\)"):
        sim.set_third_factor("ens_out.pes", np.zeros(3))
    np.testing.assert_array_equal(sim.state["ens_out.pes.error"], [0.5, -1.0])  # kept
    sim.set_third_factor("rates_out.pes", 0.25)  # a scalar: every entry
    np.testing.assert_array_equal(sim.state["rates_out.pes.error"], [0.25, 0.25])
