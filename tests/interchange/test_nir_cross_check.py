"""A trained adaptive controller, exported: in Norse, and in closed loop on PlanarReach.

Norse (``norse.torch.from_nir``, forward Euler, float32) runs the exported
graph on 2 s of recorded reach; this package runs the same graph imported
back (exact zero-order-hold step, float64). The two differ by Euler's
``dt / tau`` against ``1 - e^{-dt/tau}`` (2.5 % of the leak at tau = 20 ms)
and by float32 rounding, so: correlation >= 0.95 and RMS difference <= 10 %
of the torque's RMS. What the export drops (refractoriness, send-on-delta
input, PES) is measured apart, in closed loop.
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401 - registers the envs
from neurocontrol.agents import AdaptiveController
from neurocontrol.agents.factory import make_agent
from neurocontrol.interchange.nir_check import (
    closed_loop,
    compare,
    core_outputs,
    norse_outputs,
    record_inputs,
)
from neurocontrol.interchange.nir_io import from_nir, read_nir, to_nir, write_nir
from neurocontrol.loop.episode import run_episode

CURL = {"perturbation": {"kind": "curl_field", "strength": 15.0}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    env = gym.make("neurocontrol/PlanarReach-v0", max_episode_steps=6000)
    agent = AdaptiveController.from_env(env, seed=0, n_neurons=300)  # the default learner
    run_episode(env, agent, seed=0, options=CURL)
    assert np.any(agent.decoders != 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        graph = to_nir(agent, lossy=True)
    path = write_nir(graph, tmp_path_factory.mktemp("nir") / "controller.nir")
    spec, state = agent.spec(), agent.state_dict()

    def make():
        copy = make_agent(spec, env)
        copy.load_state_dict(state)
        return copy

    yield env, make, read_nir(path)
    env.close()


def test_norse_runs_the_exported_controller_like_this_package(trained):
    env, make, graph = trained
    inputs = record_inputs(env, make(), 2000, seed=3, options=CURL)
    assert inputs.shape == (2000, 4)
    ours = core_outputs(from_nir(graph), inputs)
    norse = norse_outputs(graph, inputs)
    figures = compare(ours, norse)
    assert figures["rms_reference"] > 0.1  # a real torque, N·m
    assert figures["correlation"] >= 0.95, figures
    assert figures["rms_difference_ratio"] <= 0.10, figures


def test_closed_loop_change_of_the_exported_controller_is_measured(trained):
    env, make, graph = trained
    errors = closed_loop(env, make, graph, 3000, seed=3, options=CURL)
    assert set(errors) == {"original", "original_frozen", "exported"}
    assert all(0 < value < 0.2 for value in errors.values()), errors
