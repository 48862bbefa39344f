"""Sweep files: a base experiment, a search space over dotted keys, seeds and metrics.

A sweep file is a YAML mapping::

    name: curl-tradeoff
    base: curl_planar.yaml            # the experiment config (relative to this file)
    set: {duration: 36.0}             # fixed changes, dotted keys (optional)
    space:                            # dotted key -> one domain
      agents."spiking (PES)".learning_rate: {loguniform: [1.0e-7, 1.0e-5]}
      agents."spiking (PES)".n_neurons: {grid: [500, 1000]}
    seeds: [0, 1, 2]                  # default: the base config's seeds
    metrics: {adapted_error: min, retention: max}
    search: random                    # grid | random | optuna (default: grid if every
    samples: 8                        #   domain is a grid, else random)
    resources: {cpu: 1}
    early_stopping: {asha: {grace_cycles: 2}}   # off when absent
    pareto: [adapted_error, retention]

Domains: ``grid`` (every value), ``choice`` (one value drawn per sample),
``uniform`` / ``loguniform`` ``[lo, hi]`` (numbers), ``randint`` /
``lograndint`` ``[lo, hi]`` (integers, both ends included). :func:`load_sweep`
checks all of it, against the base config, before any trial starts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from neurocontrol.errors import ConfigError
from neurocontrol.experiment.protocol import ExperimentConfig
from neurocontrol.utils.config import from_dict, read_yaml, to_dict
from neurocontrol.utils.dotted import apply_overrides, format_key, get_dotted, parse_key

__all__ = [
    "DOMAINS",
    "METRICS",
    "Domain",
    "SweepConfig",
    "TrialPlan",
    "load_sweep",
    "sweep_from_dict",
]

#: domain kind -> what it takes
DOMAINS = {
    "grid": "a non-empty list of values, every one run",
    "choice": "a non-empty list of values, one drawn per sample",
    "uniform": "[lo, hi], numbers, lo < hi",
    "loguniform": "[lo, hi], numbers, 0 < lo < hi",
    "randint": "[lo, hi], integers, lo <= hi, both included",
    "lograndint": "[lo, hi], integers, 1 <= lo <= hi, both included",
}
#: phase of :meth:`~neurocontrol.experiment.protocol.ExperimentResult.phases` behind each
#: phase metric
PHASE_METRICS = {
    "before_error": "before",
    "first_perturbed_error": "first perturbed",
    "adapted_error": "adapted",
    "frozen_error": "learning frozen",
    "after_effect_error": "after-effect",
}
#: metric -> what it is (every trial reports each one its experiment has)
METRICS = {
    "error": "the measure of the last whole cycle (reported after every cycle while a trial runs)",
    **{name: f"the measure in the {phase!r} phase" for name, phase in PHASE_METRICS.items()},
    "retention": "share of the compensation kept with learning frozen: 1 - (frozen - adapted) / "
    "(reference frozen - adapted), the reference a shared base controller",
    "real_time_factor": "simulated / wall-clock time of the trial's episodes",
    "cpu_real_time_factor": "simulated time / process CPU time of the trial's episodes",
}
_TOP_KEYS = (
    "name",
    "base",
    "set",
    "space",
    "seeds",
    "metrics",
    "search",
    "samples",
    "search_seed",
    "resources",
    "max_concurrent",
    "early_stopping",
    "pareto",
    "reference",
)
_BASE_TYPES = ("osc", "joint_pd")


@dataclass(frozen=True)
class Domain:
    """One key's domain: ``kind`` (a :data:`DOMAINS` key) and its ``values`` or bounds."""

    kind: str
    values: tuple

    @property
    def is_grid(self) -> bool:
        return self.kind == "grid"

    @property
    def log_scale(self) -> bool:
        return self.kind.startswith("log")

    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn from the domain (not for a grid)."""
        if self.kind == "choice":
            return self.values[int(rng.integers(len(self.values)))]
        lo, hi = self.values
        if self.kind == "uniform":
            return float(rng.uniform(lo, hi))
        if self.kind == "loguniform":
            return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        if self.kind == "randint":
            return int(rng.integers(lo, hi + 1))
        return min(hi, math.floor(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))))

    def to_tune(self) -> Any:
        """The same domain as a Ray Tune search domain (for a searcher such as Optuna)."""
        from ray import tune

        if self.kind in ("grid", "choice"):
            return tune.choice(list(self.values))
        lo, hi = self.values
        return {
            "uniform": lambda: tune.uniform(lo, hi),
            "loguniform": lambda: tune.loguniform(lo, hi),
            "randint": lambda: tune.randint(lo, hi + 1),
            "lograndint": lambda: tune.lograndint(lo, hi + 1),
        }[self.kind]()


@dataclass(frozen=True)
class TrialPlan:
    """One trial: a resolved experiment (the swept agents, or the shared ones) on one seed."""

    id: str
    kind: str  # "swept" or "shared"
    seed: int
    params: dict
    experiment: dict

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "seed": self.seed,
            "params": self.params,
            "experiment": self.experiment,
        }


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep (see the module docstring); ``base`` is the resolved experiment."""

    name: str
    base: ExperimentConfig
    space: dict[str, Domain]
    metrics: dict[str, str]
    seeds: list[int]
    search: str = "grid"
    samples: int = 1
    search_seed: int = 0
    cpus_per_trial: float = 1.0
    max_concurrent: int | None = None
    asha: dict | None = None
    pareto: tuple[str, ...] = ()
    reference: str | None = None
    fixed: dict = field(default_factory=dict)

    @property
    def swept_labels(self) -> list[str]:
        """Agent labels whose spec a key of the space changes (all, if one is outside agents)."""
        labels = []
        for key in self.space:
            parts = parse_key(key)
            if parts[0] != "agents" or len(parts) < 3:
                return list(self.base.agents)
            labels.append(parts[1])
        return [label for label in self.base.agents if label in labels]

    @property
    def shared_labels(self) -> list[str]:
        """Agents the space leaves alone: run once per seed, shared by every trial."""
        swept = self.swept_labels
        return [label for label in self.base.agents if label not in swept]

    @property
    def primary(self) -> tuple[str, str]:
        """The first metric and its mode: what a searcher optimises and the display ranks."""
        return next(iter(self.metrics.items()))

    def points(self) -> list[dict[str, Any]]:
        """The parameter points of a grid or random search (dotted key -> value), in order."""
        grid = {k: d for k, d in self.space.items() if d.is_grid}
        drawn = {k: d for k, d in self.space.items() if not d.is_grid}
        rng = np.random.default_rng(self.search_seed)
        points = []
        for combo in itertools.product(*(d.values for d in grid.values())):
            fixed = dict(zip(grid, combo, strict=True))
            for _ in range(self.samples if drawn else 1):
                point = {**fixed, **{k: d.sample(rng) for k, d in drawn.items()}}
                points.append({k: point[k] for k in self.space})
        return points

    def trial_for(self, params: Mapping[str, Any], seed: int) -> TrialPlan:
        """The trial of the swept agents at ``params`` on ``seed`` (its id hashes the config)."""
        config = apply_overrides(self.base, params, where=f"sweep {self.name!r} point")
        agents = {label: config.agents[label] for label in self.swept_labels}
        return _plan("swept", replace(config, agents=agents, seeds=[seed]), seed, dict(params))

    def shared_trials(self) -> list[TrialPlan]:
        """One trial per seed of the agents the space leaves alone (none if there are none)."""
        labels = self.shared_labels
        if not labels:
            return []
        agents = {label: self.base.agents[label] for label in labels}
        return [
            _plan("shared", replace(self.base, agents=agents, seeds=[s]), s, {}) for s in self.seeds
        ]

    def to_dict(self) -> dict[str, Any]:
        """The resolved sweep as plain data (the base experiment included): ``sweep.yaml``."""
        out: dict[str, Any] = {
            "name": self.name,
            "base": to_dict(self.base),
            "space": {k: {d.kind: list(d.values)} for k, d in self.space.items()},
            "seeds": list(self.seeds),
            "metrics": dict(self.metrics),
            "search": self.search,
            "samples": self.samples,
            "search_seed": self.search_seed,
            "resources": {"cpu": self.cpus_per_trial},
            "max_concurrent": self.max_concurrent,
            "early_stopping": {"asha": dict(self.asha)} if self.asha is not None else None,
            "pareto": list(self.pareto),
            "reference": self.reference,
        }
        return out


