"""Probes of what an adaptive controller learned: the schedule's target switches, the
phases found from its events, each probe's formula, and where the figures end up."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neurocontrol.errors import ConfigError
from neurocontrol.experiment import probes
from neurocontrol.experiment.protocol import ExperimentConfig, ScheduleEvent, run_experiment
from neurocontrol.experiment.reporting import write_experiment
from neurocontrol.experiment.results import experiment_figures, results_markdown
from neurocontrol.experiment.runs import read_csv
from neurocontrol.experiment.training import preflight
from neurocontrol.utils.config import from_dict

CURL = {"kind": "curl_field", "strength": 15.0}
UNTRAINED = {"n_targets": 6, "rotation": 22.5}
# 4 targets x 2 movements x (0.3 + 0.2) s: 4 s cycles, a reach every second; the untrained
# set (6 targets) has 6 s cycles
FULL_SCHEDULE = [
    {"at": 4.0, "perturbation": CURL, "label": "field on"},
    {"at": 16.0, "learning": False},
    {"at": 20.0, "targets": UNTRAINED, "label": "untrained"},
    {"at": 26.0, "targets": {}},
    {"at": 26.0, "perturbation": None, "label": "field off"},
    {"at": 30.0, "learning": True, "label": "washout"},
    {"at": 38.0, "perturbation": CURL, "label": "field again"},
]


def config(**overrides):
    data = {
        "name": "probes",
        "env": {"kwargs": {"n_targets": 4, "movement_time": 0.3, "hold_time": 0.2}},
        "agents": {
            # slow enough that a frozen network keeps most of the compensation, and that
            # adaptation takes a few reaches (the savings criterion needs that): one readout
            # at 3e-4 for the population (3e-7 per neuron)
            "twin": {
                "type": "adaptive_rate",
                "learning_rate": 3.0e-4,
                "fast_learning_rate": 0.0,
                "tau_synapse": 0.02,
            },
            "base": {"type": "osc", "feedforward": True},
        },
        "schedule": FULL_SCHEDULE,
        "duration": 50.0,
        "seeds": [0],
    }
    data.update(overrides)
    return from_dict(ExperimentConfig, data)


@pytest.fixture(scope="module")
def full():
    return run_experiment(config())


# -- the schedule event ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"at": 1.0, "perturbation": CURL, "targets": {}},
            r"schedule event at 1.0 s sets both perturbation and targets; an event switches "
            r"one of perturbation, learning or targets",
        ),
        (
            {"at": 2.0, "learning": False, "targets": UNTRAINED},
            r"schedule event at 2.0 s sets both learning and targets",
        ),
        ({"at": 1.0, "targets": "rotated"}, r"schedule\[0\].targets: 'rotated' fits none of"),
    ],
)
def test_an_event_switches_one_thing(event, message) -> None:
    with pytest.raises(ConfigError, match=message):
        config(schedule=[event])


def test_target_events_belong_to_reach_envs() -> None:
    with pytest.raises(ConfigError, match=r"target sets belong to the reach envs .*ArmPress"):
        config(
            env={"id": "neurocontrol/ArmPress-v0"},
            schedule=[{"at": 1.0, "targets": {}}],
            cycle_duration=1.0,
            metric="force_error",
        )


def test_an_event_knows_its_kind_and_writes_itself() -> None:
    event = ScheduleEvent(6.0, targets=UNTRAINED)
    assert event.kind == "targets" and event.switches_targets and not event.switches_learning
    assert event.description == "targets changed"
    assert ScheduleEvent(7.8, targets={}).description == "env's targets"
    assert event.to_dict() == {"at": 6.0, "perturbation": None, "label": "", "targets": UNTRAINED}
    assert ScheduleEvent(1.0).kind == "perturbation"
    assert config().perturbation_events[-1].at == 38.0
    assert [e.at for e in config().target_events] == [20.0, 26.0]


def test_preflight_refuses_a_target_set_the_env_refuses() -> None:
    bad = config(schedule=[{"at": 6.0, "targets": {"radius": 0.5}}])
    with pytest.raises(ConfigError, match=r"targets \[\[.*\]\] lie outside the workspace"):
        preflight(bad)


# -- phases and probes on a real run --------------------------------------------------------


def test_the_phases_follow_the_events(full) -> None:
    assert full.phases() == {
        "before": (0, 0),
        "first perturbed": (1, 1),
        "adapted": (3, 3),
        "learning frozen": (4, 4),
        "untrained targets": (5, 5),  # 20-26 s: one 6-target cycle
        "after-effect": (6, 6),
        "washout": (8, 8),
        "re-exposed": (9, 9),
        "re-adapted": (11, 11),
    }
    trace = full.agents["base"].episodes[0].trace
    # the untrained set's cycle is 6 s long, the others 4 s
    cycle_steps = np.bincount(trace["cycle"].astype(int))
    assert cycle_steps[5] == 6000 and cycle_steps[4] == cycle_steps[6] == 4000


def test_each_probe_is_measured_by_its_formula(full) -> None:
    table = full.table()
    twin, base = table["twin"], table["base"]
    found = full.probes()
    assert set(found) == {"twin"}  # the base controller is the reference, not probed
    twin_probes = found["twin"]
    assert twin_probes["retention"] == pytest.approx(
        1
        - (twin["learning frozen"] - twin["adapted"]) / (base["learning frozen"] - twin["adapted"])
    )
    assert twin_probes["generalisation"] == pytest.approx(
        1
        - (twin["untrained targets"] - twin["adapted"])
        / (base["untrained targets"] - twin["adapted"])
    )
    assert twin_probes["after_effect"] == pytest.approx(twin["after-effect"] / twin["before"])
    saved = twin_probes["savings"]
    reaches = full.reach_tables("twin")
    starts, ends, errors = reaches[0]
    first = errors[(starts >= 4.0 - 1e-6) & (ends <= 16.0 + 1e-6)]
    second = errors[(starts >= 38.0 - 1e-6) & (ends <= 50.0 + 1e-6)]
    assert saved["reaches_first"] == first.size == 12 and saved["reaches_second"] == second.size
    assert second.size == 12
    assert saved["initial"] == first[0]
    assert saved["criterion"] == pytest.approx(0.5 * (first[0] + twin["adapted"]))
    assert saved["movements_first"] == np.flatnonzero(first <= saved["criterion"])[0] + 1
    assert saved["cycles_first"] == saved["movements_first"] / 4
    lines = full.format_table()
    assert lines[-2] == "probes (mean over seeds):"
    assert lines[-1].startswith("  twin: retention ") and "savings: reaches to half" in lines[-1]


def test_the_probes_reach_the_files_results_and_plot(full, tmp_path) -> None:
    run = write_experiment(full, root=tmp_path)
    summary = json.loads(run.file("summary.json").read_text())
    assert set(summary["probes"]["twin"]) == {
        "retention", "generalisation", "after_effect", "savings",
    }  # fmt: skip
    assert summary["schedule"][2]["targets"] == UNTRAINED
    reaches = read_csv(run.file("reaches.csv"))
    assert reaches["reach"].size == full.reach_tables("twin")[0][0].size
    np.testing.assert_allclose(reaches["twin_seed0_rms_m"], full.reach_tables("twin")[0][2])
    assert run.file("learning_curve.png").stat().st_size > 0
    figures = experiment_figures(run.path)
    targets = figures["targets"]
    for name in ("retention", "generalisation", "after_effect", "savings"):
        assert f"{name}::twin::probe" in targets
    ratio = full.probes()["twin"]["savings"]["ratio"]
    assert targets["savings::twin::probe"] == ratio
    markdown = results_markdown([figures])
    assert "twin: savings, reaches to half the adaptation, second exposure / first (a probe)" in (
        markdown
    )
    assert "| <= 0.5 |" in markdown and "| > 2x |" in markdown and "| >= 70% |" in markdown


def test_the_learning_curve_shades_the_probe_phases(full) -> None:
    from neurocontrol.experiment.reporting import _probe_spans

    assert _probe_spans(full.phases()) == {
        "retention": (4.5, 5.5),
        "generalisation": (5.5, 6.5),
        "after-effect": (6.5, 7.5),
        "washout": (8.5, 9.5),
        "savings": (9.5, 12.5),
    }


def test_a_schedule_without_the_events_has_no_such_probe() -> None:
    # field on, frozen, field off: no target switch, no washout or second exposure
    short = config(
        schedule=[FULL_SCHEDULE[0], FULL_SCHEDULE[1], {"at": 20.0, "perturbation": None}],
        duration=24.0,
    )
    result = run_experiment(short)
    assert list(result.phases()) == [
        "before", "first perturbed", "adapted", "learning frozen", "after-effect",
    ]  # fmt: skip
    assert set(result.probes()["twin"]) == {"retention", "after_effect"}
    # learning back on before the field goes off: its after-effect is no frozen probe
    relearning = config(
        schedule=[FULL_SCHEDULE[0], {"at": 12.0, "perturbation": None}], duration=16.0
    )
    result = run_experiment(relearning, make_agent=None)
    assert "after-effect" in result.phases()
    assert result.probes() == {"twin": {}}
    assert result.format_probes() == []


# -- the formulas on hand-made figures ------------------------------------------------------


def test_retention_and_generalisation_formula() -> None:
    assert probes.retention(frozen=3.0, adapted=2.0, base_frozen=6.0) == pytest.approx(0.75)
    assert probes.retention(frozen=2.0, adapted=2.0, base_frozen=6.0) == 1.0
    assert probes.retention(frozen=6.0, adapted=2.0, base_frozen=6.0) == 0.0
    assert probes.retention(frozen=3.0, adapted=2.0, base_frozen=2.0) is None  # base no worse
    assert probes.retention(math.nan, 2.0, 6.0) is None


def test_after_effect_formula() -> None:
    assert probes.after_effect(after=5.0, before=2.0) == 2.5
    assert probes.after_effect(after=5.0, before=0.0) is None
    assert probes.after_effect(after=math.nan, before=1.0) is None


def test_savings_counts_reaches_to_half_the_first_adaptation() -> None:
    first = [10.0, 8.0, 7.0, 5.9, 4.0, 3.0, 2.5, 2.0]
    second = [6.5, 5.5, 3.0, 2.0]
    saved = probes.savings(first, second, adapted=2.0, reaches_per_cycle=4)
    assert saved["criterion"] == 6.0  # 2 + (10 - 2) / 2
    assert saved["movements_first"] == 4 and saved["movements_second"] == 2
    assert saved["ratio"] == 0.5
    assert saved["cycles_first"] == 1.0 and saved["cycles_second"] == 0.5
    never = probes.savings(first, [9.0, 8.0], adapted=2.0, reaches_per_cycle=4)
    assert never["movements_second"] is None and never["ratio"] == math.inf
    stuck = probes.savings([10.0, 9.0], second, adapted=2.0, reaches_per_cycle=4)
    assert stuck["movements_first"] is None and stuck["ratio"] is None
    assert probes.savings([1.0, 1.0], second, adapted=2.0, reaches_per_cycle=4) is None
    assert probes.savings([], second, adapted=2.0, reaches_per_cycle=4) is None
    assert probes.movements_to_criterion([3.0, 1.0, 0.5], 1.0) == 2


def test_whole_cycles_follow_each_target_sets_length() -> None:
    cfg = config()
    # 4 s cycles, some cut short (3 s), 6 s ones before and after the switch to 6 targets
    # at 20 s, and one cut by the run's end
    starts = np.array([0.0, 4.0, 8.0, 11.0, 17.0, 20.0, 26.0, 30.0])
    ends = np.append(starts[1:], 32.0)
    whole = probes.whole_cycles(cfg, starts, ends, 1e-3)
    # before 20 s a cycle must last 4 s; from the switch at 20 s, 6 s; the {} set at 26 s
    # is the env's own 4 targets again
    np.testing.assert_array_equal(whole, [True, True, False, False, False, True, True, False])
