"""EMOTION_ANALYSIS and TEXT_ANALYSIS stages: how the child feels, from words and voice.

Payload of EMOTION_ANALYSIS:

* ``mode="audio"``: acoustic cues only, from ``audio_data`` (+ ``sample_rate``); arousal is relative
  to the running baseline of ``speaker_id`` (default ``"default"``, one per bear/device).
* ``mode="text"``: text emotion of ``text``, or of the AUDIO_TRANSCRIPTION dependency's ``text``;
  the cues of an audio-mode EMOTION_ANALYSIS dependency, when present, are folded in.
* no mode: whatever is given (text and/or audio_data; the guide's example passes both).

The result keys (``primary``, ``scores``, ``valence``, ``arousal``, ``evidence``, ``audio``) are the
contract of docs/architecture.md. Audio alone gives cues, not labels: its primary stays neutral.
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from processors.audio.samples import TARGET_RATE, BadAudio, as_float32
from processors.emotion.audio import AcousticCues, SpeakerBaselines, extract_cues
from processors.emotion.labels import AFFECT, EMOTIONS, normalized, primary_of
from processors.emotion.text import HybridTextEmotion, HybridWeights, TextEmotionBackend
from processors.engine.errors import InvalidTask
from processors.results import EmotionReading, Transcription

TRANSCRIPTION_TYPE = "audio_transcription"
EMOTION_TYPE = "emotion_analysis"
ENHANCEMENT_TYPE = "audio_enhancement"
MODES = ("audio", "text")
#: how far voice arousal may tilt the text scores (a multiplicative factor of at most e^0.35/2)
AUDIO_TILT = 1.0


class _Task(Protocol):
    payload: dict[str, Any]
    dependency_results: dict[str, Any]


def _dependency(task: _Task, task_type: str) -> Any | None:
    getter = getattr(task, "dependency_result", None)
    return getter(task_type) if callable(getter) else None


class EmotionAnalyzer:
    """The EMOTION_ANALYSIS stage; register the instance as that type's processor."""

    def __init__(
        self,
        text_backend: TextEmotionBackend | None = None,
        baselines: SpeakerBaselines | None = None,
        prototypes_path: Path | None = None,
        weights: HybridWeights | None = None,
        max_text_chars: int = 2000,
        max_audio_s: float = 60.0,
        baseline_horizon: int = 20,
    ) -> None:
        self.text_backend: TextEmotionBackend = text_backend or HybridTextEmotion(
            weights, prototypes_path
        )
        self.baselines = baselines or SpeakerBaselines(horizon=baseline_horizon)
        self.max_text_chars = max_text_chars
        self.max_audio_s = max_audio_s
        self._loaded = False
        self._load_lock = threading.Lock()

    @classmethod
    def from_config(cls, emotion: Mapping[str, Any]) -> EmotionAnalyzer:
        """Build from the ``[emotion]`` section: ``prototypes_path``, ``neutral_band`` (VADER
        compound that counts as no polarity), ``baseline_horizon`` (utterances per voice
        baseline)."""
        return cls(
            prototypes_path=emotion["prototypes_path"],
            weights=HybridWeights(neutral_band=emotion["neutral_band"]),
            baseline_horizon=emotion["baseline_horizon"],
        )

    def load_sync(self) -> None:
        """Load the text model (the audio path is numpy alone: nothing to load)."""
        with self._load_lock:
            if not self._loaded:
                self.text_backend.load()
                self._loaded = True

    async def load(self) -> None:
        await asyncio.to_thread(self.load_sync)

    async def __call__(self, task: _Task) -> EmotionReading:
        payload = task.payload
        mode = payload.get("mode")
        if mode is not None and mode not in MODES:
            raise InvalidTask(
                f"emotion mode must be one of {', '.join(MODES)} or absent, not {mode!r}"
            )
        text = None if mode == "audio" else self._text_of(task)
        audio_source = None if mode == "text" else self._audio_source(task)
        if mode == "audio" and audio_source is None:
            raise BadAudio("emotion mode 'audio' needs audio_data")
        prior = EmotionReading.of(_dependency(task, EMOTION_TYPE)) if mode != "audio" else None
        prior_audio = prior.audio if prior is not None else None
        if text is None and audio_source is None and prior_audio is None:
            raise InvalidTask(
                "emotion analysis needs text, audio_data or an audio_transcription dependency"
            )
        if not self._loaded:
            await self.load()
        speaker = str(payload.get("speaker_id") or "default")
        return await asyncio.to_thread(
            self.analyse, text, audio_source, speaker, prior_audio, mode is None
        )

    def analyse(
        self,
        text: str | None,
        audio_source: dict[str, Any] | None = None,
        speaker_id: str = "default",
        prior_audio: dict[str, Any] | None = None,
        lenient_audio: bool = False,
    ) -> EmotionReading:
        """Blocking: the reading of a text and/or audio (raises BadAudio / InvalidTask)."""
        started = time.perf_counter()
        evidence: list[str] = []
        audio = prior_audio
        if audio_source is not None:
            try:
                audio = self.audio_cues(audio_source, speaker_id)
            except BadAudio as exc:
                if not (lenient_audio and text):
                    raise
                # With text to go on, unusable audio costs the cues, not the analysis.
                evidence.append(f"audio unusable: {exc}")
        if text:
            result = self._text_result(text, audio)
            mode = "text+audio" if audio is not None and audio.get("speech") else "text"
        else:
            result = _audio_only_result(audio)
            mode = "audio"
        result["evidence"] = result["evidence"] + evidence
        return EmotionReading(
            **result, mode=mode, speaker_id=speaker_id, processing_s=time.perf_counter() - started
        )

    def audio_cues(self, source: dict[str, Any], speaker_id: str) -> dict[str, Any]:
        """Cues of the audio in ``source`` and its arousal against the speaker's baseline."""
        samples = as_float32(source["audio_data"], int(source.get("sample_rate", TARGET_RATE)))
        duration = samples.size / TARGET_RATE
        if duration > self.max_audio_s:
            raise BadAudio(f"audio is {duration:.1f} s long; the limit is {self.max_audio_s} s")
        cues = extract_cues(samples)
        baseline_n = self.baselines.count(speaker_id)
        arousal, z = self.baselines.score(speaker_id, cues)
        return _cues_dict(cues, arousal, z, baseline_n)

    def _text_result(self, text: str, audio: dict[str, Any] | None) -> dict[str, Any]:
        emotion = self.text_backend.classify(text[: self.max_text_chars])
        scores = dict(emotion.scores)
        arousal = emotion.arousal
        evidence = list(emotion.evidence)
        if audio is not None and audio.get("speech"):
            voice = float(audio["arousal"])
            # Voice arousal only breaks near-ties between calm and agitated classes.
            tilt = AUDIO_TILT * (voice - 0.5)
            scores = normalized(
                {e: s * math.exp(tilt * (AFFECT[e][1] - 0.5)) for e, s in scores.items()}
            )
            arousal = 0.5 * arousal + 0.5 * voice
            evidence.append(f"voice arousal {voice:.2f}")
        return {
            "primary": primary_of(scores),
            "scores": scores,
            "valence": emotion.valence,
            "arousal": max(0.0, min(1.0, arousal)),
            "evidence": evidence,
            "audio": audio,
            "text": text,
            "sentiment": emotion.sentiment,
        }

    def _text_of(self, task: _Task) -> str | None:
        text = task.payload.get("text")
        if text is None:
            found = Transcription.of(_dependency(task, TRANSCRIPTION_TYPE))
            text = found.text if found is not None else None
        if text is None:
            return None
        if not isinstance(text, str):
            raise InvalidTask(f"emotion text must be a string, not {type(text).__name__}")
        return text.strip() or None

    @staticmethod
    def _audio_source(task: _Task) -> dict[str, Any] | None:
        if task.payload.get("audio_data") is not None:
            return task.payload
        enhanced = _dependency(task, ENHANCEMENT_TYPE)
        if isinstance(enhanced, dict) and enhanced.get("audio_data") is not None:
            return enhanced
        return None


