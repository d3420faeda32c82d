"""Hallucination guard: Whisper invents "Thank you." or "Thanks for watching" from non-speech.

Two gates. Before decoding, Silero VAD (the ONNX model inside faster-whisper) must find enough
speech — this also saves the decode on silence. After decoding, each segment is checked with
Whisper's own signals: a high no-speech probability together with a low average log-probability
(Whisper's rule), a very low log-probability alone, or a compression ratio typical of repetition
loops. An utterance with no surviving segment is rejected with the reason, and so is one whose text
is a repetition loop the speech cannot support (``processors/stt/loops.py``; the stage first
decodes such audio once more with repetition blocked, see ``Transcriber.transcribe_array``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from processors.audio.samples import TARGET_RATE, Float32Array
from processors.stt import pyav
from processors.stt.errors import UtteranceRejected
from processors.stt.loops import (
    MAX_WORDS_PER_S,
    MIN_REPEATS,
    Loop,
    find_loop,
    longest_repeat,
    words_of,
)
from processors.stt.types import Segment, Transcript

# Phrases Whisper produces from non-speech; only trusted when the VAD found plenty of speech.
_KNOWN_HALLUCINATIONS = frozenset(
    {
        "thanks for watching",
        "thank you for watching",
        "please subscribe",
        "you",
        "subtitles by the amaraorg community",
    }
)


@dataclass(frozen=True)
class GuardConfig:
    min_speech_s: float = 0.25
    min_speech_ratio: float = 0.10
    vad_threshold: float = 0.5
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    min_logprob: float = -2.0
    compression_ratio_threshold: float = 2.4
    hallucination_speech_ratio: float = 0.3
    loop_min_repeats: int = MIN_REPEATS
    loop_max_words_per_s: float = MAX_WORDS_PER_S


@dataclass(frozen=True)
class SpeechStats:
    speech_s: float
    duration_s: float

    @property
    def ratio(self) -> float:
        return self.speech_s / self.duration_s if self.duration_s > 0 else 0.0


def speech_stats(audio: Float32Array, threshold: float = 0.5) -> SpeechStats:
    """Seconds of speech Silero VAD finds in 16 kHz ``audio`` (no padding, short gaps kept)."""
    pyav.defer()  # faster_whisper's package imports PyAV, which no array needs
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=threshold,
        min_speech_duration_ms=100,
        min_silence_duration_ms=150,
        speech_pad_ms=0,
    )
    chunks = get_speech_timestamps(audio, options, sampling_rate=TARGET_RATE)
    speech = sum(int(c["end"]) - int(c["start"]) for c in chunks)
    return SpeechStats(speech / TARGET_RATE, len(audio) / TARGET_RATE)


def _normalise(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


class HallucinationGuard:
    def __init__(self, config: GuardConfig | None = None) -> None:
        self.config = config or GuardConfig()

    def check_audio(self, audio: Float32Array) -> SpeechStats:
        """Raise UtteranceRejected unless the VAD finds enough speech; return the stats."""
        cfg = self.config
        if not np.any(audio):
            raise UtteranceRejected("silence: the audio is all zeros")
        stats = speech_stats(audio, cfg.vad_threshold)
        if stats.speech_s < cfg.min_speech_s or stats.ratio < cfg.min_speech_ratio:
            raise UtteranceRejected(
                f"no speech detected: VAD found {stats.speech_s:.2f} s of speech "
                f"({stats.ratio:.0%} of {stats.duration_s:.2f} s)"
            )
        return stats

    def segment_problem(self, segment: Segment) -> str | None:
        """Why this segment is not trusted, or None."""
        cfg = self.config
        if not any(c.isalnum() for c in segment.text):
            return "no words in the segment"  # empty, or punctuation only (". . ." from noise)
        if (
            segment.no_speech_prob > cfg.no_speech_threshold
            and segment.avg_logprob < cfg.logprob_threshold
        ):
            return (
                f"no_speech_prob {segment.no_speech_prob:.2f} with avg log-prob "
                f"{segment.avg_logprob:.2f}"
            )
        if segment.avg_logprob < cfg.min_logprob:
            return f"avg log-prob {segment.avg_logprob:.2f} < {cfg.min_logprob}"
        if segment.compression_ratio > cfg.compression_ratio_threshold:
            return f"compression ratio {segment.compression_ratio:.2f} (repetition loop)"
        return None

    def loop_in(self, transcript: Transcript, stats: SpeechStats) -> Loop | None:
        """A repetition loop in the transcript's text that the speech cannot support."""
        return find_loop(
            transcript.text,
            stats.speech_s,
            min_repeats=self.config.loop_min_repeats,
            max_words_per_s=self.config.loop_max_words_per_s,
        )

    def repeats_suspiciously(self, transcript: Transcript) -> bool:
        """Some word or n-gram comes back ``loop_min_repeats`` times in a row, whatever the
        duration: worth a second decode ("The snowman, y'all, y'all, y'all, y'all, y'" fits
        the words-per-second bound of 2.3 s of speech, yet is a loop cut by the token limit)."""
        return longest_repeat(words_of(transcript.text))[1] >= self.config.loop_min_repeats

    def filter(self, transcript: Transcript, stats: SpeechStats) -> Transcript:
        """The transcript without untrusted segments; UtteranceRejected when nothing is left."""
        kept: list[Segment] = []
        problems: list[str] = []
        for segment in transcript.segments:
            problem = self.segment_problem(segment)
            if problem is None:
                kept.append(segment)
            elif segment.text.strip():
                problems.append(f"{segment.text.strip()!r}: {problem}")
        result = replace(transcript, segments=kept)
        if not result.text:
            detail = "; ".join(problems) if problems else "the model produced no text"
            raise UtteranceRejected(f"no trustworthy transcript ({detail})")
        loop = self.loop_in(result, stats)
        if loop is not None:
            raise UtteranceRejected(f"no trustworthy transcript ({loop.describe()})")
        if (
            _normalise(result.text) in _KNOWN_HALLUCINATIONS
            and stats.ratio < self.config.hallucination_speech_ratio
        ):
            raise UtteranceRejected(
                f"likely hallucination {result.text.strip()!r} with only {stats.ratio:.0%} speech"
            )
        return result
