"""Microphone (or replay) → [echo canceller] → endpointer → pipeline.

Half duplex (no canceller): the endpointer ignores the microphone while the bear speaks. Full
duplex (``audio.barge_in``): every frame goes through the echo canceller first, the endpointer keeps
listening, and its barge-in events go to ``on_barge_in``: the daemon pauses the bear at a
suspected one, resumes it at a dismissed one, and stops it at a confirmed one.

Semantic end-of-turn: when the speculative decode started at a pause finishes, its text is judged
(``turnend.judge``) and the verdict goes to the endpointer, which may close the turn early.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol

from daemon.hearing import AudioSource
from daemon.hearing.bargein import BargeIn, BargeInDismissed, BargeInSuspected
from daemon.hearing.echo import EchoCanceller
from daemon.hearing.endpointing import (
    Endpointer,
    Event,
    Float32Array,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    UtteranceDropped,
    listen,
)
from daemon.hearing.frames import AudioFrame
from daemon.hearing.speech_events import BargeInEvent
from daemon.hearing.turnend import Turn, judge
from daemon.hearing.vad import SAMPLE_RATE

if TYPE_CHECKING:
    from daemon.hearing.gate import ListeningGate

log = logging.getLogger(__name__)

UtteranceHandler = Callable[[SpeechEnded], None]

#: the child's first sound can come this long before a barge-in's first loud voiced window (the
#: "St" of "Stop" is ~0.1-0.15 s of quiet hiss), and the echo canceller may have learnt from it
BARGE_IN_LEAD_S = 0.3


class Speculator(Protocol):
    """Decodes early at a pause (``processors.stt.stage.Transcriber`` is one)."""

    def speculate(self, audio: Float32Array) -> bool: ...

    def abandon_speculation(self) -> None: ...


class _Text(Protocol):
    """A transcription: all semantic end-of-turn reads of it. A speculator may also offer
    ``speculation_of(audio) -> Future[_Text] | None`` (``Transcriber`` does)."""

    @property
    def text(self) -> str: ...


class _EchoCancelled:
    """The source's frames with the bear's own voice taken out (what the endpointer hears)."""

    def __init__(self, source: AudioSource, echo: EchoCanceller) -> None:
        self.source, self.echo = source, echo

    async def frames(self) -> AsyncIterator[AudioFrame]:
        async for frame in self.source.frames():
            yield self.echo.process(frame)


class Listener:
    """Runs the capture loop in the background; each finished utterance goes to ``on_utterance``.

    With a ``speculator`` (settable after construction: the daemon builds the stages later), a
    short pause starts a speculative decode of the audio so far and resumed speech abandons it.
    """

    def __init__(
        self,
        source: AudioSource,
        endpointer: Endpointer,
        on_utterance: UtteranceHandler,
        speculator: Speculator | None = None,
        echo: EchoCanceller | None = None,
        on_barge_in: Callable[[BargeInEvent], None] | None = None,
    ) -> None:
        self.source = source
        self.endpointer = endpointer
        self._on_utterance = on_utterance
        self.speculator = speculator
        self.pauses = 0
        self._task: asyncio.Task[None] | None = None
        self.utterances = 0
        self.dropped: dict[str, int] = {}
        self.echo = echo
        self.on_barge_in = on_barge_in
        self.barge_ins = 0
        self.suspected = 0  # the bear paused at a first stir ...
        self.dismissed = 0  # ... and went on: a gap in the story, not a barge-in
        self.gate: ListeningGate | None = None  # parental controls (daemon/hearing/gate.py)
        self.turns: dict[str, int] = {}  # verdicts on pause transcripts (turnend.Turn values)
        self.early_ends = 0  # turns closed early because their transcript was complete
        self.early_split = 0  # ... after which speech came back within silence_ms
        self._early_end_at: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.create_task(self._run(), name="teddy-listener")

    def bear_speaking(self, speaking: bool) -> None:
        """Half-duplex gate, called by the speaker when playback starts and stops."""
        for event in self.endpointer.set_bear_speaking(speaking):
            self._handle(event)

    async def _run(self) -> None:
        try:
            source = self.source if self.echo is None else _EchoCancelled(self.source, self.echo)
            gate = self.gate
            if gate is None:
                events = listen(source, self.endpointer)
            else:
                from daemon.hearing.gate import gated_events

                events = gated_events(source, self.endpointer, gate)
            async for event in events:
                self._deliver(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The source itself retries device problems; anything escaping it is a bug worth a
            # loud log, but the daemon keeps serving health and typed chats.
            log.exception("listener stopped unexpectedly")

    def _deliver(self, event: Event) -> None:
        """An endpointer event, past the parental gate (which may hold it back), to ``_handle``."""
        if self.gate is None or self.gate.screen(event):
            self._handle(event)

    def _handle(self, event: Event) -> None:
        if isinstance(event, SpeechStarted):
            log.debug("speech started at %.3f", event.t)
            self._count_split(event)
        elif isinstance(event, BargeIn | BargeInSuspected | BargeInDismissed):
            self._barge_in(event)
        elif isinstance(event, SpeechPaused):
            self.pauses += 1
            if self.speculator is not None:
                try:
                    self.speculator.speculate(event.audio)
                    self._judge_when_decoded(event)
                except Exception:
                    log.exception("speculative transcription failed to start")
        elif isinstance(event, SpeechResumed):
            if self.speculator is not None:
                self.speculator.abandon_speculation()
        elif isinstance(event, SpeechEnded):
            self.utterances += 1
            log.info("utterance of %.2f s%s", event.duration_s, " (early end)" * event.early)
            if event.early:
                self.early_ends += 1
                self._early_end_at = event.ended_at
            try:
                self._on_utterance(event)
            except Exception:
                log.exception("utterance handler failed")
        elif isinstance(event, UtteranceDropped):
            self.dropped[event.reason] = self.dropped.get(event.reason, 0) + 1
            log.info("utterance dropped (%s, %.2f s)", event.reason, event.duration_s)

    def _barge_in(self, event: BargeInEvent) -> None:
        stats = self.echo.stats.snapshot() if self.echo is not None else {}
        if isinstance(event, BargeIn):
            self.barge_ins += 1
            log.info("barge-in: the child spoke over the bear (echo canceller: %s)", stats)
            if self.echo is not None:  # the filter must not keep what it learnt from the child
                self.echo.forget_since(event.started_at - BARGE_IN_LEAD_S)
        elif isinstance(event, BargeInSuspected):
            self.suspected += 1
        else:
            self.dismissed += 1
            # the canceller's state says whether it was the bear's own echo (a slip, low ERLE)
            log.info("barge-in dismissed: the bear goes on (echo canceller: %s)", stats)
        if self.on_barge_in is not None:
            try:
                self.on_barge_in(event)
            except Exception:
                log.exception("barge-in handler failed")

    # -- semantic end-of-turn ------------------------------------------------------------------
    def _judge_when_decoded(self, paused: SpeechPaused) -> None:
        of = getattr(self.speculator, "speculation_of", None)
        future: Future[_Text] | None = of(paused.audio) if of is not None else None
        loop = self._loop
        if future is None or loop is None:
            return
        self.endpointer.expect_turn(paused.ended_at)

        def decoded(done: Future[_Text]) -> None:  # on the decoding thread
            ok = not done.cancelled() and done.exception() is None
            with contextlib.suppress(RuntimeError):  # the loop closed: the daemon is stopping
                loop.call_soon_threadsafe(self._judge, paused, done.result().text if ok else None)

        future.add_done_callback(decoded)

    def _judge(self, paused: SpeechPaused, text: str | None) -> None:
        """The verdict (a failed decode: unsure, so the turn is not held any longer)."""
        duration = paused.ended_at - paused.started_at
        turn = Turn.UNSURE if text is None else judge(text, duration)
        self.turns[turn.value] = self.turns.get(turn.value, 0) + 1
        log.debug("turn %s: %r", turn.value, text)
        for event in self.endpointer.hint_turn(paused.ended_at, turn):
            self._deliver(event)

    def _count_split(self, started: SpeechStarted) -> None:
        """Speech that came back so soon after an early end that the full silence would have
        kept it in the same utterance: the child was cut off (it becomes a new utterance)."""
        if self._early_end_at is None:
            return
        onset = started.t - self.endpointer.window / SAMPLE_RATE
        if onset - self._early_end_at < self.endpointer.silence_s:
            self.early_split += 1
            log.info("speech resumed %.2f s after an early end", onset - self._early_end_at)
        self._early_end_at = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.source.close()
