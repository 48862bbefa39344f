"""Cycle and window boundaries: the sample after step k closes the step (k, k+1] * dt.

A cycle of T seconds at step dt holds exactly T / dt samples; a run of n
cycles has n cycles and no one-step remainder. Real envs, real controllers.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import neurocontrol  # noqa: F401  (registers the envs)
from neurocontrol.agents.base_controllers import OperationalSpaceController
from neurocontrol.envs.tasks import TargetSequence, centre_out_targets
from neurocontrol.envs.tasks.press import APPROACH, DESCEND, PRESS
from neurocontrol.envs.tasks.trajectory import HOLD, MOVE
from neurocontrol.experiment.protocol import (
    ExperimentConfig,
    cycle_table,
    measure_table,
    run_experiment,
)
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.runs import read_csv
from neurocontrol.utils.config import from_dict

# 2 targets x (0.3 s + 0.2 s) x 2 (out and back): a 2 s cycle
SHORT_CYCLE = {"n_targets": 2, "movement_time": 0.3, "hold_time": 0.2}


def osc_factory(spec, env, seed):
    return OperationalSpaceController.from_env(env)


def config(**overrides):
    data = {
        "name": "cycles",
        "env": {"kwargs": dict(SHORT_CYCLE)},
        "agents": {"osc": {"type": "osc"}},
        "schedule": [
            {"at": 2.0, "perturbation": {"kind": "curl_field", "strength": 15.0}},
            {"at": 4.0, "perturbation": None},
        ],
        "duration": 6.0,
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


@pytest.fixture(scope="module")
def short_run():
    return run_experiment(config(), osc_factory)


def test_every_cycle_holds_exactly_its_samples_and_none_trails(short_run, tmp_path) -> None:
    episode = short_run.agents["osc"].episodes[0]
    assert episode.steps == 6000
    np.testing.assert_array_equal(np.bincount(episode.trace["cycle"].astype(int)), [2000] * 3)
    # 12 movements of 0.5 s, 500 samples each; the sample at 2.0 s closes cycle 0
    np.testing.assert_array_equal(
        np.bincount(episode.trace["target_index"].astype(int)), [500] * 12
    )
    time, cycle = episode.trace["sim_time"], episode.trace["cycle"]
    assert cycle[np.isclose(time, 2.0)] == 0 and cycle[np.isclose(time, 2.001)] == 1
    starts, rms = cycle_table(episode)
    np.testing.assert_allclose(starts, [0.0, 2.0, 4.0], atol=1e-9)
    assert rms.shape == (3,) and np.all(np.isfinite(rms))
    assert short_run.agents["osc"].per_cycle().shape == (1, 3)
    run = write_experiment(short_run, tmp_path)
    np.testing.assert_array_equal(read_csv(run.file("cycles.csv"))["cycle"], [0, 1, 2])


def test_phases_fall_on_the_exact_cycles(short_run) -> None:
    assert short_run.phases() == {
        "before": (0, 0),
        "first perturbed": (1, 1),
        "adapted": (1, 1),
        "after-effect": (2, 2),
    }
    table = short_run.table()["osc"]
    assert table["first perturbed"] > 1.5 * table["before"]


def test_a_48_s_run_of_12_s_cycles_has_exactly_4_cycles() -> None:
    result = run_experiment(
        from_dict(ExperimentConfig, {"agents": {"osc": {"type": "osc"}}, "duration": 48.0}),
        osc_factory,
    )
    episode = result.agents["osc"].episodes[0]
    np.testing.assert_array_equal(np.bincount(episode.trace["cycle"].astype(int)), [12000] * 4)
    starts, _ = measure_table(episode, result.config)
    np.testing.assert_allclose(starts, [0.0, 12.0, 24.0, 36.0], atol=1e-9)
    assert result.phases() == {"all": (0, 3)}


def test_a_trailing_partial_cycle_is_measured_but_not_whole() -> None:
    result = run_experiment(config(duration=5.5, schedule=[]), osc_factory)
    episode = result.agents["osc"].episodes[0]
    np.testing.assert_array_equal(
        np.bincount(episode.trace["cycle"].astype(int)), [2000, 2000, 1500]
    )
    assert result.agents["osc"].per_cycle().shape == (1, 3)
    assert result.phases() == {"all": (0, 1)}  # 1.5 s of a 2 s cycle is not a whole one


def test_windows_of_cycle_duration_hold_exactly_their_samples(short_run) -> None:
    windows = config(cycle_duration=1.5, schedule=[])
    episode = short_run.agents["osc"].episodes[0]
    starts, rms = measure_table(episode, windows)
    np.testing.assert_allclose(starts, [0.0, 1.5, 3.0, 4.5], atol=1e-9)
    values = episode.trace["tracking_error"]
    np.testing.assert_allclose(rms, np.sqrt(np.mean(values.reshape(4, 1500) ** 2, axis=1)))


def test_cycles_are_exact_with_control_decimation() -> None:
    # 0.5 ms physics steps, 2 per control step: step_count * dt rounds differently
    env = gym.make(
        "neurocontrol/PlanarReach-v0", dt=5e-4, control_decimation=2, **SHORT_CYCLE
    ).unwrapped
    try:
        env.reset(seed=0)
        action = np.zeros(2, dtype=np.float32)
        cycles, segments = [], []
        for _ in range(4000):
            info = env.step(action)[4]
            cycles.append(info["cycle"])
            segments.append(info["target_index"])
    finally:
        env.close()
    np.testing.assert_array_equal(np.bincount(cycles), [2000, 2000])
    np.testing.assert_array_equal(np.bincount(segments), [500] * 8)


@pytest.mark.parametrize("dt", [1e-3, 5e-4, 2.5e-4, 1e-4, 2e-3])
def test_target_sequence_counts_whole_steps_whatever_the_rounding(dt) -> None:
    centre = np.array([0.0, 0.4])
    sequence = TargetSequence(
        centre, centre_out_targets(centre, 0.1, 3), 0.3, 0.2, order="sequential", step_time=dt
    )
    sequence.reset(np.random.default_rng(0))
    per_segment = round(0.5 / dt)
    n = 30 * per_segment  # 5 cycles of 6 movements
    segment, phase, cycle = (np.empty(n, dtype=int) for _ in range(3))
    for k in range(n):
        sequence.update((k + 1) * dt)
        segment[k], phase[k], cycle[k] = sequence.segment, sequence.phase, sequence.cycle
    np.testing.assert_array_equal(np.bincount(segment), [per_segment] * 30)
    np.testing.assert_array_equal(np.bincount(cycle), [6 * per_segment] * 5)
    moving = np.bincount(segment[phase == MOVE], minlength=30)
    np.testing.assert_array_equal(moving, [round(0.3 / dt)] * 30)
    assert np.all(phase[per_segment - 1 :: per_segment] == HOLD)


def test_a_step_that_does_not_divide_the_segment_goes_where_most_of_it_lies() -> None:
    centre = np.array([0.0, 0.4])
    # 0.75 s segments of 4 ms steps: 187.5 steps each
    sequence = TargetSequence(centre, centre_out_targets(centre, 0.1, 4), 0.5, 0.25, step_time=4e-3)
    sequence.reset(np.random.default_rng(0))
    segments = []
    for k in range(1, 1501):
        sequence.update(k * 4e-3)
        segments.append(sequence.segment)
        assert np.all(np.isfinite(sequence.ref_pos))
    lengths = np.bincount(segments)
    assert set(lengths) <= {187, 188} and lengths.sum() == 1500
    np.testing.assert_array_equal(lengths[0::2] + lengths[1::2], [375] * 4)


def test_the_reference_is_continuous_across_a_segment_boundary() -> None:
    centre = np.array([0.0, 0.4])
    targets = centre_out_targets(centre, 0.1, 4)
    sequence = TargetSequence(centre, targets, 0.5, 0.25, order="sequential", step_time=1e-3)
    sequence.reset(np.random.default_rng(0))
    sequence.update(0.75)  # closes the last step of segment 0: its end point, at rest
    assert sequence.segment == 0 and sequence.phase == HOLD
    np.testing.assert_array_equal(sequence.ref_pos, targets[0])
    assert sequence.ref_vel == [0.0, 0.0]
    sequence.update(0.751)  # the first step back to the centre
    assert sequence.segment == 1 and sequence.phase == MOVE and sequence.target_id == -1
    assert np.linalg.norm(np.subtract(sequence.ref_pos, targets[0])) < 1e-8


def test_arm_press_phases_hold_exactly_their_steps() -> None:
    # approach 1.0 s and descent 0.5 s (the defaults), then pressing
    env = gym.make("neurocontrol/ArmPress-v0", gravity_compensation=True).unwrapped
    try:
        env.reset(seed=0)
        action = np.zeros(env.action_space.shape, dtype=np.float32)
        phases = [env.step(action)[4]["phase"] for _ in range(1600)]
    finally:
        env.close()
    np.testing.assert_array_equal(np.bincount(phases), [1000, 500, 100])
    assert phases[999] == APPROACH and phases[1000] == DESCEND
    assert phases[1499] == DESCEND and phases[1500] == PRESS


def test_report_figures_take_the_last_cycle_as_whole_only_if_the_run_completes_it() -> None:
    from neurocontrol.experiment.results import _cycle_ends

    episode = {"sim_time_s": 12.0, "steps": 12000}
    assert _cycle_ends([0.0, 4.0, 8.0], episode) == [4.0, 8.0, 12.0]
    assert _cycle_ends([0.0, 4.0, 8.0], episode | {"sim_time_s": 11.0, "steps": 11000}) == [
        4.0,
        8.0,
        float("inf"),
    ]
