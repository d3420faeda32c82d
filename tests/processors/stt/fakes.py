"""A scripted STT backend and a minimal task, for fast tests of the stage logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processors.audio.samples import Float32Array
from processors.stt.types import Segment, Transcript


def segment(
    text: str, logprob: float = -0.3, no_speech: float = 0.05, ratio: float = 1.1
) -> Segment:
    return Segment(0.0, 1.0, text, logprob, no_speech, ratio)


class ScriptedBackend:
    name = "scripted"
    model_path = Path("scripted")

    def __init__(self, *segments: Segment) -> None:
        self.segments = list(segments)
        self.calls: list[tuple[int, str | None, int]] = []

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        self.calls.append((len(audio), language, beam_size))
        return Transcript(list(self.segments), language or "en")


@dataclass
class MiniTask:
    payload: dict[str, Any]
    dependency_results: dict[str, Any] = field(default_factory=dict)
