"""A tiny base experiment for sweeps: a 0.2 s cycle, the field on at 0.2 s, frozen at 0.4 s."""

from __future__ import annotations

import copy

import pytest

TINY_BASE = {
    "name": "tiny",
    "env": {
        "id": "neurocontrol/PlanarReach-v0",
        "kwargs": {"n_targets": 1, "movement_time": 0.05, "hold_time": 0.05},
    },
    "agents": {
        "rate": {"type": "adaptive_rate", "n_neurons": 40, "learning_rate": 1.0e-5},
        "base": {"type": "osc"},
    },
    "schedule": [
        {"at": 0.2, "perturbation": {"kind": "curl_field", "strength": 15.0}},
        {"at": 0.4, "learning": False},
    ],
    "duration": 0.6,
    "seeds": [0],
}


@pytest.fixture
def tiny_sweep():
    """A sweep file's data over the tiny base (edit a copy per test)."""
    return {
        "name": "tiny-sweep",
        "base": copy.deepcopy(TINY_BASE),
        "space": {"agents.rate.learning_rate": {"grid": [1.0e-6, 1.0e-5]}},
        "metrics": {"adapted_error": "min", "retention": "max"},
    }
