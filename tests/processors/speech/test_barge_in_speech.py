"""The speaker's side of barge-in: ``interrupt()`` stops what plays, the result says how much of
the reply was heard, and a stopped stream fades out instead of clicking (and feeds the tap)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np

from processors.speech.tts.playback import FADE_S, PlaybackStream
from tests.processors.speech.doubles import ToneVoice
from tests.processors.speech.test_speaker import make, speech_task


async def test_interrupt_stops_the_playing_reply_and_reports_the_heard_fraction() -> None:
    started = asyncio.Event()
    speaker, out = make(
        ToneVoice(seconds_per_char=0.02), on_speaking=lambda on: started.set() if on else None
    )
    first, second = "A first sentence that plays for a while.", "The second is never said."
    await speaker.put("a", first)
    await speaker.put("a", second)
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.sleep(0.2)  # part of the 0.8 s first sentence is heard
    assert await speaker.interrupt() == "a"
    await speaker.put("a", "A third that arrives after the barge-in.")
    result = await speaker(speech_task("a"))
    assert result.interrupted is True
    total = len(first) + len(second) + len("A third that arrives after the barge-in.")
    heard = out.played[0].seconds / (len(first) * 0.02) * len(first)
    assert result.heard_fraction is not None
    assert abs(result.heard_fraction - heard / total) < 0.02
    assert 0.0 < result.heard_fraction < len(first) / total


async def test_interrupt_with_nothing_playing_does_nothing() -> None:
    speaker, _ = make()
    assert await speaker.interrupt() is None
    result = await speaker.speak("a", "Hello there.")
    assert result.interrupted is False and result.heard_fraction is None


class _Device:
    """A PortAudio stream double that records what is written and how it is closed."""

    latency = 0.0

    def __init__(self, stop_after: int, stop: threading.Event) -> None:
        self.blocks: list[np.ndarray[Any, Any]] = []
        self.stop_after, self.stop_event = stop_after, stop
        self.how: str | None = None

    def write(self, block: np.ndarray[Any, Any]) -> bool:
        self.blocks.append(block.copy())
        if len(self.blocks) == self.stop_after:
            self.stop_event.set()  # the barge-in arrives while this block plays
        return False

    def stop(self) -> None:
        self.how = "drained"

    def abort(self) -> None:
        self.how = "aborted"

    def close(self) -> None:
        pass


def test_a_stop_mid_clip_fades_out_and_drains_and_the_tap_sees_every_block() -> None:
    stop = threading.Event()
    device = _Device(stop_after=3, stop=stop)
    tapped: list[tuple[int, int, float]] = []
    stream = PlaybackStream(
        device, 16_000, 1, 20, tap=lambda b, rate, t: tapped.append((b.size, rate, t))
    )
    stream.started = True  # no leading-silence trim: a constant signal
    result = stream.play(np.full(16_000, 0.5, dtype=np.float32), 16_000, stop)
    assert result.interrupted
    fade = device.blocks[-1]
    assert len(device.blocks) == 4 and fade.size == round(FADE_S * 16_000)
    assert fade[0] > 0.49 and abs(fade[-1]) < 1e-6 and np.all(np.diff(fade) <= 0)
    assert device.how == "drained"  # the buffered audio and the ramp play out: no click
    assert [n for n, _, _ in tapped] == [b.size for b in device.blocks]
    assert result.played_s == (3 * 320 + fade.size) / 16_000
