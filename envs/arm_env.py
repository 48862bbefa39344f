"""The Gymnasium environment of every arm: a robot and a task, torque control at 1 kHz.

``ArmEnv(robot, task)`` loads the robot (a :class:`~neurocontrol.envs.robots.TorqueArm`
class; its joint I/O is the one path every step goes through), lets the task
(:class:`~neurocontrol.envs.tasks.base.ArmTask`) build its scene and
reference, and owns what all tasks share: the step loop, actions, the
observation/reward/info contract, safety, resets, perturbations and
rendering. See :class:`ArmEnv` for the contract. A new env is a robot class
and a task::

    from neurocontrol.envs import ArmEnv
    from neurocontrol.envs.robots import PlanarArm
    from neurocontrol.envs.tasks import ReachTask

    env = ArmEnv(PlanarArm, ReachTask(n_targets=4), control_decimation=2)
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from typing import Any, cast

import gymnasium
import numpy as np
import pybullet
from gymnasium import spaces

from neurocontrol.envs.actions import ActionScaling
from neurocontrol.envs.actions import control_decimation as control_decimation_of
from neurocontrol.envs.episode import time_limit_steps
from neurocontrol.envs.observation import observation_bounds
from neurocontrol.envs.perturbations import ActivePerturbations, Perturbation, parse_perturbations
from neurocontrol.envs.robots.base import RobotModel, TorqueArm
from neurocontrol.envs.sim import BulletSim
from neurocontrol.envs.tasks.base import ArmTask
from neurocontrol.envs.tasks.table_press import MAX_OBSERVED_FORCE
from neurocontrol.errors import ConfigError, SimulationError
from neurocontrol.utils.validation import require_int, require_nonnegative, require_positive

__all__ = ["MAX_OBSERVED_FORCE", "ArmEnv"]

# module-level aliases: the hot loop saves an attribute lookup per call
_step_simulation = pybullet.stepSimulation
_empty = np.empty
_frombuffer = np.frombuffer
_dist = math.dist
_FLOAT32 = np.dtype(np.float32)  # a dtype object: no conversion per call
_FLOAT64 = np.dtype(np.float64)


class ArmEnv(gymnasium.Env):
    """A torque-controlled arm in PyBullet doing a task, stepped at a fixed physics ``dt``.

    Action
        ``Box(-1, 1, (n,), float32)``: joint torques as a fraction of
        ``robot_model.torque_limit``; values outside [-1, 1] are clipped. With
        ``gravity_compensation=True`` the nominal ``g(q)`` is added and the sum
        is clipped to the torque limit. The command is held for
        ``control_decimation`` physics steps and re-sent on each of them.
    Observation
        ``Dict`` of float32 ``Box`` es with finite bounds:

        - ``proprio`` (3n,): q (rad), dq (rad/s), last commanded torque (N·m)
        - ``ee`` (2d,): hand position (m), hand velocity (m/s)
        - ``goal`` (3d,): reference position, reference velocity, final target
        - the task may add keys (ArmPress: ``tactile``).
    Reward
        ``-distance_weight * distance - effort_weight * mean((tau_cmd / limit)^2)
        - tracking_weight * tracking_error`` plus task terms; each term is in ``info``.
    Termination
        ``terminated`` only on a safety violation: a joint speed above
        ``max_joint_velocity`` or a non-finite state (``info["safety_violation"]``).
        Episodes otherwise end by truncation (TimeLimit from the registration).
    Info
        ``tracking_error`` (m, hand to reference), ``distance`` (m, hand to final
        target), ``is_success``, ``tau_cmd`` and ``tau_applied`` (N·m, commanded
        and after actuator faults), ``sim_time`` (s), ``perturbation`` (plain
        data, see :mod:`neurocontrol.envs.perturbations`), ``reward_*`` terms,
        ``safety_violation`` and the task's entries (:attr:`ArmTask.info_keys`).

    Parameters
    ----------
    robot : type of TorqueArm
        The robot class, loaded as ``robot(sim)``; its class attributes give the
        workspace, the default safety and success limits and the camera.
    task : ArmTask
        The task (a fresh one per env: it keeps the env's scene and reference).
    dt : float
        Physics time step (s), 1 ms by default.
    control_decimation : int
        Physics steps per ``env.step`` (integer >= 1).
    control_dt : float, optional
        Alternative to ``control_decimation``: the control period (s); must be an
        integer multiple of ``dt``.
    gravity_compensation : bool
        Add the nominal gravity torque to every command.
    perturbation : dict or list of dict, optional
        Perturbation applied at every reset unless ``reset(options=...)`` gives one.
    max_joint_velocity : float, optional
        Safety limit (rad/s); the robot's default when None.
    success_radius : float, optional
        Hand distance (m) within which the task may count a success; the robot's default
        when None.
    distance_weight, effort_weight, tracking_weight : float
        Weights of the reward terms (>= 0).
    render_mode : {"rgb_array", None}
        ``"rgb_array"`` renders off-screen with the Tiny renderer.
    render_width, render_height : int
        Image size of ``render()``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}  # noqa: RUF012

    robot: TorqueArm
    robot_model: RobotModel
    task: ArmTask
    observation_space: spaces.Dict
    #: body id of the task's surface (the target of the ``surface_friction``
    #: perturbation); None: the env has none
    surface: int | None = None

    def __init__(
        self,
        robot: type[TorqueArm],
        task: ArmTask,
        *,
        dt: float = 0.001,
        control_decimation: int = 1,
        control_dt: float | None = None,
        gravity_compensation: bool = False,
        perturbation: Any = None,
        max_joint_velocity: float | None = None,
        success_radius: float | None = None,
        distance_weight: float = 1.0,
        effort_weight: float = 0.01,
        tracking_weight: float = 0.0,
        render_mode: str | None = None,
        render_width: int = 320,
        render_height: int = 240,
    ) -> None:
        _check_parts(robot, task)
        self.dt = require_positive("dt", dt)
        self.control_decimation = control_decimation_of(control_decimation, control_dt, self.dt)
        self.gravity_compensation = bool(gravity_compensation)
        if render_mode not in (None, "rgb_array"):
            raise ConfigError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.render_size = (
            require_int("render_width", render_width, 1),
            require_int("render_height", render_height, 1),
        )
        self.reward_weights = (
            require_nonnegative("distance_weight", distance_weight),
            require_nonnegative("effort_weight", effort_weight),
            require_nonnegative("tracking_weight", tracking_weight),
        )
        self.max_joint_velocity = require_positive(
            "max_joint_velocity",
            robot.max_joint_velocity if max_joint_velocity is None else max_joint_velocity,
        )
        self.success_radius = require_positive(
            "success_radius", robot.success_radius if success_radius is None else success_radius
        )
        self.workspace_radius = robot.workspace_radius
        self.reach_shell = robot.reach_shell
        self.camera = robot.camera if task.camera is None else task.camera
        self.task = task
        self.reset_options = ("perturbation", *task.reset_options)
        self._closed = False
        self._episode_steps: int | None = None
        self.sim = BulletSim(self.dt)
        try:
            self.robot = robot(self.sim)
            self.robot_model = self.robot.nominal_model()
            self.n_joints, self.dim = self.robot_model.n_joints, self.robot_model.dim
            self.robot.reset_joints(self.robot_model.q_home)  # the task builds around home
            task.build(self)
            self.surface = task.surface
            self._add_markers()
            self.robot.reset_joints(self.robot_model.q_home)
            self.sim.save_snapshot()
            self._setup(perturbation)
        except BaseException:  # no half-built env keeps a physics client alive
            self.close()
            raise

    def _setup(self, perturbation: Any) -> None:
        """Spaces, caches and the validated default perturbation of a built world."""
        model = self.robot_model
        self.n_joints = n = model.n_joints
        self.dim = model.dim
        limits = [float(v) for v in model.torque_limit]
        self._joint_weights = [1.0 / (n * v * v) for v in limits]
        scaling = ActionScaling(model, self.robot if self.gravity_compensation else None)
        self._command = scaling.torques
        self._cid = self.sim.client_id
        self._perturbations = ActivePerturbations(self.robot, self.dt, self.surface)
        self._damping_limit: list[float] | None = None  # evaluated when first needed
        self._default_perturbation = perturbation
        parse_perturbations(  # validate now; reset() draws any random values
            perturbation,
            n,
            self.dt,
            self._get_damping_limit,
            np.random.default_rng(0),
            has_surface=self.surface is not None,
        )
        self.action_space = spaces.Box(-1.0, 1.0, shape=(n,), dtype=np.float32)
        bounds = observation_bounds(
            model, self.max_joint_velocity, self.workspace_radius, self.task
        )
        self.observation_space = spaces.Dict(bounds)
        self._layout: list[tuple[str, slice]] = []
        self._clip_bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        start = 0
        for key, space in bounds.items():  # the order _outputs packs in
            box = cast(spaces.Box, space)
            self._clip_bounds[key] = (box.low, box.high)
            self._layout.append((key, slice(start, start + box.shape[0])))
            start += box.shape[0]
        # One fresh buffer a step holds the float32 observation, then (8-byte aligned) the
        # float64 torques of ``info``, filled by one pack: the arrays returned are views of it.
        outputs = struct.Struct(f"@{start}f{2 * n}d")
        torques_at = outputs.size - 16 * n
        # what _outputs needs besides the state, in one tuple: one attribute load a step
        self._output_constants = (
            outputs.size // 4,
            outputs.pack_into,
            None if self.dim == 3 else slice(0, self.dim),  # a planar hand: its x, y
            *(part for _, part in self._layout[:3]),
            self._layout[3:],
            self._joint_weights,
            n,
            torques_at,
            torques_at + 8 * n,
        )
        # info starts as a copy of this (keys in their order): no dict resize per step
        self._info_template = dict.fromkeys(
            (
                "tracking_error",
                "distance",
                "tau_cmd",
                "tau_applied",
                "sim_time",
                "perturbation",
                "reward_distance",
                "reward_effort",
                "reward_tracking",
                "safety_violation",
                *self.task.info_keys,
            )
        )
        self._tau_cmd = [0.0] * n
        self._tau_applied = [0.0] * n
        self._plain_step = False  # until reset() sets the episode's perturbations
        self._reference = self.task.reference
        self._task_values = self.task.values  # a list the task updates in place
        self._task_terms = self.task.terms
        # a task without sensors costs the step nothing
        self._sense = None if type(self.task).sense is ArmTask.sense else self.task.sense
        self._step_count = 0

    def _get_damping_limit(self) -> list[float]:
        if self._damping_limit is None:
            model = self.robot_model
            mass_diagonal = np.diag(model.mass_matrix(model.q_home))
            # explicit damping c is stable while c * dt < 2 M_jj; keep a factor 4 margin
            self._damping_limit = (0.5 * mass_diagonal / self.dt).tolist()
        return self._damping_limit

    # -- public API ---------------------------------------------------------------
    @property
    def damping_limit(self) -> list[float]:
        """The largest damping (N·m·s/rad) per joint a ``joint_damping`` perturbation may have.

        Evaluated from the nominal mass matrix at ``q_home`` when first
        needed, not when the env is built: a compiled nominal model is then
        loaded only by what uses it.
        """
        return self._get_damping_limit()

    @property
    def sim_time(self) -> float:
        """Episode time (s): physics steps since reset times ``dt``."""
        return self._step_count * self.dt

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Restore the freshly built world and start a new episode.

        ``options={"perturbation": spec}`` replaces the default perturbation
        for this episode (``None`` for none); the task may accept more keys
        (:attr:`reset_options`).
        """
        self._require_open("reset")
        options = {} if options is None else options
        if not isinstance(options, Mapping):
            raise ConfigError(
                f"reset options must be a dict (e.g. {{'perturbation': spec}}) or None, got "
                f"{type(options).__name__}: {options!r}"
            )
        unknown = sorted(set(options) - set(self.reset_options), key=repr)
        if unknown:
            raise ConfigError(
                f"unknown reset option(s) {unknown}; accepted: {list(self.reset_options)}"
            )
        self.task.check_options(options)
        super().reset(seed=seed)
        self._episode_steps = time_limit_steps(self)
        spec = options.get("perturbation", self._default_perturbation)
        perturbations = self._parse_perturbations(spec)
        self._perturbations.clear()
        self.sim.restore()
        self.robot.read_joints()
        self.robot.read_hand()
        self._step_count = 0
        self._tau_cmd = [0.0] * self.n_joints
        self._tau_applied = self._tau_cmd
        self.task.sense()
        self.task.reset(self.np_random)
        self._perturbations.set(perturbations, 0, self._tau_cmd)
        self._update_plain_step()
        self._reference.update(0.0)
        observation, _, info = self._outputs()
        return observation, info

    def _parse_perturbations(self, spec: Any) -> tuple[Perturbation, ...]:
        """``spec`` as validated perturbations of this arm (values drawn from ``np_random``).

        Onsets are checked against the episode's end when its length is
        known (PerturbationError past it), else a UserWarning names them.
        """
        steps = self._episode_steps
        return parse_perturbations(
            spec,
            self.n_joints,
            self.dt,
            self._get_damping_limit,
            self.np_random,
            has_surface=self.surface is not None,
            episode_steps=None if steps is None else steps * self.control_decimation,
            check_onsets=True,
        )

    @property
    def episode_steps(self) -> int | None:
        """Env steps in an episode, when known: the limit of the TimeLimit of the last reset.

        None when no TimeLimit was found (an env reset directly); onsets are
        then not checked against the end, only warned about.
        """
        return self._episode_steps

    def set_perturbation(self, spec: Any) -> None:
        """Replace the perturbation mid-episode (``None`` removes it).

        ``onset`` is episode time; a past onset takes effect at the next step,
        one past the episode's end is refused (see :attr:`episode_steps`).
        """
        self._require_open("set_perturbation")
        perturbations = self._parse_perturbations(spec)
        self._perturbations.set(perturbations, self._step_count, self._tau_cmd)
        self._update_plain_step()

    def _update_plain_step(self) -> None:
        """Note whether a step is one physics step with nothing to perturb."""
        self._plain_step = self.control_decimation == 1 and self._perturbations.idle

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Apply ``action`` for ``control_decimation`` physics steps; see the class docstring."""
        if self._closed:
            self._require_open("step")
        tau_cmd = self._command(action)
        self._tau_cmd = tau_cmd
        if self._plain_step:
            robot = self.robot
            robot.send_torques(tau_cmd)
            _step_simulation(self._cid)  # client id positional: no keyword parsing
            self._step_count += 1
            robot.read_joints()
            robot.read_hand()
            self._tau_applied = tau_cmd
        else:
            self._advance(tau_cmd)
        sense = self._sense
        if sense is not None:
            sense()
        time = self._step_count * self.dt
        self._reference.update(time)
        observation, reward, info = self._outputs(time)
        if info["safety_violation"]:
            for key, value in observation.items():
                low, high = self._clip_bounds[key]
                np.clip(np.nan_to_num(value), low, high, out=value)
            return observation, reward, True, False, info
        return observation, reward, False, False, info

    def _advance(self, tau_cmd: list[float]) -> None:
        """``control_decimation`` physics steps with the perturbations applied on each."""
        robot = self.robot
        perturbations = self._perturbations
        cid = self._cid
        tau = tau_cmd
        for _ in range(self.control_decimation):
            if self._step_count >= perturbations.next_onset_step:
                perturbations.activate_due(self._step_count, tau_cmd)
            if perturbations.modifies_torque:
                tau = perturbations.joint_torques(tau_cmd, robot.dq)
            robot.send_torques(tau)
            strength = perturbations.curl_strength
            if strength:  # external forces last one step: re-applied on every one
                vel = robot.hand_vel
                robot.push_hand([strength * vel[1], -strength * vel[0], 0.0])
            _step_simulation(cid)
            self._step_count += 1
            robot.read_joints()
            if strength:
                robot.read_hand()  # the next physics step's curl force needs it
        self._tau_applied = tau
        if not perturbations.curl_strength:
            robot.read_hand()

    def render(self) -> np.ndarray | None:
        """An RGB image (H, W, 3) with ``render_mode="rgb_array"``, else None."""
        self._require_open("render")
        if self.render_mode != "rgb_array":
            return None
        self._update_markers()
        target, distance, yaw, pitch = self.camera
        width, height = self.render_size
        return self.sim.render(width, height, target, distance, yaw, pitch)

    def close(self) -> None:
        """Release the PyBullet client(s); safe to call more than once.

        ``step``, ``reset``, ``render`` and ``set_perturbation`` then raise
        :class:`~neurocontrol.errors.SimulationError`.
        """
        self._closed = True
        model = getattr(self, "robot_model", None)
        if model is not None and hasattr(model, "close"):
            model.close()
        sim = getattr(self, "sim", None)
        if sim is not None:
            sim.close()

    # -- internals ------------------------------------------------------------------
    def _require_open(self, call: str) -> None:
        if self._closed:
            raise SimulationError(
                f"{type(self).__name__}.{call}() after close(): the physics client is released; "
                "make a new env"
            )

    def _outputs(
        self, time: float | None = None
    ) -> tuple[dict[str, np.ndarray], float, dict[str, Any]]:
        """Observation, reward and info of the current state at ``time`` (default: ``sim_time``).

        Every returned array is new (callers may keep or modify them): the
        observation keys and the torques are views of separate parts of one
        fresh buffer, filled by one ``struct`` pack (``np.array`` of a list
        costs more: it discovers the dtype and shape first).
        """
        (
            buffer_size,
            pack_outputs,
            hand_part,
            proprio,
            ee,
            goal,
            task_slices,
            joint_weights,
            n,
            cmd_at,
            applied_at,
        ) = self._output_constants
        robot = self.robot
        reference = self._reference
        hand, hand_vel, dq, tau_cmd = robot.hand_pos, robot.hand_vel, robot.dq, self._tau_cmd
        if hand_part is not None:
            hand, hand_vel = hand[hand_part], hand_vel[hand_part]
        ref_pos, target = reference.ref_pos, reference.target
        flat = _empty(buffer_size, _FLOAT32)
        # native "f" casts like numpy: round to nearest, beyond float32's range -> +-inf
        pack_outputs(
            flat,
            0,
            *robot.q,
            *dq,
            *tau_cmd,
            *hand,
            *hand_vel,
            *ref_pos,
            *reference.ref_vel,
            *target,
            *self._task_values,
            *tau_cmd,
            *self._tau_applied,
        )
        observation = {"proprio": flat[proprio], "ee": flat[ee], "goal": flat[goal]}
        for key, part in task_slices:
            observation[key] = flat[part]
        tracking_error = _dist(hand, ref_pos)
        distance = _dist(hand, target)
        effort = 0.0
        limit = self.max_joint_velocity
        unsafe = False
        # one plain loop (a generator or zip(strict=True) costs more; all n long)
        for weight, torque, speed in zip(joint_weights, tau_cmd, dq):  # noqa: B905
            effort += weight * torque * torque
            if not -limit <= speed <= limit:  # NaN fails too (and a NaN q follows a NaN dq)
                unsafe = True
        distance_weight, effort_weight, tracking_weight = self.reward_weights
        reward_distance = -distance_weight * distance
        reward_effort = -effort_weight * effort
        reward_tracking = -tracking_weight * tracking_error
        info = self._info_template.copy()
        info["tracking_error"] = tracking_error
        info["distance"] = distance
        info["tau_cmd"] = _frombuffer(flat, _FLOAT64, n, cmd_at)
        info["tau_applied"] = _frombuffer(flat, _FLOAT64, n, applied_at)
        info["sim_time"] = self._step_count * self.dt if time is None else time
        info["perturbation"] = self._perturbations.info_entry()
        info["reward_distance"] = reward_distance
        info["reward_effort"] = reward_effort
        info["reward_tracking"] = reward_tracking
        info["safety_violation"] = unsafe
        reward_task = self._task_terms(info, distance)
        reward = reward_distance + reward_effort + reward_tracking + reward_task
        return observation, reward, info

    def _update_markers(self) -> None:
        """Move the render-only markers (reference, target) to their current place."""
        reference = self.task.reference
        for body, position in zip(
            self._markers, (reference.ref_pos, reference.target), strict=True
        ):
            point = list(position) + [0.0] * (3 - len(position))
            self.sim.client.resetBasePositionAndOrientation(body, point, [0.0, 0.0, 0.0, 1.0])

    def _add_markers(self) -> None:
        """Create visual-only spheres for the reference (green) and target (red)."""
        self._markers: list[int] = []
        if self.render_mode is None:
            return
        client = self.sim.client
        for colour in ((0.1, 0.8, 0.1, 0.8), (0.9, 0.1, 0.1, 0.6)):
            shape = client.createVisualShape(pybullet.GEOM_SPHERE, radius=0.012, rgbaColor=colour)
            self._markers.append(client.createMultiBody(baseMass=0.0, baseVisualShapeIndex=shape))


def _check_parts(robot: Any, task: Any) -> None:
    """ConfigError unless ``robot`` is a robot class and ``task`` an unused task."""
    if not (isinstance(robot, type) and issubclass(robot, TorqueArm)):
        raise ConfigError(
            f"robot must be a TorqueArm subclass (the class, e.g. PlanarArm or Panda), "
            f"got {robot!r}"
        )
    if not isinstance(task, ArmTask):
        raise ConfigError(
            f"task must be an ArmTask (e.g. ReachTask() or TablePressTask()), "
            f"got {type(task).__name__}: {task!r}"
        )
    if "reference" in vars(task):
        raise ConfigError(
            f"this {type(task).__name__} was built into another env already (it holds that "
            "env's scene and reference); accepted: a new task for every env"
        )
