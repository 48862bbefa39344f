"""PES on a projection: kernel against NumPy, and learning a function from the error alone.

Validation 4: 1000 LIF neurons represent x (NEF tuning curves set through
their input current); a readout projection starting at zero weights learns
sin(pi x) on [-1, 1] and the 2-D map z -> z^2, i.e. (x0 x1, x0^2 - x1^2), on
the unit disk, from the error (decoded output minus the target, both seen
through the readout synapse). RMSE is measured after 30 s of simulated
training, with learning off, at fixed test inputs (mean decoded output over
100 ms).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocontrol.core.model import (
    LIF,
    PES,
    AllToAll,
    FixedProbability,
    Network,
    Population,
    Projection,
)
from neurocontrol.core.simulator import Simulator
from neurocontrol.errors import ShapeError

DT = 1e-3
N = 1000
TAU = 0.01  # readout synapse = PES activity filter


def ensemble_currents(dims: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Encoders x gains [N, dims] and biases of LIF tuning curves (intercepts, 100-200 Hz)."""
    encoders = rng.normal(size=(N, dims))
    encoders /= np.linalg.norm(encoders, axis=1, keepdims=True)
    intercepts = rng.uniform(-0.9, 0.9, N)
    max_rates = rng.uniform(100.0, 200.0, N)
    j_max = 1.0 / (1.0 - np.exp((0.002 - 1.0 / max_rates) / 0.02))
    gains = (j_max - 1.0) / (1.0 - intercepts)
    return encoders * gains[:, None], 1.0 - gains * intercepts


def readout_network(n_pre: int, n_out: int, rule: PES, connectivity=None) -> Network:
    ens = Population(n_pre, LIF(tau_m=0.02, tau_ref=0.002), name="ens")
    out = Population(n_out, LIF(tau_syn=TAU, v_th=1e12), name="out")  # never fires
    projection = Projection(ens, out, connectivity or AllToAll(), 0.0, rule=rule, name="readout")
    return Network([ens, out], [projection])


def triangle(phase: float) -> float:
    phase %= 1.0
    return 2.0 * phase if phase < 0.5 else 2.0 - 2.0 * phase


def input_1d(t: float) -> np.ndarray:
    return np.array([2.0 * triangle(t) - 1.0])  # 1 s sweeps of [-1, 1]


def input_2d(t: float) -> np.ndarray:
    radius = 0.95 * math.sqrt(triangle(t / 1.7))  # area-uniform over the disk
    angle = 2.0 * math.pi * t / 0.4
    return np.array([radius * math.cos(angle), radius * math.sin(angle)])


def sine(x: np.ndarray) -> np.ndarray:
    return np.array([math.sin(math.pi * x[0])])


def square_map(x: np.ndarray) -> np.ndarray:
    return np.array([x[0] * x[1], x[0] ** 2 - x[1] ** 2])


def learn(function, signal, test_points, dims, learning_rate, seed, seconds=30.0) -> float:
    """Train for ``seconds`` on ``signal(t)``, then return the RMSE at ``test_points``."""
    rng = np.random.default_rng(seed)
    scaled_encoders, biases = ensemble_currents(dims, rng)
    n_out = len(function(test_points[0]))
    sim = Simulator(readout_network(N, n_out, PES(learning_rate, pre_tau=TAU)), seed=seed)
    current, i_syn = sim.state["ens.i_ext"], sim.state["out.i_syn"]
    error = sim.state["readout.pes.error"]
    decay = math.exp(-DT / TAU)
    to_output = (1.0 - decay) / DT  # decoded value = i_syn (1 - decay) / dt
    target = np.zeros(n_out)
    previous = np.zeros(n_out)
    for n in range(round(seconds / DT)):
        x = signal(n * DT)
        np.dot(scaled_encoders, x, out=current)
        current += biases
        sim.step()
        # the output sees last step's spikes through the synapse: so does the target
        target = decay * target + (1.0 - decay) * previous
        previous = function(x)
        np.subtract(i_syn * to_output, target, out=error)
    sim.set_plasticity(False)
    errors = []
    for x in test_points:
        np.dot(scaled_encoders, x, out=current)
        current += biases
        total = np.zeros(n_out)
        for k in range(150):
            sim.step()
            if k >= 50:
                total += i_syn * to_output
        errors.append(total / 100 - function(x))
    return float(np.sqrt(np.mean(np.square(errors))))


POINTS_1D = np.linspace(-1.0, 1.0, 41)[:, None]
_GRID = np.linspace(-0.9, 0.9, 11)
POINTS_2D = np.array([(a, b) for a in _GRID for b in _GRID if a * a + b * b <= 0.81 + 1e-9])


