"""Every error path of the encoders and decoders: the type and a message naming the value."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.core.decoding import (
    FilteredSpikeDecoder,
    LinearDecoder,
    nef_decoders,
    solve_decoders,
)
from neurocontrol.core.encoding import (
    GaussianPopulationEncoder,
    NEFEncoder,
    PoissonEncoder,
    SendOnDeltaEncoder,
    TactileEncoder,
    reconstruct_send_on_delta,
)
from neurocontrol.errors import ConfigError, ObservationError, ShapeError, SimulationError

CONSTRUCTOR_ERRORS = [
    (lambda: SendOnDeltaEncoder(0, 0.1), r"n_signals must be an integer >= 1, got 0"),
    (lambda: SendOnDeltaEncoder(2.5, 0.1), r"n_signals must be an integer, got 2\.5"),
    (lambda: SendOnDeltaEncoder(2, 0.0), r"delta must be a finite number > 0, got 0\.0"),
    (lambda: SendOnDeltaEncoder(2, [0.1, np.nan]), r"delta\[1\] must be a finite number > 0"),
    (lambda: SendOnDeltaEncoder(2, [0.1]), r"delta must be a scalar or have shape \(2,\)"),
    (lambda: SendOnDeltaEncoder(2, "big"), r"delta must be a finite number > 0, got 'big'"),
    (lambda: SendOnDeltaEncoder(2, 0.1, max_events_per_step=0), r"max_events_per_step .*>= 1"),
    (lambda: SendOnDeltaEncoder(2, 0.1, max_events_per_step=256), r"in \[1, 255\], got 256"),
    (lambda: SendOnDeltaEncoder(2, 0.1, initial=[0, np.inf]), r"initial\[1\] must be a finite"),
    (lambda: GaussianPopulationEncoder(1, 1.0, 1.0, 5), r"high\[0\] must be > low\[0\] = 1\.0"),
    (lambda: GaussianPopulationEncoder(1, -1, 1, 1), r"n_per_signal must be an integer >= 2"),
    (lambda: GaussianPopulationEncoder(2, -1, 1, 5, width=[0.1, -0.1]), r"width\[1\] must be"),
    (
        lambda: GaussianPopulationEncoder(1, -1, 1, 5, mode="spikes"),
        r"mode must be one of 'current', 'bernoulli', 'poisson'; got 'spikes'",
    ),
    (
        lambda: GaussianPopulationEncoder(1, -1, 1, 5, mode="bernoulli", max_rate=2000.0),
        r"max_rate \* dt must be <= 1 for mode 'bernoulli'",
    ),
    (
        lambda: GaussianPopulationEncoder(1, -1, 1, 5, mode="poisson", max_rate=2e4),
        r"max_rate \* dt must be <= 10 for mode 'poisson'",
    ),
    (lambda: GaussianPopulationEncoder(1, -1, 1, 5, max_current=0), r"max_current must be"),
    (lambda: GaussianPopulationEncoder(1, -1, 1, 5, dt=-1e-3), r"dt must be a finite number > 0"),
    (lambda: GaussianPopulationEncoder(1, -1, 1, 5, seed=-1), r"seed must be an integer >= 0"),
    (lambda: PoissonEncoder(3, mode="gamma"), r"mode must be one of 'poisson', 'bernoulli'"),
    (lambda: PoissonEncoder(0), r"n_inputs must be an integer >= 1"),
    (lambda: NEFEncoder(10, 0), r"dimensions must be an integer >= 1"),
    (lambda: NEFEncoder(10, 2, radius=[1.0, 0.0]), r"radius\[1\] must be a finite number > 0"),
    (lambda: NEFEncoder(10, 1, max_rates=(0.0, 100.0)), r"max_rates must be > 0"),
    (lambda: NEFEncoder(10, 1, max_rates=(100.0, 600.0)), r"within \[0\.0, 500\.0\)"),
    (lambda: NEFEncoder(10, 1, max_rates=(300.0, 200.0)), r"max_rates must be a pair"),
    (lambda: NEFEncoder(10, 1, intercepts=(-1.0, 1.0)), r"intercepts .* within \[-1\.0, 1\.0\)"),
    (lambda: NEFEncoder(10, 1, intercepts=(-1.5, 0.0)), r"intercepts must be a pair"),
    (lambda: NEFEncoder(10, 1, intercepts=0.5), r"intercepts must be a pair .* got 0\.5"),
    (lambda: NEFEncoder(10, 1, tau_rc=0), r"tau_rc must be a finite number > 0"),
    (lambda: TactileEncoder(1, 1.0, 1.0, 5.0), r"off_threshold\[0\] must be < on_threshold\[0\]"),
    (lambda: TactileEncoder(1, 1.0, -0.5, 5.0), r"off_threshold must be a finite number >= 0"),
    (lambda: TactileEncoder(2, 1.0, 0.5, [5.0, 0.0]), r"force_max\[1\] must be a finite number"),
    (lambda: TactileEncoder(1, 1.0, 0.5, 5.0, max_rate=5000.0), r"max_rate \* dt must be <= 1"),
    (lambda: LinearDecoder(0, 2), r"n_neurons must be an integer >= 1"),
    (lambda: LinearDecoder(3, 1, decoders=[[1.0], [np.nan], [0]]), r"decoders must be finite"),
    (lambda: LinearDecoder(3, 2, output_scale=[1.0, 0.0]), r"output_scale\[1\] must be"),
    (lambda: FilteredSpikeDecoder(3, 2, tau=0.0), r"tau must be a finite number > 0, got 0\.0"),
    (lambda: FilteredSpikeDecoder(3, 2, dt=np.inf), r"dt must be a finite number > 0, got inf"),
]


@pytest.mark.parametrize(("make", "message"), CONSTRUCTOR_ERRORS)
def test_constructor_errors(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_decoder_matrix_of_wrong_shape():
    with pytest.raises(ShapeError, match=r"decoders must have shape \(3, 2\), got \(2, 3\)"):
        LinearDecoder(3, 2, decoders=np.ones((2, 3)))
    dec = LinearDecoder(3, 2)
    with pytest.raises(ShapeError, match=r"decoders must have shape \(3, 2\), got \(3,\)"):
        dec.decoders = np.ones(3)


ENCODERS = {
    "send_on_delta": lambda: SendOnDeltaEncoder(3, 0.1),
    "send_on_delta_started": lambda: SendOnDeltaEncoder(3, 0.1, initial=0.0),
    "gaussian": lambda: GaussianPopulationEncoder(3, -1, 1, 4, mode="poisson", seed=0),
    "poisson": lambda: PoissonEncoder(3, seed=0),
    "nef": lambda: NEFEncoder(20, 3, seed=0),
    "tactile": lambda: TactileEncoder(3, 1.0, 0.5, 2.0, seed=0),
}


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_encoder_input_errors(name):
    enc = ENCODERS[name]()
    with pytest.raises(ShapeError, match=r"input must have shape \(3,\), got \(4,\)"):
        enc.encode(np.zeros(4))
    with pytest.raises(ShapeError, match=r"input must have shape \(3,\), got \(1, 3\)"):
        enc.encode(np.zeros((1, 3)))
    with pytest.raises(ShapeError, match=r"input must be numeric with shape \(3,\), got str"):
        enc.encode("abc")
    with pytest.raises(ShapeError, match=r"out must be an array of shape"):
        enc.encode(np.zeros(3), out=np.zeros(enc.n_outputs, dtype=np.int16))
    before = enc.state_dict()
    with pytest.raises(ObservationError, match=r"input\[1\] is nan; inputs must be finite"):
        enc.encode(np.array([0.5, np.nan, 0.5]))
    for key, value in enc.state_dict().items():  # nothing changed
        if key != "rng_state":  # the generator draws before the kernel scans
            np.testing.assert_array_equal(value, before[key])


def test_negative_rate_is_refused():
    with pytest.raises(ObservationError, match=r"input\[2\] is -1\.0; .*finite rates >= 0"):
        PoissonEncoder(3, seed=0).encode(np.array([1.0, 2.0, -1.0]))


def test_tuning_curve_and_reconstruction_shapes():
    with pytest.raises(ShapeError, match=r"points must have shape \(n_points, 3\), got \(5, 2\)"):
        NEFEncoder(20, 3, seed=0).tuning_curves(np.zeros((5, 2)))
    with pytest.raises(ShapeError, match=r"events must have shape \(n_steps, 2 \* n_signals\)"):
        reconstruct_send_on_delta(np.zeros((10, 3)), 0.1, np.zeros(1))


@pytest.mark.parametrize("cls", [LinearDecoder, FilteredSpikeDecoder])
def test_decoder_input_errors(cls):
    dec = cls(4, 2, decoders=np.ones((4, 2)))
    dec.decode(np.array([1.0, 0.0, 1.0, 0.0]))
    state = {k: v.copy() for k, v in dec.state_dict().items()}
    with pytest.raises(ShapeError, match=r"input must be a numeric array of shape \(4,\), got"):
        dec.decode(np.zeros(5))
    with pytest.raises(ShapeError, match=r"input must be a numeric array of shape \(4,\)"):
        dec.decode(np.array(["a", "b", "c", "d"]))
    with pytest.raises(ShapeError, match=r"out must be a float64 array of shape \(2,\)"):
        dec.decode(np.zeros(4), out=np.zeros(3))
    with pytest.raises(ObservationError, match=r"input\[2\] is inf; inputs must be finite"):
        dec.decode(np.array([0.0, 0.0, np.inf, 0.0]))
    for key, value in dec.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    assert not dec.command.any() and not dec.value.any()  # no NaN left in the outputs
    dec.decoders[1, 0] = np.nan  # e.g. a learning rule diverged
    with pytest.raises(SimulationError, match=r"decoders contain NaN or inf"):
        dec.decode(np.ones(4))


def test_solver_errors():
    a = np.ones((10, 3))
    with pytest.raises(ShapeError, match=r"targets must have shape \(10,\) or \(10, n_outputs\)"):
        solve_decoders(a, np.ones(9))
    with pytest.raises(ShapeError, match=r"activities must have shape \(n_points, n_neurons\)"):
        solve_decoders(np.ones(10), np.ones(10))
    with pytest.raises(ConfigError, match=r"reg must be a finite number >= 0, got -0\.1"):
        solve_decoders(a, np.ones(10), reg=-0.1)
    with pytest.raises(ConfigError, match=r"activities must be finite"):
        solve_decoders(np.full((10, 3), np.nan), np.ones(10))
    with pytest.raises(ConfigError, match=r"encoder must be an NEFEncoder, got PoissonEncoder"):
        nef_decoders(PoissonEncoder(2), lambda x: x)
    with pytest.raises(ConfigError, match=r"n_eval_points must be an integer >= 1, got 0"):
        nef_decoders(NEFEncoder(10, 1, seed=0), lambda x: x, n_eval_points=0)
    with pytest.raises(ShapeError, match=r"targets must have shape \(50,\)"):
        nef_decoders(NEFEncoder(10, 1, seed=0), lambda x: x[:10], n_eval_points=50)
