"""The rigid-body chain read from the Panda's PyBullet body."""

from __future__ import annotations

import numpy as np
import pytest

from neurocontrol.envs.robots import PandaModel
from neurocontrol.envs.robots.panda import (
    PANDA_ARM_JOINTS,
    PANDA_FINGER_JOINTS,
    PANDA_FINGER_OPENING,
    PANDA_HAND_LINK,
)
from neurocontrol.envs.robots.rigid_body import read_serial_chain
from neurocontrol.errors import ConfigError

HELD_FINGERS = dict.fromkeys(PANDA_FINGER_JOINTS, PANDA_FINGER_OPENING)


@pytest.fixture(scope="module")
def panda():
    model = PandaModel()
    yield model
    model.close()


def test_the_chain_merges_hand_and_fingers_into_the_last_body(panda: PandaModel) -> None:
    client, body = panda._client, panda._body
    chain = read_serial_chain(client, body, PANDA_ARM_JOINTS, HELD_FINGERS, PANDA_HAND_LINK)
    links = [client.getDynamicsInfo(body, link)[0] for link in range(client.getNumJoints(body))]
    assert chain.n_joints == 7
    np.testing.assert_allclose(chain.masses[:6], links[:6])
    # link 7 and the hand, both fingers and the grasp target move with joint 7
    np.testing.assert_allclose(chain.masses[6], sum(links[6:]))


@pytest.mark.parametrize(
    ("joints", "held", "point", "match"),
    [
        ((0, 1, 2, 3, 4, 6, 5), HELD_FINGERS, PANDA_HAND_LINK, "not a serial chain"),
        ((0, 1, 2, 3, 4, 5, 10), {6: 0.0, 9: 0.01}, PANDA_HAND_LINK, "not a serial chain"),
        (PANDA_ARM_JOINTS, {9: PANDA_FINGER_OPENING}, PANDA_HAND_LINK, "joint 10 moves"),
        (PANDA_ARM_JOINTS, HELD_FINGERS, 5, "link 5 must move with joint 6"),
        (PANDA_ARM_JOINTS, HELD_FINGERS, 40, r"has no links \[40\]"),
    ],
    ids=["order", "prismatic", "not-held", "point", "missing"],
)
def test_a_body_that_is_not_the_chain_asked_for_raises(
    panda: PandaModel, joints, held, point: int, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        read_serial_chain(panda._client, panda._body, joints, held, point)
