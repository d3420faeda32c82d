"""The events the endpointer emits (``endpointing.Endpointer``); all times on the source's clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from daemon.hearing.bargein import BargeIn, BargeInDismissed, BargeInSuspected

Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SpeechStarted:
    t: float  # when the onset was detected


@dataclass(frozen=True, eq=False)
class SpeechEnded:
    t: float  # when the end was decided (``silence_ms`` after ``ended_at``, or the cut)
    audio: Float32Array = field(repr=False)  # 16 kHz mono float32, pre-roll + speech + tail
    started_at: float  # detected speech onset (the audio starts ``pre_roll`` earlier)
    ended_at: float  # end of the last voiced window
    cut: bool = False  # True when ``max_utterance_s`` forced the end
    audio_started_at: float = 0.0  # clock time of ``audio[0]`` (``started_at`` - pre-roll)
    early: bool = False  # closed after ``early_silence_ms``: its transcript was complete

    @property
    def duration_s(self) -> float:
        return self.ended_at - self.started_at


@dataclass(frozen=True, eq=False)
class SpeechPaused:
    t: float  # when the pause was noticed (``pause_ms`` after the end of speech energy)
    audio: Float32Array = field(repr=False)  # what SpeechEnded.audio will be if speech stops here
    ended_at: float  # the end of speech energy the pause is timed from
    started_at: float = 0.0  # the utterance's detected onset


@dataclass(frozen=True)
class SpeechResumed:
    t: float  # speech came back after a SpeechPaused: its audio is stale


@dataclass(frozen=True)
class UtteranceDropped:
    t: float
    reason: str  # "too_short" | "bear_speaking"
    duration_s: float


BargeInEvent = BargeInSuspected | BargeIn | BargeInDismissed
Event = SpeechStarted | BargeInEvent | SpeechPaused | SpeechResumed | SpeechEnded | UtteranceDropped
