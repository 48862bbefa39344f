"""Shared pytest configuration."""

from __future__ import annotations

import os

# Tests run headless; make sure no GUI backend is picked for plots.
os.environ.setdefault("MPLBACKEND", "Agg")
