"""Speech shared by the hearing tests."""

from __future__ import annotations

import numpy as np
import pytest

from tests.daemon.hearing.speech import espeak, load

#: the bear's voice in the echo tests (espeak-ng: fixed, not tuned on anything judged)
ECHO_STORY = (
    "Once upon a time there was a little dragon who lived in a cave on a tall green hill. "
    "Every morning he flew over the village and waved at the children. "
    "One day a girl called Mia waved back and asked him to come down for tea."
)


@pytest.fixture(scope="module")
def bear(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    audio = load(espeak(ECHO_STORY, tmp_path_factory.mktemp("echo") / "bear.wav"))
    return (audio * (0.3 / np.max(np.abs(audio)))).astype(np.float32)


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The child's "Stop teddy, stop!" over the bear in the echo tests."""
    audio = load(
        espeak(
            "Stop teddy, stop! I want to ask something else.",
            tmp_path_factory.mktemp("echo") / "child.wav",
        )
    )
    return (audio * (0.3 / np.max(np.abs(audio)))).astype(np.float32)
