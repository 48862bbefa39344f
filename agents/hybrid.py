"""A spiking and a dense controller side by side on the same observations.

:class:`HybridAgent` runs both every step; one drives the arm (or a
weighted mix does), the other runs in shadow, and both learn from the same
outcome. Per step it logs both actions, their difference, who drove and
each side's compute and energy estimate, in preallocated arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from neurocontrol.agents.adaptive import AdaptiveController
from neurocontrol.agents.agent import Agent
from neurocontrol.agents.persistence import Persistent
from neurocontrol.core.energy import EnergyModel
from neurocontrol.core.kernels.step.state import OPS_MACS, OPS_NEURON_UPDATES, OPS_SYNOPS
from neurocontrol.core.statedict import Stateful
from neurocontrol.errors import ConfigError
from neurocontrol.utils.validation import require_in, require_int

__all__ = ["DRIVERS", "HybridAgent"]

#: Codes of the ``driver`` log column.
DRIVERS = {"spiking": 0, "dense": 1, "blend": 2}

#: Log columns of the sides' operation counts -> index in an agent's ``ops``.
_OPS_COLUMNS = {"synops": OPS_SYNOPS, "neuron_updates": OPS_NEURON_UPDATES, "macs": OPS_MACS}


class HybridAgent(Persistent, Agent):
    r"""Run ``spiking`` and ``dense`` on every observation; one drives, or a blend.

    .. math::

        a = \begin{cases} a_s & \text{mode "spiking"} \\ a_d & \text{mode "dense"} \\
            w\, a_s + (1 - w)\, a_d & \text{mode "blend"} \end{cases}

    Both sides observe every outcome, so the shadow side keeps learning
    from the trajectory the driving side produces.

    Compute per step is read from each side's ``ops`` (SynOps, neuron
    updates, MACs of its adaptive part, everything it computes; the base
    controllers, identical on both sides, are not counted; see
    :class:`~neurocontrol.core.energy.EnergyModel` for what each side counts) and
    priced with ``energy``:
    :math:`E = N_{SynOp} e_{synop} + N_{upd} e_{neuron} + N_{MAC} e_{mac}`.

    Parameters
    ----------
    spiking, dense : Agent
        The two controllers, built for the same env.
    mode : {"spiking", "dense", "blend"}
    blend : float
        Weight :math:`w` of the spiking side in mode "blend", in [0, 1].
    energy : EnergyModel
        Per-operation energies (default: Horowitz 2014, 45 nm).
    log_capacity : int
        Steps preallocated for the log; it grows by doubling when full.
    share_base : bool, optional
        Compute the base controller once per step when both sides are
        adaptive controllers on equal base controllers (same spec): the dense
        side's base takes a copy of the spiking side's reading, torque and
        state, so it stays exactly as if it had run. Default: whenever possible.
    """

    agent_type: ClassVar[str] = "hybrid"

    def __init__(
        self,
        spiking: Agent,
        dense: Agent,
        mode: str = "spiking",
        blend: float = 0.5,
        energy: EnergyModel | None = None,
        log_capacity: int = 65_536,
        share_base: bool | None = None,
    ) -> None:
        for name, side in (("spiking", spiking), ("dense", dense)):
            if not isinstance(side, Agent):
                raise ConfigError(f"{name} must be an Agent, got {type(side).__name__}")
        if spiking.action_space != dense.action_space:
            raise ConfigError(
                f"spiking and dense sides have different action spaces: "
                f"{spiking.action_space} vs {dense.action_space}"
            )
        self.spiking = spiking
        self.dense = dense
        self.observation_space = spiking.observation_space
        self.action_space = spiking.action_space
        self.mode = require_in("mode", mode, tuple(DRIVERS))
        if isinstance(blend, bool) or not isinstance(blend, (int, float)) or not 0 <= blend <= 1:
            raise ConfigError(f"blend must be a number in [0, 1], got {blend!r}")
        self.blend = float(blend)
        self.energy = EnergyModel() if energy is None else energy
        if not isinstance(self.energy, EnergyModel):
            raise ConfigError(f"energy must be an EnergyModel, got {type(energy).__name__}")
        self._driver = DRIVERS[self.mode]
        self._base_copies = self._shared_base_arrays(share_base)
        self.share_base = bool(self._base_copies)
        self._no_ops = np.zeros(3)
        self._spiking_ops = getattr(spiking, "ops", self._no_ops)
        self._dense_ops = getattr(dense, "ops", self._no_ops)
        self._prices = np.array(
            [self.energy.e_synop, self.energy.e_neuron_update, self.energy.e_mac]
        )
        n_actions = int(np.prod(self.action_space.shape))
        self._n_actions = n_actions
        self._action = np.zeros(n_actions, dtype=np.float32)
        self._scratch = np.zeros(n_actions, dtype=np.float32)
        self.steps = 0
        self.episode = 0
        self._allocate(require_int("log_capacity", log_capacity, minimum=1))

    def _shared_base_arrays(self, share_base: bool | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """(dense-side target, spiking-side source) pairs to copy each step; empty: no sharing."""
        spiking, dense = self.spiking, self.dense
        possible = (
            isinstance(spiking, AdaptiveController)
            and isinstance(dense, AdaptiveController)
            and type(spiking.base) is type(dense.base)
            and spiking.base.spec() == dense.base.spec()
            and spiking.base.robot_model is dense.base.robot_model
        )
        if share_base and not possible:
            raise ConfigError(
                "share_base=True needs two adaptive controllers on equal base controllers "
                "(same type, spec and robot model)"
            )
        if share_base is False or not possible:
            return []
        sources = spiking.base.state_targets()
        pairs = [(dense.base.state, spiking.base.state)]
        for key, target in dense.base.state_targets().items():
            pairs.append((target, sources[key]))
        return pairs

    # -- log storage ------------------------------------------------------------------
    def _allocate(self, capacity: int) -> None:
        # Per step only the raw values are stored (two row copies in act, one in observe);
        # the action difference and the energies are computed from them in log(), vectorised:
        # at ~100 us per hybrid step, per-step NumPy reductions cost several percent.
        old: dict[str, np.ndarray] | None = getattr(self, "_log", None)
        n = self._n_actions
        log: dict[str, np.ndarray] = {
            "spiking_action": np.zeros((capacity, n), dtype=np.float32),
            "dense_action": np.zeros((capacity, n), dtype=np.float32),
            "driver": np.zeros(capacity, dtype=np.int8),
            "episode": np.zeros(capacity, dtype=np.int32),
            "ops": np.zeros((capacity, 2, 3)),  # [step, side (spiking, dense), op kind]
        }
        if old is not None:
            for key, values in old.items():
                log[key][: self.steps] = values[: self.steps]
        self._log = log
        self._capacity = capacity
        # Bound once: the step loop indexes these without dictionary look-ups.
        self._a_s, self._a_d = log["spiking_action"], log["dense_action"]
        self._drv, self._ep, self._ops_log = log["driver"], log["episode"], log["ops"]

    def clear_log(self) -> None:
        """Forget the logged steps (the arrays are kept)."""
        self.steps = 0

    # -- the agent ----------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        self.spiking.reset(seed)
        self.dense.reset(seed)
        if self.steps:
            self.episode += 1

    def set_learning(self, enabled: bool) -> None:
        """Switch learning of both sides off or on together."""
        self.spiking.set_learning(enabled)
        self.dense.set_learning(enabled)

    def act(self, obs: Any) -> np.ndarray:
        a_s = self.spiking.act(obs)
        if self._base_copies:
            for target, source in self._base_copies:
                target[...] = source
            a_d = self.dense.act_on_base(obs)
        else:
            a_d = self.dense.act(obs)
        if self.steps == self._capacity:
            self._allocate(2 * self._capacity)
        k = self.steps
        self._a_s[k] = a_s
        self._a_d[k] = a_d
        self._drv[k] = self._driver
        self._ep[k] = self.episode
        if self._driver == 0:
            self._action[:] = a_s
        elif self._driver == 1:
            self._action[:] = a_d
        else:
            np.multiply(a_d, 1.0 - self.blend, out=self._scratch)
            np.multiply(a_s, self.blend, out=self._action)
            self._action += self._scratch
        self.steps = k + 1
        return self._action.copy()

    def observe(
        self, reward: float, terminated: bool, truncated: bool, info: Mapping[str, Any]
    ) -> None:
        self.spiking.observe(reward, terminated, truncated, info)
        self.dense.observe(reward, terminated, truncated, info)
        k = self.steps - 1
        if k < 0:
            return
        ops = self._ops_log[k]
        ops[0] = self._spiking_ops
        ops[1] = self._dense_ops

    # -- reading the log ----------------------------------------------------------------
    def log(self) -> dict[str, Any]:
        """The logged steps (copies of the arrays) and a ``summary`` of them.

        Arrays: ``spiking_action``/``dense_action`` (steps x n), ``difference``
        (L2 norm of their difference), ``driver`` (0 spiking, 1 dense, 2
        blend), ``episode``, per side ``*_synops``, ``*_neuron_updates``,
        ``*_macs`` and ``*_energy_j``.
        """
        k = self.steps
        log = self._log
        arrays = {key: log[key][:k].copy() for key in ("spiking_action", "dense_action")}
        arrays["difference"] = np.linalg.norm(
            arrays["spiking_action"] - arrays["dense_action"], axis=1
        ).astype(np.float64)
        arrays["driver"] = log["driver"][:k].copy()
        arrays["episode"] = log["episode"][:k].copy()
        ops = log["ops"][:k]
        for side_index, side in enumerate(("spiking", "dense")):
            for what, column in _OPS_COLUMNS.items():
                arrays[f"{side}_{what}"] = ops[:, side_index, column].copy()
        energy = ops @ self._prices  # (steps, side)
        arrays["spiking_energy_j"] = energy[:, 0].copy()
        arrays["dense_energy_j"] = energy[:, 1].copy()
        return {**arrays, "summary": self._summary(arrays)}

    def _summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        k = self.steps
        summary: dict[str, Any] = {
            "steps": k,
            "mode": self.mode,
            "blend": self.blend,
            "energy_model": self.energy.to_dict(),
            "shared_base": self.share_base,
        }
        if k == 0:
            return summary
        for side in ("spiking", "dense"):
            for what in ("synops", "neuron_updates", "macs", "energy_j"):
                summary[f"{side}_{what}_per_step"] = float(arrays[f"{side}_{what}"].mean())
        dense_energy = summary["dense_energy_j_per_step"]
        summary["energy_ratio_spiking_to_dense"] = (
            summary["spiking_energy_j_per_step"] / dense_energy if dense_energy > 0 else None
        )
        summary["mean_action_difference"] = float(arrays["difference"].mean())
        summary["max_action_difference"] = float(arrays["difference"].max())
        for name, code in DRIVERS.items():
            summary[f"fraction_driven_{name}"] = float(np.mean(arrays["driver"] == code))
        return summary

    # -- checkpoint -----------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        for name, side in (("spiking", self.spiking), ("dense", self.dense)):
            if not isinstance(side, Persistent):
                raise ConfigError(f"the {name} side ({type(side).__name__}) has no plain-data spec")
        return {
            "type": self.agent_type,
            "spiking": self.spiking.spec(),
            "dense": self.dense.spec(),
            "mode": self.mode,
            "blend": self.blend,
            "energy": self.energy.to_dict(),
            "share_base": self.share_base,
        }

    def state_targets(self) -> dict[str, np.ndarray]:
        return {}  # the sides hold the state; the log is not part of a checkpoint

    def state_parts(self) -> dict[str, Stateful]:
        return {
            name: side
            for name, side in (("spiking", self.spiking), ("dense", self.dense))
            if isinstance(side, Stateful)
        }
