"""Perturbations for adaptation studies, as plain data.

A perturbation is a dict with a ``kind``, that kind's parameters and an
optional ``onset`` (seconds of episode time, default 0)::

    {"kind": "curl_field", "strength": 15.0, "onset": 2.0}

Pass one dict, or a list of them to combine several, to
``env.reset(options={"perturbation": ...})``, to the env's ``perturbation``
constructor argument (applied at every reset), or to
``env.unwrapped.set_perturbation(...)`` mid-episode. A scalar parameter or
the onset may also be ``{"uniform": [low, high]}``: drawn once, from the
env's ``np_random``, when the perturbation is set.

====================  =====================================  ================================
kind                  parameters                             effect
====================  =====================================  ================================
``payload``           ``mass`` (kg, >= 0)                    point mass added at the hand
``curl_field``        ``strength`` b (N·s/m, signed)         hand force F = b (v_y, -v_x[, 0])
                                                             re-applied every physics step
``joint_damping``     ``damping`` (N·m·s/rad, >= 0; scalar   tau -= damping * dq (worn joints)
                      or one per joint)
``joint_friction``    ``friction`` (N·m, >= 0; scalar or     Coulomb friction through the
                      one per joint)                         (implicit) velocity motor
``actuator_gain``     ``gain`` (>= 0; scalar or per joint)   applied torque = gain * command
``dead_joint``        ``joint`` (index, or list of indices)  that joint's motor gives 0 N·m
``command_delay``     ``delay_ms`` (>= 0, a multiple of dt)  commands reach the motors late
``surface_friction``  ``friction`` (0 .. 10; scalar or       the surface's (table's) friction
                      [lateral, spinning, rolling])          coefficients, set at the onset
====================  =====================================  ================================

The nominal robot has no joint damping or friction, so worn joints are given
as absolute coefficients rather than as a scale of zero. The curl field
turns the hand velocity clockwise (seen from +z) for b > 0, so it always
pushes perpendicular to the motion (Shadmehr & Mussa-Ivaldi 1994).

``surface_friction`` needs an env with a surface (ArmPress's table); a scalar
sets the lateral coefficient only, three values set lateral, spinning and
rolling friction (``changeDynamics`` of the surface; the spinning and rolling
coefficients act as torque per normal force, m). Bullet multiplies the two
bodies' coefficients at a contact and clamps the product at 10; the pads'
lateral coefficient is 1, so ``lateral`` is the contact's Coulomb friction
coefficient. Among several active ones the latest onset sets the surface;
clearing restores the surface's nominal coefficients (ArmPress turns the
pads' friction anchors off, so a change reaches a pad that sticks). Friction
acts tangentially: on a hand held still it changes no normal force, only how
much tangential load the contact takes before it slips.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import mul
from typing import Any

import numpy as np

from neurocontrol.errors import PerturbationError

__all__ = [
    "KINDS",
    "MAX_COMMAND_DELAY_MS",
    "MAX_DELAY_STEPS",
    "MAX_PERTURBATIONS",
    "ActivePerturbations",
    "Perturbation",
    "parse_perturbations",
]

#: kind -> its parameters (besides ``kind`` and ``onset``)
KINDS: dict[str, tuple[str, ...]] = {
    "payload": ("mass",),
    "curl_field": ("strength",),
    "joint_damping": ("damping",),
    "joint_friction": ("friction",),
    "actuator_gain": ("gain",),
    "dead_joint": ("joint",),
    "command_delay": ("delay_ms",),
    "surface_friction": ("friction",),
}

#: Bullet clamps the combined friction coefficients of a contact at this value (MAX_FRICTION).
MAX_SURFACE_FRICTION = 10.0
#: The order of a surface_friction list.
SURFACE_FRICTION_PARTS = ("lateral", "spinning", "rolling")
#: Longest command delay (ms): the delay line holds one command per physics step.
MAX_COMMAND_DELAY_MS = 10_000.0
#: Most commands the delay line may hold (a 10 s delay at a physics step of 0.1 ms).
MAX_DELAY_STEPS = 100_000
#: Most perturbations in one spec (each onset re-evaluates the active ones).
MAX_PERTURBATIONS = 64


@dataclass(frozen=True)
class Perturbation:
    """One validated perturbation: what, how strong, from when.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    onset : float
        Episode time (s) from which it acts.
    value : float or tuple of float or tuple of int
        The resolved parameter: a float for ``mass``, ``strength`` and
        ``delay_ms`` and a scalar ``surface_friction``; one value per joint
        for ``damping``, ``friction`` (joint), ``gain``; joint indices for
        ``dead_joint``; (lateral, spinning, rolling) for a three-value
        ``surface_friction``.
    """

    kind: str
    onset: float
    value: Any

    def as_dict(self) -> dict[str, Any]:
        """The perturbation as plain data (the form ``set_perturbation`` accepts)."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"kind": self.kind, KINDS[self.kind][0]: value, "onset": self.onset}