def _plan(kind: str, config: ExperimentConfig, seed: int, params: dict) -> TrialPlan:
    data = to_dict(replace(config, name="trial"))
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    trial_id = f"{'s' if kind == 'shared' else 't'}{digest[:11]}"
    data["name"] = trial_id
    return TrialPlan(trial_id, kind, seed, params, data)


def load_sweep(path: str | Path) -> SweepConfig:
    """Read and check the sweep file at ``path`` (its ``base`` relative to its folder)."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"sweep file {str(path)!r} must hold a mapping (name, base, space, metrics, ...); "
            f"got {type(data).__name__}"
        )
    return sweep_from_dict(data, folder=path.parent, where=path.name)


def sweep_from_dict(
    data: Mapping[str, Any], folder: Path | str = ".", where: str = "sweep"
) -> SweepConfig:
    """Build and check a :class:`SweepConfig` from plain data (``base``: a path or a mapping)."""
    unknown = [key for key in data if key not in _TOP_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(_TOP_KEYS)}"
        )
    for key in ("base", "space", "metrics"):
        if key not in data:
            raise ConfigError(f"{where}: missing required key {key!r}")
    base = _base_config(data["base"], Path(folder), where)
    fixed = data.get("set") or {}
    if not isinstance(fixed, Mapping):
        raise ConfigError(f"{where}.set must map dotted keys to values; got {fixed!r}")
    for key in fixed:
        parse_key(key)
    base = apply_overrides(base, dict(fixed), where=f"{where}.set")
    name = data.get("name", base.name)
    from neurocontrol.experiment.runs import check_run_name

    check_run_name(name)
    if base.measure.trial_based:
        raise ConfigError(
            f"{where}: the base experiment measures {base.metric!r} in blocks of trials; a sweep "
            "reports RMS measures per cycle (tracking_error, force_error)"
        )
    space = _space(data["space"], to_dict(base), base, where)
    seeds = data.get("seeds", list(base.seeds))
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
    ):
        raise ConfigError(f"{where}.seeds must be a non-empty list of integers >= 0; got {seeds!r}")
    search = data.get("search", "grid" if all(d.is_grid for d in space.values()) else "random")
    if search not in ("grid", "random", "optuna"):
        raise ConfigError(f"{where}.search must be one of grid, random, optuna; got {search!r}")
    if search == "grid" and not all(d.is_grid for d in space.values()):
        drawn = next(k for k, d in space.items() if not d.is_grid)
        raise ConfigError(
            f"{where}: search grid runs grid domains only, and {drawn!r} is drawn at random; "
            "use search: random (or make it a grid)"
        )
    samples = _int(data.get("samples", 1), f"{where}.samples", 1)
    search_seed = _int(data.get("search_seed", 0), f"{where}.search_seed", 0)
    resources = data.get("resources") or {}
    if not isinstance(resources, Mapping) or set(resources) - {"cpu"}:
        raise ConfigError(f"{where}.resources takes {{cpu: N}} (CPUs per trial); got {resources!r}")
    cpu = resources.get("cpu", 1)
    if isinstance(cpu, bool) or not isinstance(cpu, (int, float)) or not 0 < cpu <= 1024:
        raise ConfigError(f"{where}.resources.cpu must be a number > 0; got {cpu!r}")
    max_concurrent = data.get("max_concurrent")
    if max_concurrent is not None:
        max_concurrent = _int(max_concurrent, f"{where}.max_concurrent", 1)
    config = SweepConfig(
        name=name,
        base=base,
        space=space,
        metrics=_metrics(data["metrics"], where),
        seeds=list(seeds),
        search=search,
        samples=samples,
        search_seed=search_seed,
        cpus_per_trial=float(cpu),
        max_concurrent=max_concurrent,
        asha=_asha(data.get("early_stopping"), where),
        fixed=dict(fixed),
    )
    reference = _reference(config, data.get("reference"), where)
    config = replace(config, reference=reference, pareto=_pareto(data, config, where))
    _check_reported(config, where)
    return config


def _base_config(base: Any, folder: Path, where: str) -> ExperimentConfig:
    from neurocontrol.utils.config import load_yaml

    if isinstance(base, Mapping):
        return from_dict(ExperimentConfig, base, where=f"{where}.base")
    if not isinstance(base, str):
        raise ConfigError(f"{where}.base must be the path of an experiment config; got {base!r}")
    path = Path(base) if Path(base).is_absolute() else folder / base
    if not path.is_file():
        raise ConfigError(f"{where}.base: no experiment config at {str(path)!r}")
    return load_yaml(path, ExperimentConfig)


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where} must be an integer >= {minimum}; got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _space(space: Any, base: Any, config: ExperimentConfig, where: str) -> dict[str, Domain]:
    if not isinstance(space, Mapping) or not space:
        raise ConfigError(
            f"{where}.space must map dotted keys to domains ({', '.join(DOMAINS)}); got {space!r}"
        )
    out: dict[str, Domain] = {}
    for key, spec in space.items():
        parts = parse_key(key)
        at = f"{where}.space[{key!r}]"
        current = get_dotted(base, parts)
        if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in DOMAINS:
            accepted = "; ".join(f"{{{k}: {v}}}" for k, v in DOMAINS.items())
            raise ConfigError(f"{at} must be one domain, one of: {accepted}; got {spec!r}")
        kind, values = next(iter(spec.items()))
        if not isinstance(values, list):
            raise ConfigError(f"{at}: {kind} takes {DOMAINS[kind]}; got {values!r}")
        if kind in ("grid", "choice"):
            if not values:
                raise ConfigError(f"{at}: the {kind} is empty; it takes {DOMAINS[kind]}")
            for value in values:
                _same_kind(value, current, at)
                apply_overrides(config, {key: value}, where=at)
        else:
            _bounds(kind, values, current, at)
        out[format_key(parts)] = Domain(kind, tuple(values))
    return out


def _same_kind(value: Any, current: Any, at: str) -> None:
    """Refuse a value of another kind than the base config's (a string for a number...)."""
    kinds = (
        (lambda v: isinstance(v, bool), "true or false"),
        (_is_number, "a number"),
        (lambda v: isinstance(v, str), "a string"),
        (lambda v: isinstance(v, Mapping), "a mapping"),
        (lambda v: isinstance(v, list), "a list"),
    )
    for test, name in kinds:
        if current is not None and test(current) and not test(value):
            raise ConfigError(
                f"{at}: the base config holds {name} here ({current!r}); got {value!r}"
            )


