"""What every experiment test may share."""

from __future__ import annotations

#: The files a written experiment run holds (plots included).
RUN_FILES = {
    "config.yaml",
    "summary.json",
    "cycles.csv",
    "episodes.csv",
    "steps.csv",
    "tracking_error.png",
    "learning_curve.png",
}
