"""The two STT engines behind one small interface.

Both decode one short utterance at a time: a single temperature-0 pass (no sampling fallback:
on a child's short utterance fallbacks mostly add latency and invent text) and no conditioning
on previous text (each utterance stands alone); audio in one 30 s window is decoded without
timestamp tokens (``one_window``). ``hotwords`` go into the decoder's prompt of
every 30 s window ("" = none here; the daemon's ``stt.hotwords`` is "Teddy.", the bear's name:
measured in docs/architecture.md). A lock serialises calls per model, because one model instance
already uses all the threads it is given.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from processors.audio.samples import TARGET_RATE, Float32Array
from processors.stt.guard import GuardConfig
from processors.stt.types import Segment, Transcript
from processors.stt.window import FULL_S, EncoderWindow, windowed_model_class

log = logging.getLogger(__name__)

BACKENDS = ("faster-whisper", "openai-whisper", "wyoming")


class SttBackend(Protocol):
    @property
    def name(self) -> str: ...

    model_path: Path

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        """Decode 16 kHz mono float32 audio."""
        ...


@runtime_checkable
class Redecoder(Protocol):
    """A backend that can decode a looping utterance once more with repetition blocked."""

    def redecode(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript: ...


class FasterWhisperBackend:
    """faster-whisper on CTranslate2, optionally with the encoder on a short window.

    ``encoder_window=None`` keeps faster-whisper's own 30 s window. Should a short window make
    the model loop (a compression ratio above ``LOOP_RATIO``), that utterance is decoded again
    with the full window, so the short window never costs a transcript.
    """

    name = "faster-whisper"
    LOOP_RATIO = 2.4  # Whisper's own repetition threshold
    TOKENS_PER_S = 10.0  # > 2x fast speech (~4.5 tokens/s); bounds the cost of a loop

    def __init__(
        self,
        model_path: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        encoder_window: EncoderWindow | None = None,
        warm_up: bool = True,
        hotwords: str = "",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.model_path = model_path
        self.encoder_window = encoder_window
        self.hotwords = hotwords.strip()
        self._model = windowed_model_class()(
            str(model_path), device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )
        self._lock = threading.Lock()
        if warm_up:
            # The first decode allocates CTranslate2's buffers (~2x slower); not on a child's turn.
            self.transcribe(_warm_up_audio(), None, 5)
            release_free_memory()  # ~25 MB of the warm-up's freed buffers back to the system

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        with self._lock:
            transcript = self._decode(audio, language, beam_size, self.encoder_window)
            if self.encoder_window is not None and any(
                s.compression_ratio > self.LOOP_RATIO for s in transcript.segments
            ):
                transcript = self._decode(audio, language, beam_size, None)
            if self.hotwords and not transcript.text:
                # A prompt can make Whisper end at once on short, unclear speech (a child-like
                # "five five" came out empty with "Teddy.", right without it): the prompt may
                # add the name, never lose the words, so such a decode is redone unprompted.
                transcript = self._decode(audio, language, beam_size, self.encoder_window, False)
        return transcript

    def redecode(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        """A second decode for a transcript that looped: the full 30 s window, and no token
        trigram may repeat (so no word or n-gram can come back four times in a row)."""
        with self._lock:
            return self._decode(audio, language, beam_size, None, no_repeat_ngram_size=3)

    def _decode(
        self,
        audio: Float32Array,
        language: str | None,
        beam_size: int,
        window: EncoderWindow | None,
        prompt: bool = True,
        no_repeat_ngram_size: int = 0,
    ) -> Transcript:
        self._model.window = window
        seconds = min(len(audio) / TARGET_RATE, FULL_S)  # the bound applies per 30 s window
        segments, info = self._model.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,  # the guard runs its own VAD on the whole utterance
            max_new_tokens=round(16 + self.TOKENS_PER_S * seconds),
            no_repeat_ngram_size=no_repeat_ngram_size,
            hotwords=(self.hotwords or None) if prompt else None,
            without_timestamps=one_window(audio),
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
            for s in segments  # a generator: decoding happens here, under the caller's lock
        ]
        return Transcript(found, str(info.language))


def one_window(audio: Float32Array) -> bool:
    """Whether ``audio`` fits one encoder window, so it is decoded without timestamp tokens.

    An utterance in one window needs none: without them tiny.en was more accurate on every
    set, judging sets included (docs/architecture.md, "Timestamps"). Longer audio keeps them:
    the decoder moves on from the last one it wrote (without them it skipped 19 s of 36).
    """
    return len(audio) <= FULL_S * TARGET_RATE


def release_free_memory() -> None:
    """Return freed heap pages to the OS (glibc ``malloc_trim``; a no-op elsewhere), so the
    daemon's resident memory at ready holds what it uses, not what loading left behind."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _warm_up_audio() -> Float32Array:
    """One second of a gated tone: enough for the encoder and a few decoder steps."""
    t = np.arange(TARGET_RATE, dtype=np.float32) / TARGET_RATE
    gate = (np.sin(2 * np.pi * 3 * t) > 0).astype(np.float32)
    return (0.2 * np.sin(2 * np.pi * 220 * t) * gate).astype(np.float32)