def _bounds(kind: str, values: list, current: Any, at: str) -> None:
    integer = kind.endswith("randint")
    ok = len(values) == 2 and all(
        (isinstance(v, int) and not isinstance(v, bool)) if integer else _is_number(v)
        for v in values
    )
    if ok:
        lo, hi = values
        ok = (lo <= hi if integer else lo < hi) and (lo > 0 if kind.startswith("log") else True)
    if not ok:
        raise ConfigError(f"{at}: {kind} takes {DOMAINS[kind]}; got {values!r}")
    if not _is_number(current):
        raise ConfigError(f"{at}: {kind} draws numbers, but the base config holds {current!r} here")
    if isinstance(current, int) and not integer:
        raise ConfigError(
            f"{at}: the base config holds an integer here ({current!r}); draw it with randint, "
            f"lograndint or a grid, not {kind}"
        )


def _metrics(metrics: Any, where: str) -> dict[str, str]:
    if not isinstance(metrics, Mapping) or not metrics:
        raise ConfigError(f"{where}.metrics must map metric names to min or max; got {metrics!r}")
    for name, mode in metrics.items():
        if name not in METRICS:
            raise ConfigError(
                f"{where}.metrics: no experiment reports {name!r}; metrics: {', '.join(METRICS)}"
            )
        if mode not in ("min", "max"):
            raise ConfigError(f"{where}.metrics.{name}: mode must be min or max; got {mode!r}")
    return dict(metrics)