def _draw(name: str, value: Any, rng: np.random.Generator) -> Any:
    """Resolve ``{"uniform": [low, high]}`` with ``rng``; pass other values through."""
    if not isinstance(value, Mapping):
        return value
    if set(value) != {"uniform"}:
        raise PerturbationError(
            f"{name}: a random value must be {{'uniform': [low, high]}}, got {dict(value)!r}"
        )
    bounds = value["uniform"]
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError) as exc:
        raise PerturbationError(
            f"{name}: 'uniform' takes two finite numbers [low, high], got {bounds!r}"
        ) from exc
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise PerturbationError(f"{name}: 'uniform' needs finite low <= high, got {bounds!r}")
    return float(rng.uniform(low, high))


def _number(name: str, value: Any, minimum: float | None = None, unit: str = "") -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a 0-d array is its scalar
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise PerturbationError(f"{name} must be a number{unit}, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise PerturbationError(f"{name} must be finite{unit}, got {value!r}")
    if minimum is not None and number < minimum:
        raise PerturbationError(f"{name} must be >= {minimum:g}{unit}, got {value!r}")
    return number


def _is_sequence(value: Any) -> bool:
    """A list-like of values (not a string, bytes or a 0-d array, which are single values)."""
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _per_joint(name: str, value: Any, n_joints: int, unit: str) -> tuple[float, ...]:
    if _is_sequence(value):
        if len(value) != n_joints:
            raise PerturbationError(
                f"{name} must be a scalar or {n_joints} values (one per joint), got {len(value)}"
            )
        values = list(value)
    else:
        values = [value] * n_joints
    return tuple(_number(name, v, minimum=0.0, unit=unit) for v in values)


def _surface_friction(name: str, raw: Any, rng: np.random.Generator) -> float | tuple[float, ...]:
    """A lateral coefficient, or (lateral, spinning, rolling); each may be drawn."""
    if _is_sequence(raw):
        if len(raw) != len(SURFACE_FRICTION_PARTS):
            raise PerturbationError(
                f"{name} must be a scalar (lateral) or 3 values [lateral, spinning, rolling], "
                f"got {len(raw)}"
            )
        values = list(raw)
        parts = [f"{name}.{part}" for part in SURFACE_FRICTION_PARTS]
        return tuple(
            _surface_coefficient(part, _draw(part, v, rng))
            for part, v in zip(parts, values, strict=True)
        )
    return _surface_coefficient(name, raw)


def _surface_coefficient(name: str, value: Any) -> float:
    number = _number(name, value, minimum=0.0)
    if number > MAX_SURFACE_FRICTION:
        raise PerturbationError(
            f"{name} must be <= {MAX_SURFACE_FRICTION:g} (Bullet clamps a contact's combined "
            f"friction there), got {value!r}"
        )
    return number


def _is_none(kind: Any) -> bool:
    """``kind`` is ``"none"`` (compared only as a string: an array's ``==`` is elementwise)."""
    return isinstance(kind, str) and kind == "none"


def _check_delay(name: str, delay_ms: float, dt: float) -> None:
    """Bound a delay (one or several summed): the delay line holds a command per physics step."""
    if delay_ms > MAX_COMMAND_DELAY_MS:
        raise PerturbationError(
            f"{name} must be <= {MAX_COMMAND_DELAY_MS:g} ms ({MAX_COMMAND_DELAY_MS / 1000:g} s of "
            f"commands), got {delay_ms:g}"
        )
    steps = delay_ms / (dt * 1000.0)
    if steps > MAX_DELAY_STEPS:
        raise PerturbationError(
            f"{name} = {delay_ms:g} ms is {steps:.0f} physics steps at dt = {dt:g} s; the delay "
            f"line holds at most {MAX_DELAY_STEPS} commands (MAX_DELAY_STEPS)"
        )


def _check_onset(kind: str, raw: Any, onset: float, dt: float, episode_steps: int | None) -> None:
    """Refuse an onset past the episode's end; warn about one when the end is unknown.

    ``raw`` is the onset as given, ``onset`` its drawn value: a random onset
    is judged by the upper end of its range, so a spec is refused or not
    whatever the draw.
    """
    latest, shown = onset, f"{kind}.onset = {onset:g} s"
    if isinstance(raw, Mapping):  # {"uniform": [low, high]}, checked by _draw
        latest = max(onset, *(float(b) for b in raw["uniform"]))
        shown = f"{kind}.onset = {dict(raw)!r} (up to {latest:g} s)"
    if episode_steps is None:
        if latest > 0.0:
            warnings.warn(
                f"{shown} is not checked against the episode's end: the episode length is "
                "unknown (no TimeLimit around the env); an onset past the end never acts",
                UserWarning,
                stacklevel=2,
            )
        return
    if round(latest / dt) >= episode_steps:
        end = episode_steps * dt
        raise PerturbationError(
            f"{shown} is past the end of the episode ({end:g} s, {episode_steps} physics steps "
            f"of {dt:g} s): it would never act; accepted: onsets < {end:g} s"
        )


def _parse_one(
    spec: Any,
    n_joints: int,
    dt: float,
    damping_limit: Callable[[], Sequence[float]],
    rng: np.random.Generator,
    has_surface: bool,
    check_onsets: bool = False,
    episode_steps: int | None = None,
) -> Perturbation:
    if not isinstance(spec, Mapping):
        raise PerturbationError(
            f"a perturbation must be a dict with a 'kind', got {type(spec).__name__}: {spec!r}"
        )
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise PerturbationError(
            f"unknown perturbation kind {kind!r}; accepted: {', '.join(sorted(KINDS))}"
        )
    (param,) = KINDS[kind]
    accepted = {"kind", "onset", param}
    unknown = sorted(set(spec) - accepted, key=str)
    if unknown:
        raise PerturbationError(
            f"unknown parameter(s) {unknown} for perturbation {kind!r}; "
            f"accepted: {sorted(accepted)}"
        )
    if param not in spec:
        raise PerturbationError(f"perturbation {kind!r} needs the parameter {param!r}")
    raw_onset = spec.get("onset", 0.0)
    onset = _number(f"{kind}.onset", _draw(f"{kind}.onset", raw_onset, rng), 0.0, " s")
    if check_onsets:
        _check_onset(kind, raw_onset, onset, dt, episode_steps)
    raw = _draw(f"{kind}.{param}", spec[param], rng)
    name = f"{kind}.{param}"
    value: Any
    if kind == "payload":
        value = _number(name, raw, minimum=0.0, unit=" kg")
    elif kind == "curl_field":
        value = _number(name, raw, unit=" N·s/m")
    elif kind == "joint_damping":
        value = _per_joint(name, raw, n_joints, " N·m·s/rad")
        for joint, (c, limit) in enumerate(zip(value, damping_limit(), strict=True)):
            if c > limit:
                raise PerturbationError(
                    f"{name}[{joint}] = {c:g} N·m·s/rad is above {limit:.3g}, the largest value "
                    f"this joint integrates stably at dt = {dt:g} s (damping is applied "
                    "explicitly each physics step); use a smaller value or a smaller dt"
                )
    elif kind in ("joint_friction", "actuator_gain"):
        value = _per_joint(name, raw, n_joints, " N·m" if kind == "joint_friction" else "")
    elif kind == "surface_friction":
        if not has_surface:
            raise PerturbationError(
                "surface_friction changes the friction of the surface the robot presses on; "
                "this env has none (accepted on ArmPress)"
            )
        value = _surface_friction(name, raw, rng)
    elif kind == "dead_joint":
        if _is_sequence(raw) and len(raw) > n_joints:
            raise PerturbationError(
                f"{name} lists {len(raw)} joints; at most {n_joints} (each joint once)"
            )
        joints = list(raw) if _is_sequence(raw) else [raw]
        for joint in joints:
            if isinstance(joint, bool) or not isinstance(joint, (int, np.integer)):
                raise PerturbationError(f"{name} must be joint indices (int), got {joint!r}")
            if not 0 <= joint < n_joints:
                raise PerturbationError(f"{name} must be in [0, {n_joints - 1}], got {joint}")
        value = tuple(int(j) for j in joints)
    else:  # command_delay
        delay_ms = _number(name, raw, minimum=0.0, unit=" ms")
        _check_delay(name, delay_ms, dt)
        steps = delay_ms / (dt * 1000.0)
        if abs(steps - round(steps)) > 1e-6:
            raise PerturbationError(
                f"{name} = {delay_ms:g} ms is not a whole number of physics steps "
                f"(dt = {dt * 1000.0:g} ms); accepted: multiples of {dt * 1000.0:g} ms"
            )
        value = delay_ms
    return Perturbation(kind=kind, onset=onset, value=value)


def parse_perturbations(
    spec: Any,
    n_joints: int,
    dt: float,
    damping_limit: Callable[[], Sequence[float]],
    rng: np.random.Generator,
    *,
    has_surface: bool = False,
    check_onsets: bool = False,
    episode_steps: int | None = None,
) -> tuple[Perturbation, ...]:
    """Validate a perturbation spec (None, ``{"kind": "none"}``, a dict, or a list of dicts).

    ``damping_limit``: gives the largest stable ``joint_damping`` per joint;
    called only for a ``joint_damping`` spec (it evaluates the nominal model).
    ``has_surface``: the env has a surface for ``surface_friction``.
    ``check_onsets``: check every onset (the upper end of a random one)
    against the episode's end, ``episode_steps`` physics steps (None:
    unknown, a positive onset is then warned about).

    Raises
    ------
    PerturbationError
        For an unknown kind or parameter, a missing parameter, or a bad value
        (negative mass, non-finite number, wrong number of joints, ...), a
        ``surface_friction`` without a surface or two of them with the same
        onset, a delay beyond :data:`MAX_COMMAND_DELAY_MS` (alone or summed), more
        than :data:`MAX_PERTURBATIONS` perturbations, or (``check_onsets``)
        an onset past the episode's end; the message names it and what is
        accepted.

    Warns
    -----
    UserWarning
        With ``check_onsets`` and an unknown episode length, for each
        positive onset.
    """
    if spec is None:
        return ()
    specs = [spec] if isinstance(spec, Mapping) else spec
    if not isinstance(specs, (list, tuple)):
        raise PerturbationError(
            f"perturbation must be None, a dict or a list of dicts, got {type(spec).__name__}"
        )
    if len(specs) > MAX_PERTURBATIONS:
        raise PerturbationError(
            f"a perturbation list holds at most {MAX_PERTURBATIONS} perturbations "
            f"(MAX_PERTURBATIONS), got {len(specs)}"
        )
    parsed = tuple(
        _parse_one(s, n_joints, dt, damping_limit, rng, has_surface, check_onsets, episode_steps)
        for s in specs
        if not (isinstance(s, Mapping) and len(s) == 1 and _is_none(s.get("kind")))
    )
    delays = [p.value for p in parsed if p.kind == "command_delay"]
    if len(delays) > 1:
        _check_delay("the summed command_delay.delay_ms", sum(delays), dt)
    onsets = [p.onset for p in parsed if p.kind == "surface_friction"]
    if len(onsets) != len(set(onsets)):
        raise PerturbationError(
            "two surface_friction perturbations with the same onset: which one sets the surface "
            f"is ambiguous; give them different onsets (got onsets {onsets})"
        )
    return parsed


def _copy_flat(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in entry.items()}


class ActivePerturbations:
    """The perturbations of the current episode and their per-step effects on one robot.

    ``modifies_torque``, ``curl_strength`` and ``next_onset_step`` are read in
    the hot loop; everything else changes only when a perturbation is set or
    reaches its onset.

    Parameters
    ----------
    robot : TorqueArm
        The simulated arm the effects act on.
    dt : float
        Physics time step (s).
    surface : int, optional
        Body id of the surface ``surface_friction`` acts on (its base link).
    """

    def __init__(self, robot: Any, dt: float, surface: int | None = None) -> None:
        self.robot = robot
        self.dt = dt
        self.surface = surface
        self._surface_nominal: tuple[float, float, float] | None = None
        if surface is not None:
            info = robot.sim.client.getDynamicsInfo(surface, -1)
            self._surface_nominal = (info[1], info[7], info[6])  # lateral, spinning, rolling
        self._surface_set = False  # a surface_friction changed the surface
        self.nominal_hand_mass = robot.hand_mass()
        self.pending: list[Perturbation] = []
        self.active: list[Perturbation] = []
        self.next_onset_step: float = math.inf
        self.modifies_torque = False
        self.curl_strength = 0.0
        self.idle = True  # nothing active or pending: the env may skip all of this
        self.info: dict[str, Any] = {"kind": "none"}
        #: a fresh copy of :attr:`info` (a deep one when it holds lists), called every step
        self.info_entry: Callable[[], dict[str, Any]] = self.info.copy
        self._gain: list[float] | None = None
        self._damping: list[float] | None = None
        self._delay_buffer: list[list[float]] = []
        self._delay_index = 0

    def set(self, perturbations: Sequence[Perturbation], step: int, command: list[float]) -> None:
        """Replace every perturbation; those whose onset has passed act from ``step`` on."""
        self.clear()
        self.pending = sorted(perturbations, key=lambda p: p.onset)
        self._schedule()
        self.activate_due(step, command)
        if not self.active:
            self._refresh(command)  # lists the pending ones in ``info``

    def clear(self) -> None:
        """Remove every perturbation and undo its effect on the body."""
        if any(p.kind == "payload" for p in self.active):
            self.robot.set_hand_mass(self.nominal_hand_mass)
        if any(p.kind == "joint_friction" for p in self.active):
            self.robot.release_joint_friction()
        if self._surface_set:
            self._set_surface_friction(None)
        self.pending, self.active = [], []
        self.next_onset_step = math.inf
        self._refresh([0.0] * self.robot.n_joints)

    def activate_due(self, step: int, command: list[float]) -> None:
        """Activate every pending perturbation whose onset step is <= ``step``."""
        due = [p for p in self.pending if self._onset_step(p) <= step]
        if not due:
            return
        self.pending = [p for p in self.pending if p not in due]
        self.active.extend(due)
        self._schedule()
        self._refresh(command)

    def _nested_info_copy(self) -> dict[str, Any]:
        """A copy of :attr:`info` that shares no list with it (callers keep what an env returns)."""
        info = self.info
        if info["kind"] == "combined":
            return {"kind": "combined", "parts": [_copy_flat(part) for part in info["parts"]]}
        return _copy_flat(info)

    def joint_torques(self, tau_cmd: list[float], dq: list[float]) -> list[float]:
        """Torques that reach the joints this physics step, given the command ``tau_cmd``."""
        tau = tau_cmd
        if self._delay_buffer:
            index = self._delay_index
            tau, self._delay_buffer[index] = self._delay_buffer[index], tau_cmd
            self._delay_index = (index + 1) % len(self._delay_buffer)
        # every list here is n long: a plain zip (strict=True costs a check per call)
        if self._gain is not None:
            tau = list(map(mul, self._gain, tau))
        if self._damping is not None:
            tau = [t - c * v for t, c, v in zip(tau, self._damping, dq)]  # noqa: B905
        return tau

    # -- internals ----------------------------------------------------------------
    def _onset_step(self, perturbation: Perturbation) -> int:
        return round(perturbation.onset / self.dt)

    def _schedule(self) -> None:
        self.next_onset_step = min((self._onset_step(p) for p in self.pending), default=math.inf)

    def _set_surface_friction(self, value: float | tuple[float, ...] | None) -> None:
        """Set the surface's coefficients (None: back to nominal)."""
        assert self._surface_nominal is not None  # parse_perturbations checked has_surface
        lateral, spinning, rolling = self._surface_nominal
        if isinstance(value, tuple):
            lateral, spinning, rolling = value
        elif value is not None:
            lateral = value
        self.robot.sim.client.changeDynamics(
            self.surface,
            -1,
            lateralFriction=lateral,
            spinningFriction=spinning,
            rollingFriction=rolling,
        )
        self._surface_set = value is not None

    def _sum(self, kind: str, start: list[float]) -> list[float]:
        total = list(start)
        for p in self.active:
            if p.kind == kind:
                total = [a + b for a, b in zip(total, p.value, strict=True)]
        return total

    def _refresh(self, command: list[float]) -> None:
        """Recompute the combined effects of the active perturbations and the info entry."""
        n = self.robot.n_joints
        kinds = {p.kind for p in self.active}
        if "payload" in kinds:
            mass = sum(p.value for p in self.active if p.kind == "payload")
            self.robot.set_hand_mass(self.nominal_hand_mass + mass)
        if "joint_friction" in kinds:
            self.robot.set_joint_friction(self._sum("joint_friction", [0.0] * n))
        if "surface_friction" in kinds:
            # the latest onset sets the surface (sorted by onset: the last active one)
            latest = [p for p in self.active if p.kind == "surface_friction"]
            self._set_surface_friction(max(latest, key=lambda p: p.onset).value)
        self.curl_strength = float(sum(p.value for p in self.active if p.kind == "curl_field"))
        gain = [1.0] * n
        for p in self.active:
            if p.kind == "actuator_gain":
                gain = [g * v for g, v in zip(gain, p.value, strict=True)]
            elif p.kind == "dead_joint":
                gain = [0.0 if j in p.value else g for j, g in enumerate(gain)]
        self._gain = None if all(g == 1.0 for g in gain) else gain
        damping = self._sum("joint_damping", [0.0] * n)
        self._damping = damping if any(damping) else None
        delay_ms = sum(p.value for p in self.active if p.kind == "command_delay")
        delay_steps = round(delay_ms / (self.dt * 1000.0))
        if delay_steps != len(self._delay_buffer):
            # Until the delayed commands arrive the motors keep the last one they got.
            self._delay_buffer = [list(command)] * delay_steps
            self._delay_index = 0
        self.modifies_torque = bool(
            self._delay_buffer or self._gain is not None or self._damping is not None
        )
        self.idle = not (self.active or self.pending)
        parts = [dict(p.as_dict(), active=True) for p in self.active]
        parts += [dict(p.as_dict(), active=False) for p in self.pending]
        if not parts:
            self.info = {"kind": "none"}
        elif len(parts) == 1:
            self.info = parts[0]
        else:
            self.info = {"kind": "combined", "parts": parts}
        # no nested list: a shallow copy is a full copy (and the builtin costs no Python call)
        flat = not any(isinstance(v, list) for v in self.info.values())
        self.info_entry = self.info.copy if flat else self._nested_info_copy
