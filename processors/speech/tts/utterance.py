"""The state of one interaction's speech: sentences in, synthesized clips, playback timings."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from processors.results import Spoken
from processors.speech.tts.base import Float32Array


@dataclass(frozen=True)
class Clip:
    sentence: str
    audio: Float32Array
    sample_rate: int
    backend: str


@dataclass
class Utterance:
    """Everything the Speaker knows about one interaction's speech."""

    interaction_id: str
    streamed: bool  # sentences came through the SentenceSink while the reply streamed
    created_at: float = field(default_factory=time.monotonic)
    sentences: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    # one clip ready while the previous one plays: sentence k+1 is synthesized during k
    clips: asyncio.Queue[Clip | BaseException | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=1)
    )
    stop: threading.Event = field(default_factory=threading.Event)
    stop_requested_at: list[float] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)  # paused: a barge-in maybe
    holds: int = 0  # times it paused (each one's expiry is tied to its number)
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    sentences_in: int = 0
    text_chars: int = 0  # the reply's text, including sentences dropped after a stop
    heard_chars: float = 0.0  # of it, what was played (partly, for the sentence cut off)
    closed: bool = False
    playing: bool = False  # holds the speaking turn
    spoken: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    first_audio_at: float | None = None
    audio_s: float = 0.0
    synth_s: float = 0.0
    stop_latency_s: float | None = None
    errors: list[str] = field(default_factory=list)
    fatal: BaseException | None = None  # e.g. no output device: the speech task fails
    reply_error: str | None = None  # the reply stream ended with an error
    worker: asyncio.Task[None] | None = None

    @property
    def interrupted(self) -> bool:
        return self.stop.is_set()

    def request_stop(self) -> None:
        if not self.stop.is_set():
            self.stop_requested_at.append(time.monotonic())
            self.stop.set()

    def pause(self, max_s: float) -> None:
        """Fade out where the voice is and wait there: for ``resume``, a stop, or ``max_s``
        (a verdict that never comes must not silence the bear for good)."""
        self.holds += 1
        self.hold.set()
        number = self.holds
        asyncio.get_running_loop().call_later(max_s, self._expire, number)

    def resume(self) -> None:
        self.hold.clear()

    def _expire(self, number: int) -> None:
        if number == self.holds:  # not a later pause's
            self.hold.clear()

    def since_stop(self) -> float | None:
        return time.monotonic() - self.stop_requested_at[0] if self.stop_requested_at else None

    def wake(self) -> None:
        """Unblock a player waiting for a clip (after a stop): drop pending clips, post the end."""
        while not self.clips.empty():
            self.clips.get_nowait()
        self.clips.put_nowait(None)

    def settle(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def heard_fraction(self) -> float | None:
        if not self.interrupted:
            return None
        if self.text_chars <= 0:
            return 0.0
        return round(min(1.0, self.heard_chars / self.text_chars), 3)

    def result(self) -> Spoken:
        """The speech stage's result."""
        first = self.first_audio_at
        return Spoken(
            spoken=" ".join(self.spoken),
            audio_s=round(self.audio_s, 3),
            first_audio_s=round(first - self.created_at, 4) if first is not None else None,
            first_audio_at=first,
            backend=self.backends[0] if self.backends else None,
            backends=sorted(set(self.backends)),
            interrupted=self.interrupted,
            heard_fraction=self.heard_fraction(),
            stop_latency_s=self.stop_latency_s,
            sentences=len(self.spoken),
            synth_s=round(self.synth_s, 4),
            streamed=self.streamed,
            errors=[*self.errors, *([str(self.fatal)] if self.fatal is not None else [])],
        )