def _asha(spec: Any, where: str) -> dict | None:
    if spec is None:
        return None
    if (
        not isinstance(spec, Mapping)
        or set(spec) != {"asha"}
        or not isinstance(spec["asha"], Mapping)
    ):
        raise ConfigError(
            f"{where}.early_stopping takes {{asha: {{grace_cycles: N, reduction_factor: M}}}} "
            f"or nothing (off); got {spec!r}"
        )
    asha = dict(spec["asha"])
    unknown = set(asha) - {"grace_cycles", "reduction_factor"}
    if unknown:
        raise ConfigError(
            f"{where}.early_stopping.asha: unknown key {sorted(unknown)[0]!r}; "
            "allowed keys: grace_cycles, reduction_factor"
        )
    return {
        "grace_cycles": _int(
            asha.get("grace_cycles", 1), f"{where}.early_stopping.asha.grace_cycles", 1
        ),
        "reduction_factor": _int(
            asha.get("reduction_factor", 2), f"{where}.early_stopping.asha.reduction_factor", 2
        ),
    }


def _reference(config: SweepConfig, reference: Any, where: str) -> str | None:
    shared = config.shared_labels
    if reference is not None:
        if reference not in shared:
            raise ConfigError(
                f"{where}.reference must name an agent the space leaves alone "
                f"({', '.join(shared) or 'none'}); got {reference!r}"
            )
        return str(reference)
    return next(
        (label for label in shared if config.base.agents[label]["type"] in _BASE_TYPES), None
    )


