"""Interleaving what a bench compares, in chunks, so that each run sees the same seconds.

:func:`run_interleaved` runs plain step loops in turn; :class:`ChunkedEpisode`
makes a closed-loop episode (``neurocontrol.loop.run_episode``) one of them;
:func:`time_agents` times several agents on one env that way.

Self-contained on purpose (numpy and the standard library at import; later
only ``run_episode``, ``make_agent`` and ``control_period``, which every
revision has): the A/B harness (:mod:`neurocontrol.bench.ab`) copies this file
beside its child program and runs it against another revision of
neurocontrol, which need not have it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CHUNKS",
    "CHUNK_WARMUP",
    "CURL",
    "ChunkedEpisode",
    "chunk_sizes",
    "run_interleaved",
    "time_agents",
]

#: Chunks a bench repeat interleaves the networks it compares in: on a shared machine the
#: speed changes by 10-70% within seconds, so each network must see the same seconds.
CHUNKS = 20
#: Untimed steps at the start of each interleaved chunk: they bring back into the caches
#: what the other networks evicted (without them, interleaved CL-1k measured ~5% slower).
CHUNK_WARMUP = 10
#: The perturbation of a timed episode: the curl field of the default experiment, on at 1 s.
CURL = {"kind": "curl_field", "strength": 15.0, "onset": 1.0}


def chunk_sizes(steps: int) -> list[int]:
    """``steps`` split into at most :data:`CHUNKS` near-equal chunks."""
    n_chunks = max(1, min(CHUNKS, steps))
    return [steps // n_chunks + (c < steps % n_chunks) for c in range(n_chunks)]


def run_interleaved(
    runs: Mapping[str, Callable[[int, int], Sequence[float]]], steps: int, repeats: int
) -> dict[str, list[np.ndarray]]:
    """Each run's summed figures per repeat of ``steps`` steps, the runs interleaved in chunks.

    ``runs[name](steps, warmup)`` runs ``warmup`` untimed then ``steps``
    timed steps and returns figures that add up over chunks (seconds, CPU
    seconds, counts). Chunks start with :data:`CHUNK_WARMUP` untimed steps
    when several runs share the repeat.
    """
    warmup = CHUNK_WARMUP if len(runs) > 1 else 0
    results: dict[str, list[np.ndarray]] = {name: [] for name in runs}
    for _ in range(repeats):
        totals: dict[str, np.ndarray] = {}
        for chunk in chunk_sizes(steps):
            for name, run in runs.items():
                figures = np.asarray(run(chunk, warmup), dtype=np.float64)
                totals[name] = totals[name] + figures if name in totals else figures
        for name in runs:
            results[name].append(totals[name])
    return results


class ChunkedEpisode:
    """One ``run_episode`` of an agent on its env, advanced a chunk of steps at a time.

    The episode runs in a worker thread that waits after each chunk until
    :meth:`run` asks for the next one, so only one thread runs at any time:
    several episodes interleaved by :func:`run_interleaved` share the
    machine's seconds while each records its steps with the loop's own timers
    (the trace's ``agent_us`` and ``env_us``).

    Parameters
    ----------
    env, agent
        The env and the agent driving it; the episode uses both until :meth:`finish`.
    max_steps
        Steps the episode may take at the most: all chunks with their warm-up
        steps (the env's own time limit must allow as many).
    seed, options
        Passed to ``run_episode``.
    """

    def __init__(
        self,
        env: Any,
        agent: Any,
        max_steps: int,
        *,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        #: True for the steps run as a chunk's warm-up, which the figures leave out
        self.untimed = np.zeros(max_steps, dtype=bool)
        #: wall seconds of the timed steps so far, callbacks and hand-overs included
        self.timed_seconds = 0.0
        self._done = self._timed_from = self._chunk_end = 0
        self._since: float | None = None
        self._stop = self._finished = False
        self._result: Any = None
        self._error: BaseException | None = None
        self._go, self._back = threading.Semaphore(0), threading.Semaphore(0)
        self._thread = threading.Thread(
            target=self._episode, args=(env, agent, max_steps, seed, options), daemon=True
        )
        self._thread.start()

    def run(self, steps: int, warmup: int = 0) -> tuple[float, int]:
        """Run ``warmup`` untimed, then ``steps`` timed steps of the episode.

        Returns (wall seconds, steps) of the timed steps; (0, 0) once the
        episode has ended. Re-raises what the episode raised.
        """
        if self._finished:
            return 0.0, 0
        start = self._done
        self.untimed[start : start + warmup] = True
        self._timed_from, self._chunk_end = start + warmup, start + warmup + steps
        seconds = self.timed_seconds
        self._hand_over()
        return self.timed_seconds - seconds, max(0, self._done - self._timed_from)

    def finish(self) -> Any:
        """End the episode (if still running) and return its ``EpisodeResult``."""
        if not self._finished:
            self._stop = True
            self._hand_over()
        self._thread.join()
        return self._result

    def _hand_over(self) -> None:
        self._go.release()
        self._back.acquire()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _episode(
        self, env: Any, agent: Any, max_steps: int, seed: int | None, options: Any
    ) -> None:
        from neurocontrol.loop import run_episode

        self._go.acquire()
        try:
            if not self._stop:
                self._start_chunk()
                self._result = run_episode(
                    env,
                    agent,
                    seed,
                    options=options,
                    max_steps=max_steps,
                    callbacks=[self._after_step],
                )
                self._close_chunk()  # the episode ended inside a chunk
        except BaseException as exc:  # handed to the thread that asked for the chunk
            self._error = exc
        finally:
            self._finished = True
            self._back.release()

    def _after_step(self, step: int, *_: Any) -> bool:
        self._done = step + 1
        if self._done == self._timed_from and self._since is None:
            self._since = time.perf_counter()  # the chunk's warm-up steps are over
        if self._done < self._chunk_end:
            return False
        self._close_chunk()
        self._back.release()
        self._go.acquire()  # until the next chunk, or finish()
        if self._stop:
            return True
        self._start_chunk()
        return False

    def _start_chunk(self) -> None:
        # the clock starts now, or after the chunk's warm-up steps
        self._since = time.perf_counter() if self._timed_from == self._done else None

    def _close_chunk(self) -> None:
        if self._since is not None:
            self.timed_seconds += time.perf_counter() - self._since
            self._since = None


def _latency(microseconds: np.ndarray) -> dict[str, float]:
    # not neurocontrol.utils.statistics.latency_summary: an A/B run must summarise both revisions'
    # steps with the same statistics, whatever each revision's own summary computes
    p50, p99 = np.percentile(microseconds, [50, 99])
    return {
        "p50_us": float(p50),
        "p99_us": float(p99),
        "mean_us": float(microseconds.mean()),
        "max_us": float(microseconds.max()),
    }


def time_agents(
    env_id: str,
    specs: Mapping[str, Mapping[str, Any]],
    seconds: float,
    *,
    perturbation: Mapping[str, Any] = CURL,
    warmup_steps: int = 200,
) -> dict[str, dict[str, Any]]:
    """Closed-loop step times of each agent in ``specs`` on an env of its own, interleaved.

    Each agent is built by ``make_agent(spec, env, seed=0)`` and first runs an
    untimed episode of ``warmup_steps`` steps (numba loads or compiles, caches
    fill). Then every agent runs one episode of ``seconds`` simulated seconds
    with ``perturbation`` (seed 1); the episodes advance in turn, in
    :data:`CHUNKS` chunks, each chunk after :data:`CHUNK_WARMUP` untimed steps
    when there are several agents, so that all agents see the same stretch of
    machine time.

    Parameters
    ----------
    env_id
        A registered env id (``neurocontrol/PlanarReach-v0``, ...).
    specs
        Agent specs (as :func:`neurocontrol.agents.make_agent` takes) by name.
    seconds
        Simulated seconds timed per agent.
    perturbation
        Passed to ``env.reset`` as ``options={"perturbation": ...}``.
    warmup_steps
        Steps of the untimed episode before timing.

    Returns
    -------
    dict
        Per name, over the timed steps: ``agent``, ``env`` and ``step``
        (agent + env) latencies (``p50_us``, ``p99_us``, ``mean_us``,
        ``max_us``) from the loop's own timers, ``real_time_factor``
        (simulated over wall seconds, the loop's bookkeeping included),
        ``timed_steps``; and ``rms_tracking_error_m`` of the whole episode.
    """
    import gymnasium as gym

    import neurocontrol  # noqa: F401 - registers the envs
    from neurocontrol.agents import control_period, make_agent
    from neurocontrol.loop import run_episode

    envs: list[Any] = []
    episodes: dict[str, ChunkedEpisode] = {}
    steps = 0
    try:
        for name, spec in specs.items():
            # the episodes' lengths are run_episode's max_steps, not the registered time limit
            env = gym.make(env_id, max_episode_steps=2**62)
            envs.append(env)
            steps = max(1, round(seconds / control_period(env)))
            max_steps = steps + len(chunk_sizes(steps)) * CHUNK_WARMUP
            agent = make_agent(spec, env, seed=0)
            run_episode(env, agent, seed=0, max_steps=warmup_steps)
            episodes[name] = ChunkedEpisode(
                env, agent, max_steps, seed=1, options={"perturbation": dict(perturbation)}
            )
        run_interleaved({name: episode.run for name, episode in episodes.items()}, steps, 1)
        return {name: _figures(name, episode) for name, episode in episodes.items()}
    finally:
        for episode in episodes.values():
            episode.finish()
        for env in envs:
            env.close()


def _figures(name: str, episode: ChunkedEpisode) -> dict[str, Any]:
    """The timed steps' figures of a finished :class:`ChunkedEpisode`."""
    result = episode.finish()
    trace = result.trace
    timed = ~episode.untimed[: result.steps]
    if not timed.any():
        raise RuntimeError(f"{name}: the episode ended after {result.steps} steps, none timed")
    agent_us, env_us = trace["agent_us"][timed], trace["env_us"][timed]
    dt = result.sim_time / result.steps
    return {
        "agent": _latency(agent_us),
        "env": _latency(env_us),
        "step": _latency(agent_us + env_us),
        "real_time_factor": float(timed.sum() * dt / episode.timed_seconds),
        "timed_steps": int(timed.sum()),
        "rms_tracking_error_m": float(np.sqrt(np.nanmean(trace["tracking_error"] ** 2))),
    }
