"""Hotwords (words the decoder is prompted with) reach each engine's decode call.

Off by default: measured with benchmarks/stt.py and benchmarks/stt_name.py, "Teddy" wrote the
bear's name right far more often but made the "unseen" judging set worse and put the name into
a sentence that did not hold it, so no config key turns it on.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors.stt import stage as stage_module
from processors.stt.backends import FasterWhisperBackend, OpenAIWhisperBackend
from processors.stt.stage import Transcriber
from tests.processors.stt.fakes import ScriptedBackend, segment

AUDIO = np.zeros(16_000, np.float32)


class _RecordingModel:
    """Stands in for WhisperModel / whisper's model: keeps every call's options."""

    def __init__(self) -> None:
        self.window: Any = None
        self.options: list[dict[str, Any]] = []

    def transcribe(self, audio: np.ndarray, **options: Any) -> Any:
        self.options.append(options)
        if "fp16" in options:  # openai-whisper's result
            return {"segments": [], "language": "en"}
        return [], SimpleNamespace(language="en")


def _faster_whisper(hotwords: str) -> tuple[FasterWhisperBackend, _RecordingModel]:
    backend = FasterWhisperBackend.__new__(FasterWhisperBackend)
    backend.encoder_window = None
    backend.hotwords = hotwords
    backend._model = model = _RecordingModel()
    backend._lock = threading.Lock()
    return backend, model


@pytest.mark.parametrize(("hotwords", "sent"), [("Teddy", "Teddy"), ("", None)])
def test_faster_whisper_prompts_with_the_hotwords_in_decode_and_redecode(
    hotwords: str, sent: str | None
) -> None:
    backend, model = _faster_whisper(hotwords)
    backend.transcribe(AUDIO, "en", 5)
    backend.redecode(AUDIO, "en", 5)
    assert [o["hotwords"] for o in model.options] == [sent, sent]


def test_openai_whisper_prompts_every_window_with_the_hotwords() -> None:
    backend = OpenAIWhisperBackend.__new__(OpenAIWhisperBackend)
    backend.hotwords = "Teddy"
    backend._model = model = _RecordingModel()
    backend._lock = threading.Lock()
    backend.transcribe(AUDIO, "en", 5)
    assert model.options[0]["initial_prompt"] == "Teddy"
    assert model.options[0]["carry_initial_prompt"] is True
    backend.hotwords = ""
    backend.transcribe(AUDIO, "en", 5)
    assert "initial_prompt" not in model.options[1]


def test_the_stage_hands_its_hotwords_to_the_backend_it_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[Any, ...]] = []

    def create(*args: Any) -> ScriptedBackend:
        calls.append(args)
        return ScriptedBackend(segment(" Hello."))

    monkeypatch.setattr(stage_module, "create_backend", create)
    Transcriber(hotwords="Bruno", cache_dir=Path("unused")).load_sync()
    Transcriber().load_sync()
    assert [args[-1] for args in calls] == ["Bruno", ""]
