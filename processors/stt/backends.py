"""The two STT engines behind one small interface.

Both decode one short utterance at a time: a single temperature-0 pass (no sampling fallback:
on a child's short utterance fallbacks mostly add latency and invent text) and no conditioning
on previous text (each utterance stands alone). A lock serialises calls per model, because one
model instance already uses all the threads it is given.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

from processors.audio import Float32Array
from processors.stt.types import Segment, Transcript

BACKENDS = ("faster-whisper", "openai-whisper")


class SttBackend(Protocol):
    name: str
    model_path: Path

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        """Decode 16 kHz mono float32 audio."""
        ...


class FasterWhisperBackend:
    name = "faster-whisper"

    def __init__(
        self,
        model_path: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        self.model_path = model_path
        self._model = WhisperModel(
            str(model_path), device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )
        self._lock = threading.Lock()

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        with self._lock:
            segments, info = self._model.transcribe(
                audio,
                language=language,
                beam_size=beam_size,
                temperature=0.0,
                condition_on_previous_text=False,
                vad_filter=False,  # the guard runs its own VAD on the whole utterance
            )
            found = [
                Segment(
                    start=float(s.start),
                    end=float(s.end),
                    text=str(s.text),
                    avg_logprob=float(s.avg_logprob),
                    no_speech_prob=float(s.no_speech_prob),
                    compression_ratio=float(s.compression_ratio),
                )
                for s in segments  # a generator: decoding happens here, under the lock
            ]
        return Transcript(found, str(info.language))


class OpenAIWhisperBackend:
    name = "openai-whisper"

    def __init__(self, checkpoint: Path, device: str = "cpu", cpu_threads: int = 2) -> None:
        try:
            import torch
            import whisper
        except ImportError as exc:
            raise ImportError(
                "stt.backend 'openai-whisper' needs: pip install 'teddy[openai-whisper]'"
            ) from exc
        # torch's intra-op pool is process-wide; the daemon runs one torch model, so this is ours.
        torch.set_num_threads(max(1, cpu_threads))
        self.model_path = checkpoint
        self._model: Any = whisper.load_model(str(checkpoint), device=device)
        self._lock = threading.Lock()

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        options: dict[str, Any] = {"language": language, "fp16": False, "temperature": 0.0}
        if beam_size > 1:
            options["beam_size"] = beam_size
        with self._lock:
            result = self._model.transcribe(
                audio, condition_on_previous_text=False, verbose=None, **options
            )
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=str(s["text"]),
                avg_logprob=float(s["avg_logprob"]),
                no_speech_prob=float(s["no_speech_prob"]),
                compression_ratio=float(s["compression_ratio"]),
            )
            for s in result["segments"]
        ]
        return Transcript(segments, str(result.get("language") or language or "en"))


def create_backend(
    backend: str,
    model: str,
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 2,
    cache_dir: Path | None = None,
) -> SttBackend:
    """Resolve ``model`` for ``backend`` (nothing downloads) and load it."""
    from processors.stt.models import resolve_ct2_model, resolve_openai_checkpoint

    if backend == "faster-whisper":
        return FasterWhisperBackend(
            resolve_ct2_model(model, cache_dir), device, compute_type, cpu_threads
        )
    if backend == "openai-whisper":
        return OpenAIWhisperBackend(
            resolve_openai_checkpoint(model, cache_dir), device, cpu_threads
        )
    raise ValueError(f"stt.backend {backend!r} is not one of {', '.join(BACKENDS)}")
