"""Shared pytest configuration, and the network structures the core's tests share.

Each network structure (which kernels a step calls) costs a numba compile
of a few seconds the first time; the tests of the kernels, the simulator,
the rules and the state use the few structures below with different sizes
and parameters, which compile nothing new.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

# Tests run headless; make sure no GUI backend is picked for plots.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(params=[0o022, 0o027, 0o002], ids=lambda mask: f"umask{mask:03o}")
def umask(request):
    """Run a test under an explicit umask (process-wide; restored afterwards)."""
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def rate_network(
    rate_model: Any = None,
    lif_model: Any = None,
    n_in: int = 4,
    n_rate: int = 6,
    n_lif: int = 5,
    n_out: int = 3,
    rate_tau: float | None = 0.01,
    lif_tau: float | None = 0.005,
) -> Any:
    """Spikes into a rate population, its rates onto an output and onto LIF neurons, their
    spikes onto a second output.

    ``inp -> rate`` (dense), ``rate -> rate_out`` (readout of rates), ``rate -> lif``
    (dense, rate-weighted rows), ``lif -> lif_out`` (readout of spikes); every weight
    drawn uniformly in [-1, 1].
    """
    from neurocontrol.core.model import (
        LIF,
        AllToAll,
        Input,
        Network,
        Population,
        Projection,
        Uniform,
    )
    from neurocontrol.core.model.network import Output
    from neurocontrol.core.model.neurons import LIFRate

    inp = Input(n_in, name="inp")
    rate = Population(n_rate, rate_model or LIFRate(), name="rate")
    lif = Population(n_lif, lif_model or LIF(tau_syn=0.004, tau_ref=0.0), name="lif")
    rate_out = Output(n_out, tau=rate_tau, name="rate_out")
    lif_out = Output(n_out, tau=lif_tau, name="lif_out")
    weights = Uniform(-1.0, 1.0)
    return Network(
        [inp, rate, lif, rate_out, lif_out],
        [
            Projection(inp, rate, AllToAll(), weights, name="inp_rate"),
            Projection(rate, rate_out, AllToAll(), weights, name="rate_readout"),
            Projection(rate, lif, AllToAll(), weights, name="rate_lif"),
            Projection(lif, lif_out, AllToAll(), weights, name="lif_readout"),
        ],
    )


def signal_network(
    delta: float | None = 0.1,
    max_events: int = 2,
    per_signal: int = 4,
    n_ens: int = 16,
    n_rate: int = 6,
    ens_pes_tau: float | None = None,
    rate_pes_tau: float | None = 0.01,
    max_rate: float = 300.0,
) -> Any:
    """Signals through every kind of encoder into spiking and rate neurons, read out with PES.

    Signal inputs ``q`` (2) and ``f`` (1); ``q`` gives the currents of ``ens`` (LIF,
    send-on-delta unless ``delta`` is None) and of ``rates`` (LIFRate, every step), ``f``
    the spikes of ``aff`` (receptive fields); the caller's events drive ``cmd``. ``ens`` and
    ``rates`` are read out by ``out`` (readouts ``ens_out`` and ``rates_out``, each with PES).
    """
    from neurocontrol.core.model import (
        LIF,
        PES,
        AllToAll,
        Input,
        Network,
        Population,
        Projection,
        Uniform,
    )
    from neurocontrol.core.model.encoders import CurrentEncoder, ReceptiveFieldEncoder
    from neurocontrol.core.model.network import Output, SignalInput
    from neurocontrol.core.model.neurons import LIFRate

    rng = np.random.default_rng(11)
    q, f = SignalInput(2, name="q"), SignalInput(1, name="f")
    cmd, aff = Input(3, name="cmd"), Input(per_signal, name="aff")
    ens = Population(n_ens, LIF(tau_syn=0.004), name="ens")
    rates = Population(n_rate, LIFRate(), name="rates")
    out = Output(2, tau=0.01, name="out")

    def unit_vectors(n: int) -> np.ndarray:
        vectors = rng.normal(size=(n, 2))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    encoders = [
        CurrentEncoder(
            q, ens, unit_vectors(n_ens), gains=rng.uniform(1.0, 4.0, n_ens),
            biases=rng.uniform(0.5, 1.5, n_ens), center=[0.2, -0.1], radius=[1.0, 2.0],
            delta=delta, max_events_per_step=max_events, name="q_ens",
        ),
        CurrentEncoder(
            q, rates, unit_vectors(n_rate), gains=rng.uniform(1.0, 4.0, n_rate),
            biases=rng.uniform(0.5, 1.5, n_rate), center=[0.2, -0.1], radius=[1.0, 2.0],
            name="q_rates",
        ),
        ReceptiveFieldEncoder(f, aff, per_signal, low=-1.0, high=1.0, max_rate=max_rate,
                              name="f_aff"),
    ]  # fmt: skip
    return Network(
        [q, f, cmd, aff, ens, rates, out],
        [
            Projection(cmd, ens, AllToAll(), Uniform(0.0, 0.5), name="cmd_ens"),
            Projection(aff, ens, AllToAll(), Uniform(0.0, 0.5), name="aff_ens"),
            Projection(ens, out, AllToAll(), 0.0, rule=PES(1e-3, pre_tau=ens_pes_tau),
                       name="ens_out"),
            Projection(rates, out, AllToAll(), 0.0, rule=PES(1e-5, pre_tau=rate_pes_tau),
                       name="rates_out"),
        ],
        encoders,
    )  # fmt: skip


def drive_signals(sim: Any, steps: int, seed: int) -> np.ndarray:
    """Step a :func:`signal_network` simulator on a random walk of signals, random ``cmd``
    events and random PES errors; return the output values of every step."""
    rng = np.random.default_rng(seed)
    x = np.zeros(sim.n_signals)
    values = np.zeros((steps, 2))
    for t in range(steps):
        x = np.clip(x + rng.normal(0.0, 0.05, x.shape), -1.5, 1.5)
        sim.set_third_factor("ens_out.pes", rng.normal(0.0, 1.0, 2))
        sim.set_third_factor("rates_out.pes", rng.normal(0.0, 1.0, 2))
        sim.step(rng.random(sim.n_inputs) < 0.2, signals=x)
        values[t] = sim.state["out.value"]
    return values


@pytest.fixture(scope="session")
def make_rate_network() -> Callable[..., Any]:
    """:func:`rate_network`."""
    return rate_network


@pytest.fixture(scope="session")
def make_signal_network() -> Callable[..., Any]:
    """:func:`signal_network`."""
    return signal_network


@pytest.fixture(scope="session")
def drive_signal_network() -> Callable[..., np.ndarray]:
    """:func:`drive_signals`."""
    return drive_signals
