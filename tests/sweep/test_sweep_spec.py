"""Sweep files: what is checked before any trial starts (no Ray here)."""

from __future__ import annotations

import pytest

from neurocontrol.errors import ConfigError
from neurocontrol.sweep import load_sweep, sweep_from_dict
from neurocontrol.sweep.report import pareto_front


def test_plan_grid_shared_agents_and_trial_ids(tiny_sweep):
    tiny_sweep["seeds"] = [0, 1]
    sweep = sweep_from_dict(tiny_sweep)
    assert sweep.swept_labels == ["rate"] and sweep.shared_labels == ["base"]
    assert sweep.reference == "base" and sweep.pareto == ("adapted_error", "retention")
    trials = [sweep.trial_for(p, s) for p in sweep.points() for s in sweep.seeds]
    assert len(trials) == 4 and len({t.id for t in trials}) == 4
    assert list(trials[0].experiment["agents"]) == ["rate"]
    assert trials[0].experiment["agents"]["rate"]["learning_rate"] == 1e-6
    # the id comes from the resolved config: the same point and seed, the same id
    assert sweep.trial_for(sweep.points()[0], 0).id == trials[0].id
    assert [t.seed for t in sweep.shared_trials()] == [0, 1]


def test_random_search_draws_per_grid_point(tiny_sweep):
    tiny_sweep["space"] = {
        "agents.rate.learning_rate": {"loguniform": [1e-7, 1e-5]},
        "agents.rate.n_neurons": {"grid": [20, 40]},
    }
    tiny_sweep["samples"] = 3
    sweep = sweep_from_dict(tiny_sweep)
    points = sweep.points()
    assert sweep.search == "random" and len(points) == 6
    assert all(1e-7 <= p["agents.rate.learning_rate"] <= 1e-5 for p in points)
    assert sweep_from_dict(tiny_sweep).points() == points  # drawn from search_seed


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"space": {"agents.rat.learning_rate": {"grid": [1]}}},
         r"'rat' names nothing in agents; valid keys there: rate, base"),
        ({"space": {"agents.rate.lr": {"grid": [1.0]}}},
         r"'lr' names nothing in agents.rate; valid keys there: type, n_neurons, learning_rate"),
        ({"space": {"agents.rate.learning_rate": {"grid": []}}}, "the grid is empty"),
        ({"space": {"agents.rate.learning_rate": [1e-6]}}, "must be one domain, one of"),
        ({"space": {"agents.rate.learning_rate": {"grid": ["fast"]}}},
         r"the base config holds a number here \(1e-05\); got 'fast'"),
        ({"space": {"agents.rate.learning_rate": {"loguniform": [0, 1]}}},
         r"loguniform takes \[lo, hi\], numbers, 0 < lo < hi"),
        ({"space": {"agents.rate.n_neurons": {"uniform": [10, 50]}}},
         "holds an integer here.*randint"),
        ({"space": {"agents.rate.type": {"randint": [1, 3]}}}, "draws numbers, but the base"),
        ({"space": {"duration": {"grid": [-1.0]}}}, "duration must be"),
        ({"metrics": {"speed": "max"}}, "no experiment reports 'speed'; metrics: error"),
        ({"metrics": {"adapted_error": "lowest"}}, "mode must be min or max; got 'lowest'"),
        ({"metrics": {"after_effect_error": "min"}},
         "no experiment of this sweep reports 'after_effect_error'"),
        ({"search": "grid", "space": {"agents.rate.learning_rate": {"uniform": [0.0, 1.0]}}},
         "search grid runs grid domains only"),
        ({"search": "bayes"}, "search must be one of grid, random, optuna"),
        ({"early_stopping": {"hyperband": {}}}, "early_stopping takes"),
        ({"pareto": ["adapted_error", "error"]}, "'error' is not one of the sweep's metrics"),
        ({"reference": "rate"}, "reference must name an agent the space leaves alone"),
        ({"seeds": []}, "seeds must be a non-empty list"),
        ({"resources": {"gpu": 1}}, r"resources takes \{cpu: N\}"),
        ({"bogus": 1}, "unknown key 'bogus'"),
    ],
)  # fmt: skip
def test_bad_sweeps_are_refused_before_any_trial(tiny_sweep, change, match):
    tiny_sweep.update(change)
    with pytest.raises(ConfigError, match=match):
        sweep_from_dict(tiny_sweep)


def test_retention_needs_a_shared_base(tiny_sweep):
    tiny_sweep["space"] = {"duration": {"grid": [0.6]}}  # outside agents: every agent swept
    with pytest.raises(ConfigError, match="retention needs a reference base controller"):
        sweep_from_dict(tiny_sweep)


def test_sweep_file_base_is_relative_to_it(tmp_path):
    (tmp_path / "exp.yaml").write_text(
        "name: e\nagents: {base: {type: osc, kp: 200.0}}\nduration: 1.0\n"
    )
    (tmp_path / "s.yaml").write_text(
        "base: exp.yaml\nspace: {agents.base.kp: {grid: [100.0, 200.0]}}\nmetrics: {error: min}\n"
    )
    sweep = load_sweep(tmp_path / "s.yaml")
    assert sweep.name == "e" and len(sweep.points()) == 2
    (tmp_path / "s.yaml").write_text("base: missing.yaml\nspace: {}\nmetrics: {error: min}\n")
    with pytest.raises(ConfigError, match="no experiment config at"):
        load_sweep(tmp_path / "s.yaml")


def test_pareto_front():
    values = [(1.0, 0.5), (2.0, 0.9), (1.5, 0.4), (3.0, 0.8)]
    assert pareto_front(values, ("min", "max")) == [0, 1]
