"""Fixtures for the speech tests that use the virtual-audio rig and the project's STT."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from processors.stt.stage import Transcriber
    from tests.audio_rig import AudioRig

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    from processors.stt.stage import Transcriber

    stage = Transcriber(cpu_threads=2)
    stage.load_sync()
    return stage


@pytest.fixture
def warm_rig(audio_rig: AudioRig) -> AudioRig:
    """The rig with its default sink already running: right after the server starts, the first
    output stream stalls ~2 s, which would skew the timing measurements."""
    import threading

    from processors.speech.tts.playback import AudioOutput

    stream = AudioOutput().open(16_000)
    stream.play(np.zeros(3200, np.float32), 16_000, threading.Event())
    stream.finish(threading.Event())
    return audio_rig
