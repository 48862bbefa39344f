"""Generation of the whole-network step entry point, one numba call per step.

The entry point rebuilds the state NamedTuples from the arenas, checks the
signals, calls each encoder's kernel, the kernel of each population's
model, the propagation kernel of each projection and each learning-rule
kernel, and finishes the step (operation counts, clock). Its source depends
only on the network's *structure* (which encoders, models, storage, which
rule kernels on which projections; see :class:`StepPlan`),
never on sizes or values, so networks of the same structure share one
compiled function, and a network compiles only the kernels it uses.

It is written to a file in the cache directory whose name hashes the
generated source, the numba version and the source of every module it
imports; numba's on-disk cache next to that file is therefore never stale,
and a second process loads it without compiling.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numba

from neurocontrol.core.builder.arena import ARENA_KINDS, Group
from neurocontrol.core.kernels.step.state import NetworkState
from neurocontrol.errors import BuildError
from neurocontrol.utils.fileio import atomic_write_text

__all__ = ["EncoderCall", "RuleCall", "StepPlan", "cache_directory", "load_step_function"]

_GENERATOR_VERSION = "6"
#: The plain arrays of NetworkState after its three groups, in order.
_CORE_FIELDS: tuple[str, ...] = NetworkState._fields[3:]


class RuleCall:
    """One rule-kernel call of the entry point: ``kernel(net, projection, <group variable>)``."""

    def __init__(self, kernel: Callable[..., None], projection_index: int, variable: str) -> None:
        self.kernel = kernel
        self.projection_index = projection_index
        self.variable = variable


class EncoderCall:
    """One encoder call: ``kernel(populations, neurons, rng, operations, signals, <variable>)``."""

    def __init__(self, kernel: Callable[..., None], variable: str) -> None:
        self.kernel = kernel
        self.variable = variable


def cache_directory() -> Path:
    """Where generated entry points (and numba's cache of them) live.

    ``$NEUROCONTROL_CACHE_DIR`` if set, else ``~/.cache/neurocontrol/steps``;
    a per-user temporary directory if that is not writable.
    """
    configured = os.environ.get("NEUROCONTROL_CACHE_DIR")
    base = Path(configured) if configured else Path.home() / ".cache" / "neurocontrol"
    directory = base / "steps"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if os.access(directory, os.W_OK):
            return directory
    except OSError:
        pass  # not creatable (read-only home): the per-user temporary directory below
    fallback = Path(tempfile.gettempdir()) / f"neurocontrol-steps-{os.getuid()}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _field_expression(slot: int, kind: str, width: int) -> str:
    """Slot ``slot`` as a view of arena ``kind``
    (:mod:`neurocontrol.core.kernels.step.arena_views`)."""
    if width == 0:
        return f"arena_view({kind}, layout, {slot})"
    return f"arena_table({kind}, layout, {slot}, {width})"


def _fields(group: Group) -> str:
    return ", ".join(
        _field_expression(slot, kind, width)
        for slot, kind, width in zip(group.slots, group.kinds, group.widths, strict=True)
    )


def _group_expression(group: Group) -> str:
    return f"{group.cls.__name__}({_fields(group)})"


@dataclass(frozen=True)
class StepPlan:
    """What one step of a network calls, in order (the structure the entry point spells out).

    Attributes
    ----------
    population_kernels : sequence of numba dispatchers or None
        Per population (index ``p``), the kernel of its model:
        ``kernel(populations, p, neurons, ring, clock, rng, events)``; None
        for an input whose spikes an encoder draws.
    projection_kernels : sequence of numba dispatchers or RuleCall
        Per projection (index ``q``), its propagation kernel:
        ``kernel(populations, q, synapses, neurons, ring, clock)``, or the
        call of its only rule's kernel when that kernel also propagates.
    rule_calls : sequence of RuleCall
        Learning-rule kernels, in projection then rule order.
    deferred : bool
        Whether some projection buffers its weight changes (several rules),
        so the step ends with ``apply_weight_changes``.
    encoder_calls : sequence of EncoderCall
        Encoder kernels, called first.
    signals : bool
        Whether the network has signal inputs: the entry point then takes
        the signal vector after the events, checks it and returns the index
        of the first non-finite signal before changing anything.
    third_factors : sequence of (group variable, field)
        The third factors of the rules, checked at the start of the step: the
        entry point returns ``-2 - k`` if the ``k``-th holds NaN or inf
        before changing anything. It returns -1 after a step.
    """

    population_kernels: tuple[Callable[..., None] | None, ...]
    projection_kernels: tuple[Callable[..., None] | RuleCall, ...]
    rule_calls: tuple[RuleCall, ...] = ()
    deferred: bool = False
    encoder_calls: tuple[EncoderCall, ...] = ()
    signals: bool = False
    third_factors: tuple[tuple[str, str], ...] = ()


def _source(
    core: Sequence[Group], parts: Sequence[Group], plan: StepPlan
) -> tuple[str, list[ModuleType]]:
    """Source of ``network_step`` for ``plan``: one direct call per encoder, population,
    projection and rule (``parts``: the state groups of the encoders and rules).

    Only the kernels named here are compiled (no dispatch over every neuron
    model or storage kind), and the nested :class:`NetworkState` tuple,
    which is costly to compile into a function's signature, is built only
    when a learning rule needs it. Population and projection indices are
    passed as ``int64(k)``, not as the literal ``k``: numba would compile a
    kernel once per literal value (per population or projection using it);
    LLVM still sees the constant once it inlines the kernel.
    """
    imports: dict[str, set[str]] = {}
    modules: list[ModuleType] = []

    def need(obj: object) -> str:
        module_name, name = obj.__module__, obj.__name__  # type: ignore[attr-defined]
        imports.setdefault(module_name, set()).add(name)
        module = sys.modules[module_name]
        if module not in modules:
            modules.append(module)
        return name

    from neurocontrol.core.kernels.step import arena_views, flags
    from neurocontrol.core.kernels.step import order as step

    need(arena_views.arena_view)
    need(arena_views.arena_table)
    by_variable = {group.variable: group for group in (*core, *parts)}
    arenas = ", ".join(ARENA_KINDS)
    body = []
    if plan.signals:
        body.append(f"    bad = {need(step.first_nonfinite)}(signals)")
        body.append("    if bad >= 0:")
        body.append("        return bad")
    for k, (variable, field_name) in enumerate(plan.third_factors):
        group = by_variable[variable]
        i = group.cls._fields.index(field_name)  # type: ignore[attr-defined]
        values = _field_expression(group.slots[i], group.kinds[i], group.widths[i])
        body.append(f"    if {need(step.first_nonfinite)}({values}) >= 0:")
        body.append(f"        return {-2 - k}")
    for name in ("neurons", "populations", "synapses"):
        group = by_variable[name]
        need(group.cls)
        body.append(f"    {name} = {_group_expression(group)}")
    core_fields = by_variable["core"]
    for slot, kind, width, field_name in zip(
        core_fields.slots, core_fields.kinds, core_fields.widths, _CORE_FIELDS, strict=True
    ):
        body.append(f"    {field_name} = {_field_expression(slot, kind, width)}")
    body.append(f"    {need(step.start_operations)}(operations)")
    for encoder in plan.encoder_calls:
        group = by_variable[encoder.variable]
        body.append(f"    {encoder.variable} = {need(group.cls)}({_fields(group)})")
        body.append(
            f"    {need(encoder.kernel)}(populations, neurons, rng, operations, signals, "
            f"{encoder.variable})"
        )
    for p, kernel in enumerate(plan.population_kernels):
        if kernel is None:  # an input whose spikes its encoder drew
            continue
        body.append(
            f"    {need(kernel)}(populations, int64({p}), neurons, ring, clock, rng, events)"
        )
    if plan.rule_calls or any(isinstance(k, RuleCall) for k in plan.projection_kernels):
        body.append(
            f"    net = {need(NetworkState)}(neurons, populations, synapses, "
            f"{', '.join(_CORE_FIELDS)})"
        )

    def rule_call(call: RuleCall) -> None:
        group = by_variable[call.variable]
        body.append(f"    {call.variable} = {need(group.cls)}({_fields(group)})")
        body.append(
            f"    {need(call.kernel)}(net, int64({call.projection_index}), {call.variable})"
        )

    for q, kernel in enumerate(plan.projection_kernels):
        if isinstance(kernel, RuleCall):  # the projection's only rule, which also propagates
            rule_call(kernel)
        else:
            body.append(
                f"    {need(kernel)}(populations, int64({q}), synapses, neurons, ring, clock)"
            )
    for call in plan.rule_calls:
        rule_call(call)
    if plan.deferred:
        body.append(f"    {need(step.apply_weight_changes)}(synapses)")
    body.append(f"    {need(step.count_operations)}(populations.ints, synapses.ints, operations)")
    body.append(f"    {need(step.advance_clock)}(clock)")
    body.append("    return -1")
    modules.append(flags)
    lines = [
        '"""Generated by neurocontrol.core.builder.codegen; do not edit."""',
        "from numba import njit",
        "from numpy import int64",
        "from neurocontrol.core.kernels.step.flags import STEP_JIT",
    ]
    for module_name in sorted(imports):
        lines.append(f"from {module_name} import {', '.join(sorted(imports[module_name]))}")
    inputs = "events, signals" if plan.signals else "events"
    lines += ["", "", "@njit(**STEP_JIT)", f"def network_step({arenas}, layout, {inputs}):"]
    lines += body
    lines.append("")
    return "\n".join(lines), modules


def _kernel_dependencies(modules: Sequence[ModuleType]) -> list[ModuleType]:
    """``modules`` and every ``neurocontrol.core.kernels`` module they use, transitively."""
    seen: dict[str, ModuleType] = {}
    pending = list(modules)
    while pending:
        module = pending.pop()
        if module.__name__ in seen:
            continue
        seen[module.__name__] = module
        for value in vars(module).values():
            if isinstance(value, ModuleType):
                name = value.__name__
            else:
                name = getattr(value, "__module__", None) or ""
            if (
                isinstance(name, str)
                and name.startswith("neurocontrol.core.kernels")
                and name in sys.modules
            ):
                pending.append(sys.modules[name])
    return [seen[name] for name in sorted(seen)]


def _source_bytes(module: ModuleType) -> bytes:
    """The bytes of ``module``'s source file (hashed on every start: read directly, about
    3x cheaper than ``inspect.getsource``, which splits and caches it line by line)."""
    path = getattr(module, "__file__", None)
    if not path:
        raise BuildError(f"kernel module {module.__name__} has no source file to fingerprint")
    return Path(path).read_bytes()


def _fingerprint(source: str, modules: Sequence[ModuleType]) -> str:
    digest = hashlib.sha256()
    digest.update(_GENERATOR_VERSION.encode())
    digest.update(numba.__version__.encode())
    digest.update(source.encode())
    for module in _kernel_dependencies(modules):
        digest.update(module.__name__.encode())
        digest.update(_source_bytes(module))
    return digest.hexdigest()[:20]


def load_step_function(
    core: Sequence[Group], parts: Sequence[Group], plan: StepPlan
) -> Callable[..., int]:
    """The compiled-on-first-call ``network_step`` for this structure."""
    source, modules = _source(core, parts, plan)
    key = _fingerprint(source, modules)
    module_name = f"neurocontrol_step_{key}"
    if module_name in sys.modules:
        return sys.modules[module_name].network_step  # type: ignore[no-any-return]
    path = cache_directory() / f"{module_name}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        atomic_write_text(path, source)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise BuildError(f"cannot import the generated step module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module.network_step  # type: ignore[no-any-return]
