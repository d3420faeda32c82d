"""Endpointing: cut a stream of 16 kHz audio frames into utterances with a voice-activity detector.

An utterance runs from the first voiced VAD window to the last one followed by ``silence_ms`` of
silence. Its audio keeps ``pre_roll_ms`` before the onset (so the first word is not clipped) and a
short tail after the end. Shorter than ``min_speech_ms`` → dropped (clicks, coughs); longer than
``max_utterance_s`` → cut and a new utterance starts if the speech goes on.

Speculation: after ``pause_ms`` of silence (shorter than ``silence_ms``) a ``SpeechPaused`` event
carries the audio cut exactly as the utterance would be cut if nothing more is said, so a decode
can start early; ``SpeechResumed`` follows if the speech goes on (that audio is then stale). If the
endpointer confirms, ``SpeechEnded.audio`` holds the very same samples. Semantic end-of-turn: the
verdict on that audio's transcript sets how long the silence must last (``turnend.TurnWait``).

Half-duplex gating: while the bear speaks (``set_bear_speaking(True)``) and for ``echo_tail_ms``
after, the detector ignores its input, so the bear never triggers on its own voice. Full duplex
(``duplex=True``, fed audio the echo canceller cleaned): it keeps listening, and an onset during
that time must pass ``bargein.OnsetGuard``, and a ``BargeIn`` event follows once it has lasted
``min_speech_ms`` (after a ``BargeInSuspected`` at its first stir; a suspicion that does not add up,
or an onset dropped as too short, ends ``BargeInDismissed``).

All times are on the source's monotonic clock (``AudioFrame.t`` = time of the frame's first sample).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from daemon.hearing.bargein import BargeIn, BargeInDismissed, BargeInSuspected, OnsetGuard
from daemon.hearing.speech_end import speech_energy_end, sub_power
from daemon.hearing.speech_events import (
    Event,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    UtteranceDropped,
)
from daemon.hearing.turnend import Turn, TurnWait
from daemon.hearing.vad import SAMPLE_RATE, Vad, load_vad

if TYPE_CHECKING:
    from daemon.hearing.frames import AudioFrame

Float32Array = npt.NDArray[np.float32]

# the events live in speech_events; importers keep using this module
__all__ = ["Event", "SpeechEnded", "SpeechPaused", "SpeechResumed", "SpeechStarted"]
__all__ += ["UtteranceDropped"]

BARGE_IN_PRE_ROLL_S = 0.15  # audio kept before a barge-in's first loud voiced window


class FrameSource(Protocol):
    def frames(self) -> AsyncIterator[AudioFrame]: ...


class Endpointer:
    """Turns frames into speech events; feed it with :meth:`process` (synchronous, cheap)."""

    def __init__(
        self,
        vad: Vad | None = None,
        *,
        silence_ms: int = 400,
        pre_roll_ms: int = 300,
        min_speech_ms: int = 250,
        max_utterance_s: float = 20.0,
        threshold: float = 0.5,
        neg_threshold: float | None = None,
        tail_ms: int = 150,
        echo_tail_ms: int = 300,
        pause_ms: int = 180,
        early_silence_ms: int = 220,
        unfinished_silence_ms: int = 700,
        duplex: bool = False,
        onset_guard: OnsetGuard | None = None,
    ) -> None:
        if silence_ms <= 0 or max_utterance_s <= 0:
            raise ValueError("silence_ms and max_utterance_s must be positive")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        self.vad = vad if vad is not None else load_vad()
        self.window = self.vad.window
        self.silence_samples = _samples(silence_ms / 1000)
        self.silence_s = silence_ms / 1000
        self._half_window = self.window / SAMPLE_RATE / 2
        self.pre_roll_samples = _samples(pre_roll_ms / 1000)
        self.min_speech_samples = _samples(min_speech_ms / 1000)
        self.max_samples = _samples(max_utterance_s)
        self.threshold = threshold
        # Hysteresis: once in speech, stay until the probability falls clearly below the onset.
        self.neg_threshold = (
            neg_threshold if neg_threshold is not None else max(0.0, threshold - 0.15)
        )
        self.tail_samples = min(_samples(tail_ms / 1000), self.silence_samples)
        self.echo_tail_samples = _samples(echo_tail_ms / 1000)
        # A pause is announced only once the tail the utterance keeps has been heard, and only
        # if it comes before the end itself (0 = no pause events).
        shortest = (self.tail_samples + self.window) / SAMPLE_RATE
        self.pause_s = max(pause_ms / 1000, shortest) if pause_ms > 0 else 0.0
        if self.pause_s >= self.silence_s:
            self.pause_s = 0.0
        self._paused = False  # a SpeechPaused was emitted for the current silence run
        early_s = max(early_silence_ms / 1000, self.pause_s) if early_silence_ms else 0.0
        self.turn = TurnWait(self.silence_s, early_s, unfinished_silence_ms / 1000)

        self._pending = np.zeros(0, dtype=np.float32)  # samples not yet scored (< one window)
        self._pending_t = 0.0  # clock time of _pending[0]
        self._history: deque[Float32Array] = deque()  # recent windows, for the pre-roll
        self._history_samples = 0
        self._utterance: list[Float32Array] = []
        self._utt_samples = 0
        self._in_speech = False
        self._started_at = 0.0
        self._audio_start = 0.0
        self._last_voiced_end = 0.0
        self._silence_run = 0  # samples of silence since the last voiced window
        self._speech_end = 0.0  # refined end of speech energy once silence began
        self._peak_power = 0.0  # loudest 4 ms of the current utterance
        self._bear_speaking = False
        self._gate_remaining = 0  # samples still ignored after the bear stopped
        self.duplex = duplex
        self.guard = onset_guard or OnsetGuard()
        self._barge_in_at: float | None = None  # a barge-in not yet confirmed: its first hit

    @classmethod
    def from_config(
        cls, vad: Mapping[str, Any], *, max_utterance_s: float, guard: OnsetGuard | None = None
    ) -> Endpointer:
        """Build from the ``[vad]`` section (``backend`` picks the detector; the other keys are
        this constructor's arguments) and ``audio.max_utterance_s``; with a barge-in ``guard``
        it runs full duplex."""
        settings = dict(vad)
        detector = load_vad(settings.pop("backend"))
        return cls(
            detector,
            max_utterance_s=max_utterance_s,
            duplex=guard is not None,
            onset_guard=guard,
            **settings,
        )

    # -- control ---------------------------------------------------------------------------
    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def bear_speaking(self) -> bool:
        return self._bear_speaking

    def set_bear_speaking(self, speaking: bool) -> list[Event]:
        """Gate the detector while the bear talks; returns a drop event if speech was cut off."""
        events: list[Event] = []
        if speaking and not self._bear_speaking and self.duplex:
            self.guard.reset()
            if self._in_speech:
                # the child's turn ends where the bear's begins: whatever follows must pass the
                # barge-in guard (so the bear's echo is not transcribed as the child's words)
                events.extend(self._finish(self._pending_t, cut=False))
        elif speaking and not self._bear_speaking and self._in_speech:
            events.append(
                UtteranceDropped(self._pending_t, "bear_speaking", self._speech_duration())
            )
            self._reset_utterance()
        if not speaking and self._bear_speaking:
            # full duplex mid-utterance (a barge-in): the child's voice needs no guarding
            in_barge_in = self.duplex and self._in_speech
            self._gate_remaining = 0 if in_barge_in else self.echo_tail_samples
            self._barge_in_at = None  # the bear is done: nothing left to stop (the speech goes on)
        self._bear_speaking = speaking
        return events

    def expect_turn(self, ended_at: float) -> None:
        """A verdict on the pause at ``ended_at`` (``SpeechPaused.ended_at``) is on its way."""
        if self._in_speech and self._paused and self._speech_end == ended_at:
            self.turn.expect()

    def hint_turn(self, ended_at: float, turn: Turn) -> list[Event]:
        """The verdict on that pause; returns the end if the silence is now long enough."""
        if not (self._in_speech and self._paused and self._speech_end == ended_at):
            return []  # speech resumed (or the turn ended) since: the hint is stale
        self.turn.decide(turn)
        if self._pending_t - self._speech_end + self._half_window >= self.turn.needed_s:
            self._last_voiced_end = self._speech_end
            return self._finish(self._pending_t, cut=False)
        return []

    def reset(self) -> None:
        """Forget everything (e.g. after a capture gap): no event is emitted."""
        self._reset_utterance()
        self._pending = np.zeros(0, dtype=np.float32)
        self._history.clear()
        self._history_samples = 0
        self.vad.reset()

    # -- processing ------------------------------------------------------------------------
    def process(self, frame: AudioFrame) -> list[Event]:
        """Score a frame (any length, 16 kHz mono); return the events it completes."""
        samples = np.asarray(frame.samples, dtype=np.float32).reshape(-1)
        if self._pending.size == 0:
            self._pending_t = frame.t
        elif abs(frame.t - (self._pending_t + self._pending.size / SAMPLE_RATE)) > 0.25:
            # A gap in the clock (capture restarted): start afresh on the new timeline.
            closed = self.flush()
            self.reset()
            self._pending_t = frame.t
            return closed + self.process(frame)
        self._pending = np.concatenate([self._pending, samples]) if self._pending.size else samples
        events: list[Event] = []
        offset = 0
        while self._pending.size - offset >= self.window:
            window = np.ascontiguousarray(self._pending[offset : offset + self.window])
            t = self._pending_t + offset / SAMPLE_RATE
            events.extend(self._score(window, t))
            offset += self.window
        if offset:
            self._pending = self._pending[offset:].copy()
            self._pending_t += offset / SAMPLE_RATE
        return events

    def flush(self) -> list[Event]:
        """End the stream: close an open utterance as if silence followed."""
        if not self._in_speech:
            return []
        return self._finish(self._pending_t, cut=False)

    def _score(self, window: Float32Array, t: float) -> list[Event]:
        end = t + self.window / SAMPLE_RATE
        guarded = self._bear_speaking or self._gate_remaining > 0
        if guarded and self.duplex and not self._in_speech:
            self._gate_remaining = max(0, self._gate_remaining - self.window)
            return self._guarded_onset(window, t)
        if guarded and not self.duplex:
            self._gate_remaining = max(0, self._gate_remaining - self.window)
            if not self._bear_speaking and self._gate_remaining == 0:
                # The bear's voice must linger neither in the model's state nor in the pre-roll.
                self.vad.reset()
                self._history.clear()
                self._history_samples = 0
            return []
        prob = self.vad(window)
        events: list[Event] = []
        if not self._in_speech:
            if prob >= self.threshold:
                self._begin(window, t)
                events.append(SpeechStarted(end))
            else:
                self._remember(window)
            return events
        self._utterance.append(window)
        self._utt_samples += window.size
        self._peak_power = max(self._peak_power, float(sub_power(window).max()))
        if prob >= self.neg_threshold:
            self._last_voiced_end = end
            self._silence_run = 0
            if self._paused:
                self._paused = False
                self.turn.clear()
                events.append(SpeechResumed(end))
            events.extend(self._confirm_barge_in(end))
        else:
            if self._silence_run == 0:
                self._speech_end = speech_energy_end(
                    self._utterance, end, self._peak_power, self._last_voiced_end
                )
            self._silence_run += window.size
        # The silence is timed from where the speech energy really stops (the VAD lags by a
        # window or two), to the nearest window: endpointing adds little beyond silence_ms.
        silent_s = end - self._speech_end + self._half_window
        if self._silence_run and silent_s >= self.turn.needed_s:
            self._last_voiced_end = self._speech_end
            events.extend(self._finish(end, cut=False))
        elif (
            self.pause_s
            and self._silence_run
            and not self._paused
            and silent_s >= self.pause_s
            and (self._speech_end - self._started_at) * SAMPLE_RATE >= self.min_speech_samples
        ):
            self._paused = True
            audio = self._audio_until(self._speech_end)
            events.append(SpeechPaused(end, audio, self._speech_end, self._started_at))
        elif self._utt_samples - self.pre_roll_samples >= self.max_samples:
            self._last_voiced_end = end
            events.extend(self._finish(end, cut=True))
            # Speech goes on: the next voiced window opens a new utterance straight away.
        return events

    def _guarded_onset(self, window: Float32Array, t: float) -> list[Event]:
        """Full duplex while the bear speaks: only an onset the guard accepts opens speech."""
        voiced, was = self.vad(window) >= self.threshold, self.guard.suspecting
        first = self.guard.feed(window, t, voiced)
        if first is None:
            self._remember(window)  # the pre-roll: holds the start of a barge-in to come
            return [*self.guard.suspicion(was, t + self.window / SAMPLE_RATE, self._bear_speaking)]
        self._begin(window, t)
        self._started_at = first
        # a short pre-roll: before the first loud window it is mostly the bear's residual echo
        while self._utterance and self._audio_start + self._utterance[0].size / SAMPLE_RATE <= (
            first - BARGE_IN_PRE_ROLL_S
        ):
            dropped = self._utterance.pop(0)
            self._utt_samples -= dropped.size
            self._audio_start += dropped.size / SAMPLE_RATE
        end = t + self.window / SAMPLE_RATE
        if not self._bear_speaking:  # the echo tail: the child simply spoke after the bear
            return [SpeechStarted(end)]
        # Only an onset as long as an utterance (min_speech_ms) stops the bear; it is paused
        # meanwhile. A burst of its own echo that passed the guard (the canceller knocked off by
        # a slip) is dropped as too short and dismissed: a gap in the story, not its end.
        self._barge_in_at = first
        suspected = [] if was else [BargeInSuspected(end)]  # hits=1: no stir paused it yet
        return [*suspected, SpeechStarted(end), *self._confirm_barge_in(end)]

    def _confirm_barge_in(self, t: float) -> list[Event]:
        first = self._barge_in_at
        if first is None or self._speech_duration() * SAMPLE_RATE < self.min_speech_samples:
            return []
        self._barge_in_at = None
        return [BargeIn(t, first)]

    def _remember(self, window: Float32Array) -> None:
        self._history.append(window)
        self._history_samples += window.size
        while (
            self._history and self._history_samples - self._history[0].size >= self.pre_roll_samples
        ):
            self._history_samples -= self._history.popleft().size

    def _begin(self, window: Float32Array, t: float) -> None:
        pre = list(self._history)
        pre_samples = sum(w.size for w in pre)
        self._utterance = [*pre, window]
        self._utt_samples = pre_samples + window.size
        self._history.clear()
        self._history_samples = 0
        self._in_speech = True
        self._started_at = t
        self._audio_start = t - pre_samples / SAMPLE_RATE
        self._last_voiced_end = t + window.size / SAMPLE_RATE
        self._silence_run = 0

    def _speech_duration(self) -> float:
        return max(0.0, self._last_voiced_end - self._started_at)

    def _audio_until(self, speech_end: float) -> Float32Array:
        """The utterance's audio as it is kept when speech ends at ``speech_end`` (+ the tail)."""
        audio = np.concatenate(self._utterance) if self._utterance else np.zeros(0, np.float32)
        keep_until = speech_end + self.tail_samples / SAMPLE_RATE
        keep = round((keep_until - self._audio_start) * SAMPLE_RATE)
        return audio[: max(0, keep)]

    def _finish(self, t: float, *, cut: bool) -> list[Event]:
        """The utterance's end (or drop), and the verdict on a barge-in still pending."""
        pending = self._barge_in_at
        early = not cut and self.turn.is_early(t - self._last_voiced_end + self._half_window)
        duration = self._speech_duration()
        audio = self._audio_until(self._last_voiced_end)
        started_at, ended_at = self._started_at, self._last_voiced_end
        audio_start = self._audio_start
        # The trailing silence becomes pre-roll for whatever comes next.
        for w in self._utterance[-max(1, self.pre_roll_samples // self.window) :]:
            self._remember(w)
        self._reset_utterance()
        if duration * SAMPLE_RATE < self.min_speech_samples:  # a pending barge-in is dismissed
            dismissed: list[Event] = [] if pending is None else [BargeInDismissed(t)]
            return [UtteranceDropped(t, "too_short", duration), *dismissed]
        confirmed: list[Event] = [] if pending is None else [BargeIn(t, pending)]
        return [*confirmed, SpeechEnded(t, audio, started_at, ended_at, cut, audio_start, early)]

    def _reset_utterance(self) -> None:
        self._utterance = []
        self._utt_samples = 0
        self._in_speech = False
        self._silence_run = 0
        self._peak_power = 0.0
        self._paused = False
        self.turn.clear()
        self._barge_in_at = None


def _samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


async def listen(source: FrameSource, endpointer: Endpointer) -> AsyncIterator[Event]:
    """Run frames from ``source`` through ``endpointer``; yield events as they happen."""
    async for frame in source.frames():
        for event in endpointer.process(frame):
            yield event
    for event in endpointer.flush():
        yield event