def _cues_dict(
    cues: AcousticCues, arousal: float, z: dict[str, float], baseline_n: int
) -> dict[str, Any]:
    return {
        **cues.to_dict(),
        "speech": cues.has_speech,
        "arousal": round(arousal, 4),
        "z": {k: round(v, 3) for k, v in z.items()},
        "baseline_utterances": baseline_n,
    }


def _audio_only_result(audio: dict[str, Any] | None) -> dict[str, Any]:
    if audio is None:
        raise InvalidTask("no text to analyse and no usable audio")
    evidence = [f"voice arousal {audio['arousal']:.2f}"] if audio.get("speech") else ["no speech"]
    for name, value in (audio.get("z") or {}).items():
        if abs(value) >= 1.0:
            evidence.append(f"{name} {value:+.1f} sd from baseline")
    return {
        "primary": "neutral",
        "scores": {e: (1.0 if e == "neutral" else 0.0) for e in EMOTIONS},
        "valence": 0.0,
        "arousal": float(audio["arousal"]),
        "evidence": evidence,
        "audio": audio,
        "text": None,
        "sentiment": None,
    }


class TextAnalyzer:
    """The TEXT_ANALYSIS stage: sentiment and emotion of ``text`` (or a transcription's text)."""

    def __init__(self, text_backend: HybridTextEmotion | None = None, max_chars: int = 20_000):
        self.text_backend = text_backend or HybridTextEmotion()
        self.max_chars = max_chars

    async def load(self) -> None:
        await asyncio.to_thread(self.text_backend.load)

    async def __call__(self, task: _Task) -> dict[str, Any]:
        text = task.payload.get("text", task.payload.get("content"))
        if text is None:
            found = Transcription.of(_dependency(task, TRANSCRIPTION_TYPE))
            text = found.text if found is not None else None
        if not isinstance(text, str) or not text.strip():
            raise InvalidTask("text analysis needs a non-empty 'text' string")
        if not self.text_backend.loaded:
            await self.load()
        return await asyncio.to_thread(self.analyse, text)

    def analyse(self, text: str) -> dict[str, Any]:
        clipped = text[: self.max_chars]
        emotion = self.text_backend.classify(clipped)
        compound = emotion.sentiment.get("compound", 0.0)
        sentiment = (
            "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        )
        return {
            "sentiment": sentiment,
            "valence": emotion.valence,
            "compound": compound,
            "vader": emotion.sentiment,
            "primary": emotion.primary,
            "emotion_scores": emotion.scores,
            "evidence": emotion.evidence,
            "word_count": len(clipped.split()),
            "char_count": len(text),
            "truncated": len(text) > self.max_chars,
        }


_shared_lock = threading.Lock()
_shared: HybridTextEmotion | None = None


def shared_text_backend() -> HybridTextEmotion:
    """One default text backend per process, so both default stages load wordllama once."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = HybridTextEmotion()
        return _shared


def create_default() -> EmotionAnalyzer:
    """Trained VADER+wordllama+rules regression, per-speaker voice baselines; loads on first use."""
    return EmotionAnalyzer(text_backend=shared_text_backend())


def create_text_analysis_default() -> TextAnalyzer:
    """Sentiment (VADER) and emotion of a text payload; loads on first use."""
    return TextAnalyzer(text_backend=shared_text_backend())


_default = functools.cache(create_default)
_default_text = functools.cache(create_text_analysis_default)


async def process(task: _Task) -> EmotionReading:
    """The built-in EMOTION_ANALYSIS processor (entry point ``teddy.processors``)."""
    return await _default()(task)


async def process_text(task: _Task) -> dict[str, Any]:
    """The built-in TEXT_ANALYSIS processor (entry point ``teddy.processors``)."""
    return await _default_text()(task)
