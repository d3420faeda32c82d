"""The listener hands pauses to a speculator and abandons them when speech resumes."""

from __future__ import annotations

import numpy as np

from daemon.hearing import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.endpointing import Endpointer, Float32Array, SpeechEnded
from daemon.hearing.listener import Listener
from tests.daemon.hearing.test_endpointing import LevelVad, signal


class RecordingSpeculator:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.audio: list[Float32Array] = []

    def speculate(self, audio: Float32Array) -> bool:
        self.calls.append("speculate")
        self.audio.append(audio)
        return True

    def abandon_speculation(self) -> None:
        self.calls.append("abandon")


class _NoSource:
    def close(self) -> None:
        pass


def test_pause_speculates_resume_abandons_and_the_end_matches_the_last_pause() -> None:
    ended: list[SpeechEnded] = []
    speculator = RecordingSpeculator()
    endpointer = Endpointer(LevelVad(), silence_ms=400, pause_ms=180)
    listener = Listener(_NoSource(), endpointer, ended.append, speculator)  # type: ignore[arg-type]
    audio = signal(("q", 0.5), ("s", 0.8), ("q", 0.25), ("s", 0.8), ("q", 1.0))
    for i in range(0, audio.size - BLOCK + 1, BLOCK):
        for event in endpointer.process(AudioFrame(i / SAMPLE_RATE, audio[i : i + BLOCK])):
            listener._handle(event)
    assert speculator.calls == ["speculate", "abandon", "speculate"]
    assert listener.pauses == 2 and len(ended) == 1
    np.testing.assert_array_equal(speculator.audio[-1], ended[0].audio)
