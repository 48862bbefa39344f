"""One PyBullet physics client per environment.

:class:`BulletSim` owns a headless ``BulletClient`` (created when the env is
constructed, never at import, so forked or spawned vector-env workers each
build their own), the fixed time step, a saved snapshot of the freshly built
world for cheap resets, and off-screen rendering with the Tiny renderer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

import numpy as np
import pybullet
from pybullet_utils.bullet_client import BulletClient

from neurocontrol.utils.validation import require_positive

__all__ = ["BulletSim", "DirectBulletClient", "camera_matrices"]


class DirectBulletClient(BulletClient):
    """A headless (DIRECT) ``BulletClient`` that keeps stdout clean.

    ``BulletClient`` always passes ``options`` to ``pybullet.connect``, and
    PyBullet then prints ``argv[0]=`` to the process's stdout, which corrupts
    machine-readable output (``bench --json``). Connecting without options
    does not print.
    """

    def __init__(self) -> None:  # no super().__init__: it would connect with options
        self._shapes: dict = {}
        self._pid = os.getpid()
        self._client = pybullet.connect(pybullet.DIRECT)


class BulletSim:
    """A headless PyBullet world stepped at a fixed ``dt``.

    Parameters
    ----------
    dt : float
        Physics time step in seconds (1 ms by default in every env).
    gravity : sequence of 3 floats
        Gravity vector in m/s^2, world frame.

    Attributes
    ----------
    client_id : int
        The PyBullet physics client id.
    """

    def __init__(self, dt: float, gravity: Sequence[float] = (0.0, 0.0, -9.81)) -> None:
        self.dt = require_positive("dt", dt)
        self._client: BulletClient | None = DirectBulletClient()
        self.client_id: int = self._client._client
        self.client.setPhysicsEngineParameter(
            fixedTimeStep=self.dt, numSubSteps=0, deterministicOverlappingPairs=1
        )
        self.client.setGravity(*(float(g) for g in gravity))
        self._snapshot: int | None = None

    # -- snapshot -----------------------------------------------------------------
    def save_snapshot(self) -> None:
        """Save the current world state (positions, velocities, contacts) for :meth:`restore`."""
        self._snapshot = self.client.saveState()

    def restore(self) -> None:
        """Restore the world saved by :meth:`save_snapshot` (no URDF reload)."""
        if self._snapshot is None:
            raise RuntimeError("BulletSim.restore() called before save_snapshot()")
        self.client.restoreState(stateId=self._snapshot)

    # -- rendering ----------------------------------------------------------------
    def render(
        self,
        width: int,
        height: int,
        target: Sequence[float],
        distance: float,
        yaw: float,
        pitch: float,
        fov: float = 45.0,
    ) -> np.ndarray:
        """Render an RGB image (``uint8``, shape ``(height, width, 3)``) with the Tiny renderer."""
        view, projection = camera_matrices(width, height, target, distance, yaw, pitch, fov)
        _, _, rgba, _, _ = self.client.getCameraImage(
            width, height, view, projection, renderer=pybullet.ER_TINY_RENDERER
        )
        image = np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)
        return np.ascontiguousarray(image[:, :, :3])

    # -- lifetime -----------------------------------------------------------------
    @property
    def client(self) -> BulletClient:
        """The ``BulletClient``, for set-up calls.

        Hot loops call ``pybullet`` functions with ``physicsClientId=client_id``
        instead: every attribute access on a ``BulletClient`` builds a new partial.
        """
        if self._client is None:
            raise RuntimeError("the simulation is closed")
        return self._client

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._client is None

    def close(self) -> None:
        """Disconnect the client; safe to call more than once."""
        client, self._client = self._client, None
        if client is not None and client._client >= 0:
            with contextlib.suppress(pybullet.error):  # already gone
                pybullet.disconnect(physicsClientId=client._client)
            client._client = -1


def camera_matrices(
    width: int,
    height: int,
    target: Sequence[float],
    distance: float,
    yaw: float,
    pitch: float,
    fov: float = 45.0,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """View and projection matrices (column-major, 16 values each) of :meth:`BulletSim.render`.

    Exposed so that overlays drawn on a rendered image can project world
    points with the same camera.
    """
    view = pybullet.computeViewMatrixFromYawPitchRoll(
        cameraTargetPosition=list(target),
        distance=distance,
        yaw=yaw,
        pitch=pitch,
        roll=0.0,
        upAxisIndex=2,
    )
    projection = pybullet.computeProjectionMatrixFOV(
        fov=fov, aspect=width / height, nearVal=0.01, farVal=10.0
    )
    return tuple(view), tuple(projection)