@pytest.mark.parametrize("seed", [0, 1])
def test_pes_learns_sine_from_the_error_alone(seed):
    rmse = learn(sine, input_1d, POINTS_1D, 1, 3e-6, seed)
    print(f"\nPES, 1000 LIF neurons, sin(pi x) after 30 s (seed {seed}): RMSE {rmse:.4f}")
    assert rmse < 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_pes_learns_a_2d_nonlinear_map(seed):
    rmse = learn(square_map, input_2d, POINTS_2D, 2, 4e-6, seed)
    print(
        f"\nPES, 1000 LIF neurons, (x0 x1, x0^2 - x1^2) after 30 s (seed {seed}): RMSE {rmse:.4f}"
    )
    assert rmse < 0.05


def test_pes_with_learning_rate_zero_learns_nothing():
    rmse = learn(sine, input_1d, POINTS_1D, 1, 0.0, 0, seconds=5.0)
    print(f"\nPES with learning rate 0: RMSE {rmse:.4f}")
    assert rmse > 0.5  # the output stays at zero: RMSE of sin(pi x) is 0.7


def pes_reference(rule, w0, mask, pre_raster, errors, encoders):
    """Float32 weights and float64 activities after replaying spikes and errors."""
    decay = math.exp(-DT / rule.pre_tau)
    weights, activity = w0.astype(np.float32).copy(), np.zeros(w0.shape[0])
    for spikes, error in zip(pre_raster, errors, strict=True):
        activity = activity * decay + spikes * (1.0 - decay) / DT
        projected = error if encoders is None else encoders @ error
        change = -rule.learning_rate * DT * np.outer(activity, projected)
        touched = mask & (change != 0)
        weights = np.where(touched, (weights.astype(np.float64) + change), weights)
        weights = weights.astype(np.float32)
    return weights, activity


@pytest.mark.parametrize(
    "connectivity", [AllToAll(), FixedProbability(0.5)], ids=["dense", "sparse"]
)
@pytest.mark.parametrize("projected", [False, True], ids=["identity", "encoders"])
def test_pes_kernel_matches_numpy(connectivity, projected):
    n_pre, n_out, steps = 40, 3, 400
    rng = np.random.default_rng(7)
    encoders = rng.normal(size=(n_out, 2)) if projected else None
    rule = PES(learning_rate=1e-4, encoders=encoders)
    sim = Simulator(readout_network(n_pre, n_out, rule, connectivity), seed=2)
    sim.set_current("ens", rng.uniform(0.5, 3.0, n_pre))
    mask = np.ones((n_pre, n_out), bool)
    if sim.state["readout.weights"].ndim == 1:
        indptr, indices = sim.state["readout.indptr"], sim.state["readout.indices"]
        mask[:] = False
        for i in range(n_pre):
            mask[i, indices[indptr[i] : indptr[i + 1]]] = True
    errors = rng.normal(size=(steps, 2 if projected else n_out))
    errors[100:120] = 0.0  # a zero error changes nothing
    raster = np.zeros((steps, n_pre))
    ens = sim.slice_of("ens")
    for t in range(steps):
        sim.set_third_factor("readout.pes", errors[t])
        raster[t] = sim.step()[ens]
    assert raster.sum() > 100
    expected, activity = pes_reference(
        rule, np.zeros((n_pre, n_out)), mask, raster, errors, encoders
    )
    weights = np.zeros((n_pre, n_out), np.float32)
    if sim.state["readout.weights"].ndim == 2:
        weights = sim.state["readout.weights"]
    else:
        weights[mask] = sim.state["readout.weights"]  # CSR order is row-major, like the mask
    np.testing.assert_allclose(weights, expected, rtol=1e-6, atol=1e-12)
    assert np.abs(expected).max() > 1e-4
    np.testing.assert_allclose(sim.state["readout.pes.activity"], activity, rtol=1e-12)


def test_pes_error_dimension_must_match_the_projection():
    with pytest.raises(ShapeError, match=r"error dimension 2 does not match the 3 postsynaptic"):
        Simulator(readout_network(5, 3, PES(error_dims=2)))
    with pytest.raises(ShapeError, match=r"encoders have 4 rows but the projection has 3"):
        Simulator(readout_network(5, 3, PES(encoders=np.ones((4, 2)))))
    with pytest.raises(ShapeError, match=r"encoders has 2 columns but error_dims=3"):
        PES(error_dims=3, encoders=np.ones((3, 2)))
    sim = Simulator(readout_network(5, 3, PES()))
    with pytest.raises(ShapeError, match=r"readout\.pes\.error must have shape \(3,\)"):
        sim.set_third_factor("readout.pes", [0.1, 0.2])