def _pareto(data: Mapping[str, Any], config: SweepConfig, where: str) -> tuple[str, ...]:
    pareto = data.get("pareto", list(config.metrics)[:2] if len(config.metrics) >= 2 else [])
    if not isinstance(pareto, list) or (pareto and len(pareto) != 2):
        raise ConfigError(f"{where}.pareto must list two metrics of metrics; got {pareto!r}")
    for name in pareto:
        if name not in config.metrics:
            raise ConfigError(
                f"{where}.pareto: {name!r} is not one of the sweep's metrics "
                f"({', '.join(config.metrics)})"
            )
    return tuple(pareto)


def _check_reported(config: SweepConfig, where: str) -> None:
    """Refuse a metric that the base experiment's schedule cannot produce."""
    reported = reported_metrics(config)
    for name in config.metrics:
        if name not in reported:
            raise ConfigError(
                f"{where}.metrics: no experiment of this sweep reports {name!r}: "
                f"{_why_missing(name, config)}; it reports {', '.join(reported)}"
            )


def reported_metrics(config: SweepConfig) -> list[str]:
    """The metrics the sweep's experiments report, given their schedule and agents."""
    base = config.base
    events = base.perturbation_events
    on = next((e.at for e in events if e.perturbation is not None), None)
    out = ["error", "real_time_factor", "cpu_real_time_factor"]
    if on is None:
        return out
    off = next((e.at for e in events if e.perturbation is None and e.at > on), math.inf)
    frozen = any(e.learning is False and on <= e.at < off for e in base.schedule)
    out += ["first_perturbed_error", "adapted_error"]
    if on > 0:
        out.append("before_error")
    if off < base.duration:
        out.append("after_effect_error")
    if frozen:
        out.append("frozen_error")
        if config.reference is not None:
            out.append("retention")
    return out


def _why_missing(name: str, config: SweepConfig) -> str:
    if name == "retention" and "frozen_error" in reported_metrics(config):
        return (
            "retention needs a reference base controller (type osc or joint_pd) among the agents "
            "the space leaves alone"
        )
    needs = {
        "before_error": "a perturbation switching on after 0 s",
        "after_effect_error": "a perturbation switching off before duration",
        "frozen_error": "a {learning: false} schedule event under the perturbation",
        "retention": "a {learning: false} schedule event under the perturbation and a shared base",
    }
    return f"it needs {needs.get(name, 'a perturbation in the schedule')}"
