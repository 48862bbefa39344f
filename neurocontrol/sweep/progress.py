"""The Tune callback that feeds the sweep's progress display (imports Ray: load it lazily)."""

from __future__ import annotations

from typing import Any

from ray import tune

__all__ = ["ProgressCallback"]


class ProgressCallback(tune.Callback):
    """Hands Tune's trial events to a display (``trial_started``, ``result``, ``trial_ended``).

    Tune pickles its callbacks with the experiment state; the display (it holds
    the output stream) stays in this process and is left out of the pickle.
    """

    def __init__(self, display: Any) -> None:
        self.display = display

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.display = None

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if self.display is not None:
            self.display.trial_started(trial.trial_id)

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        if self.display is not None:
            self.display.result(trial.trial_id, result, trial.config.get("trial"))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._ended(trial)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._ended(trial)

    def _ended(self, trial: Any) -> None:
        if self.display is not None:
            plan = trial.config.get("trial") or {}
            self.display.trial_ended(trial.trial_id, plan.get("id", ""))