class OpenAIWhisperBackend:
    name = "openai-whisper"

    def __init__(
        self, checkpoint: Path, device: str = "cpu", cpu_threads: int = 2, hotwords: str = ""
    ) -> None:
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
        self.hotwords = hotwords.strip()
        self._model: Any = whisper.load_model(str(checkpoint), device=device)
        self._lock = threading.Lock()

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        options: dict[str, Any] = {"language": language, "fp16": False, "temperature": 0.0}
        if beam_size > 1:
            options["beam_size"] = beam_size
        with self._lock:
            transcript = self._decode(audio, language, options, self.hotwords)
            if self.hotwords and not transcript.text:  # as in FasterWhisperBackend.transcribe
                transcript = self._decode(audio, language, options, "")
        return transcript

    def _decode(
        self, audio: Float32Array, language: str | None, options: dict[str, Any], prompt: str
    ) -> Transcript:
        if prompt:
            # The same prompt as faster-whisper's hotwords: <|startofprev|> + the words, before
            # every window (without carry_initial_prompt only the first window would get it).
            options = {**options, "initial_prompt": prompt, "carry_initial_prompt": True}
        result = self._model.transcribe(
            audio,
            condition_on_previous_text=False,
            verbose=None,
            without_timestamps=one_window(audio),  # as FasterWhisperBackend._decode
            **options,
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


def check_remote_options(
    uri: str | None, no_speech_threshold: float | None, logprob_threshold: float | None
) -> None:
    """At start: refuse a missing address; warn about guard thresholds a server cannot honour."""
    if not uri:
        raise ValueError("stt.backend 'wyoming' needs stt.uri (tcp://HOST:PORT or unix://PATH)")
    defaults = GuardConfig()
    tuned = [
        f"{key} = {value}"
        for key, value, default in (
            ("stt.no_speech_threshold", no_speech_threshold, defaults.no_speech_threshold),
            ("stt.logprob_threshold", logprob_threshold, defaults.logprob_threshold),
        )
        if value is not None and value != default
    ]
    if tuned:
        log.warning(
            "%s: a Wyoming server sends text without scores, so these apply only when the "
            "local engine answers; the VAD gate and the repetition guard still apply to all",
            ", ".join(tuned),
        )


def create_backend(
    backend: str,
    model: str,
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 2,
    cache_dir: Path | None = None,
    encoder_window: EncoderWindow | None = None,
    hotwords: str = "",
) -> SttBackend:
    """Resolve ``model`` for ``backend`` (nothing downloads) and load it.

    ``encoder_window`` applies to faster-whisper only (openai-whisper's encoder needs 30 s);
    ``hotwords`` (words the decoder is prompted with; "" = none) to both.
    """
    from processors.stt.models import resolve_ct2_model, resolve_openai_checkpoint

    if backend == "wyoming":
        raise ValueError("stt.backend 'wyoming' is built by processors.stt.wyoming.remote_first")
    if backend == "faster-whisper":
        return FasterWhisperBackend(
            resolve_ct2_model(model, cache_dir),
            device,
            compute_type,
            cpu_threads,
            encoder_window,
            hotwords=hotwords,
        )
    if backend == "openai-whisper":
        return OpenAIWhisperBackend(
            resolve_openai_checkpoint(model, cache_dir), device, cpu_threads, hotwords
        )
    raise ValueError(f"stt.backend {backend!r} is not one of {', '.join(BACKENDS)}")
