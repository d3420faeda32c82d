"""Microphone (or replay) → [echo canceller] → endpointer → pipeline.

Half duplex (no canceller): the endpointer ignores the microphone while the bear speaks. Full
duplex (``audio.barge_in``): every frame goes through the echo canceller first, the endpointer keeps
listening, and a confirmed barge-in calls ``on_barge_in`` (the daemon stops the bear).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Protocol

from daemon.hearing import AudioSource
from daemon.hearing.bargein import BargeIn
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

if TYPE_CHECKING:
    from daemon.hearing.gate import ListeningGate

log = logging.getLogger(__name__)

UtteranceHandler = Callable[[SpeechEnded], None]


class Speculator(Protocol):
    """Decodes early at a pause (``processors.stt.stage.Transcriber`` is one)."""

    def speculate(self, audio: Float32Array) -> bool: ...

    def abandon_speculation(self) -> None: ...


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
        on_barge_in: Callable[[BargeIn], None] | None = None,
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
        self.gate: ListeningGate | None = None  # parental controls (daemon/hearing/gate.py)

    def start(self) -> None:
        if self._task is None:
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
                if gate is None or gate.screen(event):
                    self._handle(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The source itself retries device problems; anything escaping it is a bug worth a
            # loud log, but the daemon keeps serving health and typed chats.
            log.exception("listener stopped unexpectedly")

    def _handle(self, event: Event) -> None:
        if isinstance(event, SpeechStarted):
            log.debug("speech started at %.3f", event.t)
        elif isinstance(event, BargeIn):
            self.barge_ins += 1
            stats = self.echo.stats.snapshot() if self.echo is not None else {}
            log.info("barge-in: the child spoke over the bear (echo canceller: %s)", stats)
            if self.on_barge_in is not None:
                try:
                    self.on_barge_in(event)
                except Exception:
                    log.exception("barge-in handler failed")
        elif isinstance(event, SpeechPaused):
            self.pauses += 1
            if self.speculator is not None:
                try:
                    self.speculator.speculate(event.audio)
                except Exception:
                    log.exception("speculative transcription failed to start")
        elif isinstance(event, SpeechResumed):
            if self.speculator is not None:
                self.speculator.abandon_speculation()
        elif isinstance(event, SpeechEnded):
            self.utterances += 1
            log.info("utterance of %.2f s", event.duration_s)
            try:
                self._on_utterance(event)
            except Exception:
                log.exception("utterance handler failed")
        elif isinstance(event, UtteranceDropped):
            self.dropped[event.reason] = self.dropped.get(event.reason, 0) + 1
            log.info("utterance dropped (%s, %.2f s)", event.reason, event.duration_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.source.close()
