"""Audio input: microphone capture (PortAudio) and WAV replay, both as async frame sources.

``async for frame in source.frames()`` yields :class:`AudioFrame` (16 kHz mono float32, 32 ms,
monotonic ``t``); ``source.state`` is a :class:`CaptureState` for health.
"""

from __future__ import annotations

from daemon.hearing.capture import MicrophoneSource
from daemon.hearing.frames import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.replay import ReplaySource, parse_replay
from daemon.hearing.state import CaptureState

AudioSource = MicrophoneSource | ReplaySource

__all__ = [
    "BLOCK",
    "SAMPLE_RATE",
    "AudioFrame",
    "AudioSource",
    "CaptureState",
    "MicrophoneSource",
    "ReplaySource",
    "open_source",
]


def open_source(spec: int | str | None, *, fast: bool = False) -> AudioSource:
    """``replay:PATH`` → a ReplaySource; a device index/name substring/None → the microphone."""
    if isinstance(spec, str):
        path = parse_replay(spec)
        if path is not None:
            return ReplaySource(path, fast=fast)
    return MicrophoneSource(spec)
