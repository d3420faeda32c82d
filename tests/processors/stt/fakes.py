"""A scripted STT backend, a model that records its decode options, and a minimal task, for
fast tests of the stage and backend logic."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from processors.audio.samples import Float32Array
from processors.stt.backends import FasterWhisperBackend, OpenAIWhisperBackend
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


class RecordingModel:
    """Stands in for WhisperModel / whisper's model: keeps every call's options and answers
    ``text``, or nothing at all when ``silent_when_prompted`` and the call carries a prompt."""

    def __init__(self, text: str = " Hello.", silent_when_prompted: bool = False) -> None:
        self.window: Any = None
        self.options: list[dict[str, Any]] = []
        self.text = text
        self.silent_when_prompted = silent_when_prompted

    def transcribe(self, audio: np.ndarray, **options: Any) -> Any:
        self.options.append(options)
        prompted = bool(options.get("hotwords") or options.get("initial_prompt"))
        said = [] if self.silent_when_prompted and prompted else [self.text]
        scores = {"avg_logprob": -0.2, "no_speech_prob": 0.1, "compression_ratio": 1.0}
        if "fp16" in options:  # openai-whisper's result
            segments = [{"start": 0.0, "end": 1.0, "text": t, **scores} for t in said]
            return {"segments": segments, "language": "en"}
        found = [SimpleNamespace(start=0.0, end=1.0, text=t, **scores) for t in said]
        return found, SimpleNamespace(language="en")


def recording_faster_whisper(
    hotwords: str, model: RecordingModel | None = None
) -> tuple[FasterWhisperBackend, RecordingModel]:
    backend = FasterWhisperBackend.__new__(FasterWhisperBackend)
    backend.encoder_window = None
    backend.hotwords = hotwords
    backend._model = model = model or RecordingModel()
    backend._lock = threading.Lock()
    return backend, model


def recording_openai_whisper(
    hotwords: str, model: RecordingModel | None = None
) -> tuple[OpenAIWhisperBackend, RecordingModel]:
    backend = OpenAIWhisperBackend.__new__(OpenAIWhisperBackend)
    backend.hotwords = hotwords
    backend._model = model = model or RecordingModel()
    backend._lock = threading.Lock()
    return backend, model
