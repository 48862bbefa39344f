"""Plots that read: coinciding lines stay visible, labelled axes, markers where things happen."""

from __future__ import annotations

import numpy as np

from neurocontrol.viz import plots


def test_a_line_that_coincides_with_an_earlier_one_is_named() -> None:
    time = np.arange(5.0)
    drawn = [("spiking", time, np.array([1.0, 2.0, 3.0, 2.0, 1.0]))]
    assert plots._coinciding(time, drawn[0][2].copy(), drawn) == "spiking"
    assert plots._coinciding(time, drawn[0][2] + 1e-6, drawn) is None
    assert plots._coinciding(time[:4], drawn[0][2][:4], drawn) is None


def test_the_plots_take_their_labels_and_markers(tmp_path) -> None:
    rng = np.random.default_rng(0)
    time = np.arange(1, 1001) * 1e-3
    error = np.abs(rng.normal(0.01, 0.002, time.size))
    written = [
        plots.plot_tracking_error(
            {"spiking": (time, error), "hybrid": (time, error.copy()), "base": (time, 3 * error)},
            tmp_path / "err.png",
            events={"curl field on": 0.5},
        ),
        plots.plot_learning_curve(
            {"spiking": [0.02, 0.01], "hybrid": [0.02, 0.01]}, tmp_path / "curve.png"
        ),
        plots.plot_spike_raster(
            rng.integers(0, 1000, 300),
            rng.integers(0, 50, 300),
            tmp_path / "raster.png",
            events={"curl field on": 0.5, "later": 5.0},
        ),
        plots.plot_weight_histogram(
            {"decoders": rng.normal(size=100)}, tmp_path / "w.png", xlabel="decoder (N·m/Hz)"
        ),
        plots.plot_spike_raster(
            np.array([], int), np.array([], int), tmp_path / "empty.png", events={"on": 0.1}
        ),
    ]
    for path in written:
        assert path.read_bytes()[:4] == b"\x89PNG"
