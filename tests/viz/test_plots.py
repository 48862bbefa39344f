from __future__ import annotations

import numpy as np

from neurocontrol.viz import plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 2000


def test_every_plot_writes_a_png(tmp_path) -> None:
    rng = np.random.default_rng(0)
    time = np.arange(1, 2001) * 1e-3
    error = np.abs(rng.normal(0.01, 0.002, time.size))
    written = [
        plots.plot_tracking_error(
            {"base": (time, error), "adaptive": (time, error / 2)},
            tmp_path / "err.png",
            events={"field on": 1.0},
        ),
        plots.plot_learning_curve(
            {"base": [0.02, 0.03, 0.03], "adaptive": [0.02, 0.01, 0.005]}, tmp_path / "curve.png"
        ),
        plots.plot_trajectory(
            rng.normal(size=(100, 2)), rng.normal(size=(100, 2)), tmp_path / "traj.png"
        ),
        plots.plot_spike_raster(
            rng.integers(0, 1000, 500), rng.integers(0, 50, 500), tmp_path / "raster.png"
        ),
        plots.plot_weight_histogram({"decoders": rng.normal(size=1000)}, tmp_path / "w.png"),
        plots.plot_hybrid_comparison(
            time,
            rng.normal(size=(2000, 2)),
            rng.normal(size=(2000, 2)),
            np.full(2000, 1e-9),
            np.full(2000, 5e-9),
            tmp_path / "hyb.png",
        ),
    ]
    for path in written:
        assert _is_png(path), path
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
