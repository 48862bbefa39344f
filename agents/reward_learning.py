"""Reward learning: a spiking choice network that learns where to reach from reward alone.

:class:`RewardSpikingController` (agent type ``reward_spiking``) learns with
reward-modulated STDP on PlanarReach; :class:`TrialState` is its per-trial
bookkeeping, named fields over the one array its checkpoints store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from neurocontrol.agents.agent import Agent
from neurocontrol.agents.base_controllers import OperationalSpaceController
from neurocontrol.agents.persistence import Persistent
from neurocontrol.core.model import (
    LIF,
    AllToAll,
    ExplicitMatrix,
    Input,
    Network,
    Population,
    Projection,
    Uniform,
)
from neurocontrol.core.model.reward_rules import RewardSTDP
from neurocontrol.core.simulator import Simulator
from neurocontrol.core.statedict import Stateful
from neurocontrol.envs.tasks.trajectory import minimum_jerk
from neurocontrol.errors import ConfigError
from neurocontrol.utils.rng import rng_from_words, rng_to_words
from neurocontrol.utils.validation import require_int, require_nonnegative, require_positive

__all__ = ["TRIAL_FIELDS", "RewardSpikingController", "TrialState"]

#: Trial phases: at the centre between trials, deciding, reaching out, holding the
#: reached point after the reward, returning to the centre.
IDLE, DECIDE, MOVE, WAIT, RETURN = range(5)
#: The fields of :class:`TrialState`, in the order its array (and a checkpoint's ``trial``) holds.
TRIAL_FIELDS = ("phase", "step", "choice", "context", "trials", "wins", "outward")
_CENTRE_TOLERANCE = 1e-3  # m: a target this close to the centre is the return target
_RULE = "context_to_motor.rstdp"


class TrialState:
    """Where :class:`RewardSpikingController` is in its trials: plain ``int`` fields.

    Plain attributes keep the per-step trial logic cheap; a checkpoint holds
    them as one float64 array ordered as :data:`TRIAL_FIELDS`
    (:meth:`to_array`, :meth:`from_array`).

    Attributes
    ----------
    phase : int
        The current phase (IDLE, DECIDE, MOVE, WAIT or RETURN).
    step : int
        Control steps spent in the current phase.
    choice : int
        The direction group chosen in the current (or last) trial.
    context : int
        The target's direction bin: the reward baseline the trial updates.
    trials, wins : int
        Trials judged so far, and those rewarded +1.
    outward : int
        1 while the env's target is away from the centre, else 0.
    """

    __slots__ = TRIAL_FIELDS

    def __init__(self) -> None:
        for name in TRIAL_FIELDS:
            setattr(self, name, 0)

    def enter(self, phase: int) -> None:
        """Start ``phase`` at its first step."""
        self.phase = phase
        self.step = 0

    def to_array(self, out: np.ndarray) -> None:
        """Write the fields into ``out`` (float64, ordered as :data:`TRIAL_FIELDS`)."""
        for index, name in enumerate(TRIAL_FIELDS):
            out[index] = getattr(self, name)

    def from_array(self, values: np.ndarray) -> None:
        """Read the fields back from an array :meth:`to_array` wrote."""
        for index, name in enumerate(TRIAL_FIELDS):
            setattr(self, name, int(values[index]))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in TRIAL_FIELDS)
        return f"TrialState({fields})"


class RewardSpikingController(Persistent, Agent):
    r"""Learns which direction to reach in for each target from a +1/-1 reward alone.

    A spiking choice network picks one of ``n_directions`` reach directions;
    an operational-space controller executes the reach; the reach's outcome,
    +1 or -1, is the only teaching signal. It learns with reward-modulated
    STDP (:class:`~neurocontrol.core.model.reward_rules.RewardSTDP`: Izhikevich
    2007, Florian 2007, a per-context reward baseline after Legenstein et al.
    2008) on the synapses from the target-direction afferents to the motor
    groups. On PlanarReach, each outward target of the env is a trial:

    1. *Decide* (``decision_time``): the target's direction from the centre is
       population-coded (von Mises tuning, Bernoulli spikes) into
       ``n_afferents`` input neurons that project all-to-all onto
       ``n_directions`` groups of LIF motor neurons; groups inhibit each other.
       The group with most spikes wins (with probability ``exploration`` a
       random group, so a wrong winner does not lock in).
    2. *Move* (``move_time``): the base controller follows a minimum-jerk
       reference from the centre to the point ``reach`` metres along the
       chosen direction.
    3. *Reward*, ``settle_time`` after the movement: +1 if the hand is within
       ``success_radius`` of the env's target, else -1, delivered as dopamine
       in the target's context (its direction bin). It arrives
       ``move_time + settle_time`` after the decision: only the eligibility
       trace (:math:`\tau_e`) links the two, so ``tau_eligibility`` of a few
       ms is the no-trace ablation. If the env turns back to the centre before
       the reward is due, the reach is judged then.
    4. *Return* (``return_time``): when the env's target is back at the centre,
       a reference of the agent's own brings the hand there; the env's
       reference is ignored throughout (it shows where the target is, the
       task's context, not its answer).

    :attr:`trial` (a :class:`TrialState`) says where the agent is in this
    protocol, :attr:`history` lists every judged trial.

    Parameters
    ----------
    base : OperationalSpaceController
        Executes the chosen reach (a planar arm: ``dim == 2``).
    n_directions, neurons_per_direction : int
        Choices (evenly spaced directions) and LIF neurons per choice.
    n_afferents : int
        Input afferents (preferred directions evenly spaced).
    input_rate : float
        Peak afferent rate (Hz), tuning
        :math:`\lambda_{max} e^{\kappa(\cos(\theta - \phi)-1)}`.
    tuning_concentration : float
        :math:`\kappa` of the afferents' von Mises tuning.
    reach : float
        Length (m) of the commanded reach.
    decision_time, move_time, settle_time, return_time : float
        Phase durations (s).
    success_radius : float
        Hand-to-target distance (m) rewarded +1.
    exploration : float
        Probability of a random choice, in [0, 1].
    weight_max, initial_weight : float
        R-STDP weight bound and upper end of the uniform initial weights
        (voltage jump per spike, threshold 1).
    rstdp : mapping
        Other :class:`~neurocontrol.core.model.reward_rules.RewardSTDP` parameters
        (``a_plus``, ``a_minus``, ``tau_eligibility``, ...); defaults here:
        ``learning_rate=0.05``, ``baseline_rate=0.1`` and one context (reward
        baseline) per direction bin of the target.
    noise_sigma : float
        Membrane noise of the motor neurons.
    lateral_inhibition : float
        Voltage drop a motor spike causes in the neurons of every other group.
    seed : int
    """

    agent_type: ClassVar[str] = "reward_spiking"

    def __init__(
        self,
        base: OperationalSpaceController,
        *,
        n_directions: int = 8,
        neurons_per_direction: int = 10,
        n_afferents: int = 32,
        input_rate: float = 200.0,
        tuning_concentration: float = 8.0,
        reach: float = 0.1,
        decision_time: float = 0.1,
        move_time: float = 0.4,
        settle_time: float = 0.1,
        return_time: float = 0.4,
        success_radius: float = 0.02,
        exploration: float = 0.1,
        weight_max: float = 0.5,
        initial_weight: float = 0.15,
        rstdp: Mapping[str, Any] | None = None,
        noise_sigma: float = 0.2,
        lateral_inhibition: float = 0.5,
        seed: int = 0,
    ) -> None:
        if not isinstance(base, OperationalSpaceController) or base.layout.dim != 2:
            raise ConfigError(
                "base must be an OperationalSpaceController of a planar arm (PlanarReach), "
                f"got {type(base).__name__}"
            )
        self.base = base
        self.observation_space = base.observation_space
        self.action_space = base.action_space
        self.n_directions = require_int("n_directions", n_directions, minimum=2)
        self.neurons_per_direction = require_int("neurons_per_direction", neurons_per_direction, 1)
        self.n_afferents = require_int("n_afferents", n_afferents, minimum=1)
        self.input_rate = require_positive("input_rate", input_rate)
        self.tuning_concentration = require_nonnegative(
            "tuning_concentration", tuning_concentration
        )
        self.reach = require_positive("reach", reach)
        self.success_radius = require_positive("success_radius", success_radius)
        self.exploration = require_nonnegative("exploration", exploration)
        if self.exploration > 1.0:
            raise ConfigError(f"exploration must be in [0, 1], got {exploration!r}")
        dt = base.dt
        self.durations = {
            name: require_positive(name, value)
            for name, value in (
                ("decision_time", decision_time),
                ("move_time", move_time),
                ("settle_time", settle_time),
                ("return_time", return_time),
            )
        }
        self._decision_steps = max(1, round(decision_time / dt))
        self._settle_steps = round((move_time + settle_time) / dt)
        self.weight_max = require_positive("weight_max", weight_max)
        self.initial_weight = require_nonnegative("initial_weight", initial_weight)
        self.noise_sigma = require_nonnegative("noise_sigma", noise_sigma)
        self.lateral_inhibition = require_nonnegative("lateral_inhibition", lateral_inhibition)
        self.seed = require_int("seed", seed, minimum=0)
        self.rstdp_params = dict(rstdp or {})
        try:
            rule = RewardSTDP(
                **{
                    "baseline_rate": 0.1,
                    "learning_rate": 0.05,
                    "n_contexts": self.n_directions,
                    "w_min": 0.0,
                    "w_max": self.weight_max,
                    **self.rstdp_params,
                }
            )
        except TypeError as exc:
            raise ConfigError(f"rstdp: {exc}") from exc
        n_motor = self.n_directions * self.neurons_per_direction
        afferents = Input(self.n_afferents, name="context")
        motor = Population(
            n_motor, LIF(tau_m=0.02, tau_ref=0.005, noise_sigma=noise_sigma), name="motor"
        )
        projection = Projection(
            afferents, motor, AllToAll(), weights=Uniform(0.0, self.initial_weight), rule=rule
        )
        projections = [projection]
        if self.lateral_inhibition > 0:
            # each group inhibits the others: the leading group silences its rivals, so the
            # eligibility of a decision sits on the synapses of the choice made
            group = np.repeat(np.arange(self.n_directions), self.neurons_per_direction)
            matrix = np.where(group[:, None] != group[None, :], -self.lateral_inhibition, 0.0)
            projections.append(
                Projection(motor, motor, ExplicitMatrix(matrix), sign="inhibitory", name="lateral")
            )
        self.network = Network([afferents, motor], projections)
        self.simulator = Simulator(self.network, dt=dt, seed=self.seed)
        self._motor_spikes = self.simulator.spikes[self.simulator.slice_of("motor")].reshape(
            self.n_directions, self.neurons_per_direction
        )
        self._context = self.simulator.state[f"{_RULE}.context"]
        self._preferred = np.linspace(0.0, 2 * math.pi, self.n_afferents, endpoint=False)
        self._probability = np.zeros(self.n_afferents)
        self._uniform = np.zeros(self.n_afferents)
        self._events = np.zeros(self.n_afferents, dtype=np.bool_)
        self._counts = np.zeros(self.n_directions, dtype=np.int64)
        self._step_counts = np.zeros(self.n_directions, dtype=np.int64)
        self.rng = np.random.default_rng(self.seed)
        self._rng_words = np.zeros(6, dtype=np.uint64)  # snapshot of rng for checkpoints
        self.trial = TrialState()
        self._trial_words = np.zeros(len(TRIAL_FIELDS))  # the trial as checkpoints hold it
        self._centre = np.asarray(base.robot_model.hand_position(base.robot_model.q_home))
        self._start = self._centre.copy()
        self._goal_point = self._centre.copy()
        self._target = self._centre.copy()
        self._goal = np.zeros(6, dtype=np.float32)  # x_ref, dx_ref, target fed to the base
        self._obs: dict[str, Any] = {}
        #: (trial, context, choice, reward) of every completed trial.
        self.history: list[tuple[int, int, int, float]] = []

    @classmethod
    def from_env(cls, env: gym.Env, **kwargs: Any) -> RewardSpikingController:
        """Build on the env's operational-space controller."""
        return cls(OperationalSpaceController.from_env(env), **kwargs)

    # -- trial logic ------------------------------------------------------------------
    @property
    def phase(self) -> int:
        """The current trial phase (IDLE, DECIDE, MOVE, WAIT or RETURN)."""
        return self.trial.phase

    def _begin_trial(self, target: np.ndarray) -> None:
        self._target[:] = target
        delta = target - self._centre
        angle = math.atan2(delta[1], delta[0])
        bin_width = 2 * math.pi / self.n_directions
        self.trial.context = round(angle / bin_width) % self.n_directions
        self._context[...] = self.trial.context
        np.cos(self._preferred - angle, out=self._probability)
        self._probability -= 1.0
        self._probability *= self.tuning_concentration
        np.exp(self._probability, out=self._probability)
        self._probability *= self.input_rate * self.base.dt
        self._counts[:] = 0
        self.trial.enter(DECIDE)

    def _choose(self) -> int:
        if self.rng.random() < self.exploration:
            return int(self.rng.integers(self.n_directions))
        best = np.flatnonzero(self._counts == self._counts.max())
        return int(best[self.rng.integers(best.size)]) if best.size > 1 else int(best[0])

    def _towards(self, point: np.ndarray, elapsed: float, duration: float) -> None:
        position, velocity = minimum_jerk(self._start, point - self._start, duration, elapsed)
        self._goal[0:2] = position
        self._goal[2:4] = velocity
        self._goal[4:6] = point

    def _hold(self, point: np.ndarray) -> None:
        self._goal[0:2] = point
        self._goal[2:4] = 0.0
        self._goal[4:6] = point

    # -- the agent ----------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """New episode: back to idle at the centre (weights and baselines are kept)."""
        self.base.reset(seed)
        self.trial.enter(IDLE)
        self.trial.outward = 0  # the env's first target starts a trial
        # neurons, traces, eligibility and dopamine of the last episode; weights kept
        self.simulator.reset_state()

    def set_learning(self, enabled: bool) -> None:
        """Freeze (False) or unfreeze the R-STDP weights; traces and rewards keep running."""
        self.simulator.set_plasticity(enabled)

    def act(self, obs: Any) -> np.ndarray:
        # the whole observation is checked before the trial logic, the generator or the
        # network change: a refused one leaves the agent as it was
        self.base.read(obs)
        target = np.asarray(obs["goal"][4:6], dtype=np.float64)
        outward = float(np.hypot(*(target - self._centre))) > _CENTRE_TOLERANCE
        if outward and not self.trial.outward:
            self._begin_trial(target)
        elif not outward and self.trial.outward:  # the env turned back to the centre
            if self.phase == MOVE:  # before the reward was due: judge the reach now
                self._reward(obs)
            self._start[:] = obs["ee"][0:2]
            self.trial.enter(RETURN)
        self.trial.outward = int(outward)
        phase, step, dt = self.trial.phase, self.trial.step, self.base.dt
        if phase == DECIDE:
            self.rng.random(out=self._uniform)
            np.less(self._uniform, self._probability, out=self._events)
            self.simulator.step(self._events)
            self._motor_spikes.sum(axis=1, out=self._step_counts)
            self._counts += self._step_counts
            self._hold(self._centre)
            if step + 1 >= self._decision_steps:
                self._commit(self._choose())
                step = -1
        else:
            self.simulator.step(None)  # traces, eligibility and dopamine keep evolving
            if phase == MOVE:
                self._towards(self._goal_point, step * dt, self.durations["move_time"])
                if step >= self._settle_steps:
                    self._reward(obs)
                    self.trial.enter(WAIT)
                    step = -1
            elif phase == WAIT:
                self._hold(self._goal_point)
            elif phase == RETURN:
                self._towards(self._centre, step * dt, self.durations["return_time"])
            else:
                self._hold(self._centre)
        self.trial.step = step + 1
        self._obs["proprio"] = obs["proprio"]
        self._obs["ee"] = obs["ee"]
        self._obs["goal"] = self._goal
        return self.base.act(self._obs)

    def _commit(self, choice: int) -> None:
        self.trial.choice = choice
        angle = 2 * math.pi * choice / self.n_directions
        self._goal_point[0] = self._centre[0] + self.reach * math.cos(angle)
        self._goal_point[1] = self._centre[1] + self.reach * math.sin(angle)
        self._start[:] = self._centre
        self.trial.enter(MOVE)

    def _reward(self, obs: Any) -> None:
        hand = np.asarray(obs["ee"][0:2], dtype=np.float64)
        success = float(np.hypot(*(hand - self._target))) <= self.success_radius
        reward = 1.0 if success else -1.0
        self.simulator.set_third_factor(_RULE, reward)
        trial = self.trial
        trial.trials += 1
        trial.wins += success
        self.history.append((trial.trials, trial.context, trial.choice, reward))

    # -- reading ------------------------------------------------------------------------
    def success_rate(self, last: int | None = None) -> float:
        """Fraction of rewarded trials (over the ``last`` ones if given)."""
        rewards = [r for *_, r in self.history[-last:]] if last else [r for *_, r in self.history]
        return float(np.mean(np.array(rewards) > 0)) if rewards else float("nan")

    def weights(self) -> np.ndarray:
        """Afferent-to-motor weights ``(n_afferents, n_motor)``, current (a copy)."""
        return self.simulator.weights("context_to_motor")

    # -- checkpoint -----------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        d = self.durations
        return {
            "type": self.agent_type,
            "base": self.base.spec(),
            "n_directions": self.n_directions,
            "neurons_per_direction": self.neurons_per_direction,
            "n_afferents": self.n_afferents,
            "input_rate": self.input_rate,
            "tuning_concentration": self.tuning_concentration,
            "reach": self.reach,
            **d,
            "success_radius": self.success_radius,
            "exploration": self.exploration,
            "weight_max": self.weight_max,
            "initial_weight": self.initial_weight,
            "rstdp": self.rstdp_params,
            "noise_sigma": self.noise_sigma,
            "lateral_inhibition": self.lateral_inhibition,
            "seed": self.seed,
        }

    def state_parts(self) -> dict[str, Stateful]:
        return {"base": self.base, "snn": self.simulator}

    def state_targets(self) -> dict[str, np.ndarray]:
        return {
            "trial": self._trial_words,
            "start": self._start,
            "goal_point": self._goal_point,
            "target": self._target,
            "counts": self._counts,
            "rng": self._rng_words,
        }

    def _snapshot(self) -> None:
        self._rng_words[:] = rng_to_words(self.rng)
        self.trial.to_array(self._trial_words)

    def _restored(self) -> None:
        rng_from_words(self.rng, self._rng_words)
        self.trial.from_array(self._trial_words)
