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


class _HoldingDevice(_Device):
    """Sets ``hold`` when block ``hold_at`` is written and clears it ``held_for`` blocks later."""

    def __init__(self, hold: threading.Event, hold_at: int, held_for: int) -> None:
        super().__init__(stop_after=0, stop=threading.Event())
        self.hold, self.hold_at, self.held_for = hold, hold_at, held_for

    def write(self, block: np.ndarray[Any, Any]) -> bool:
        super().write(block)
        if len(self.blocks) == self.hold_at:
            self.hold.set()  # a first hit arrives while this block plays
        if len(self.blocks) == self.hold_at + self.held_for:
            self.hold.clear()  # ... and does not add up
        return False


def test_a_hold_fades_out_waits_in_silence_and_goes_on_from_where_it_faded() -> None:
    hold = threading.Event()
    device = _HoldingDevice(hold, hold_at=3, held_for=6)
    stream = PlaybackStream(device, 16_000, 1, 20)
    stream.kept_open, stream.started = True, True
    clip = np.arange(1, 10 * 320 + 1, dtype=np.float32) / 10_000  # every sample tells its place
    result = stream.play(clip, 16_000, threading.Event(), [], hold)
    blocks = device.blocks
    fade, silence, back = blocks[3], blocks[4:9], blocks[9]
    assert np.all(np.diff(fade) < 0) and abs(fade[-1]) < 1e-6  # faded out, no click
    assert all(not np.any(b) for b in silence)  # the line stays fed while it waits
    assert back[0] == 0.0 and np.all(np.diff(back) > 0)  # faded in ...
    np.testing.assert_allclose(back[-1], clip[4 * 320 - 1])  # ... from where it faded out
    spoken = np.concatenate([*blocks[:3], *blocks[10:]])
    np.testing.assert_array_equal(spoken, np.concatenate([clip[:960], clip[4 * 320 :]]))
    assert not result.interrupted and result.played_s == clip.size / 16_000  # said once
    assert device.how is None  # never closed: the line's stream


def test_a_stop_during_a_hold_ends_the_clip_without_another_sound() -> None:
    hold, stop = threading.Event(), threading.Event()
    device = _HoldingDevice(hold, hold_at=2, held_for=100)
    stream = PlaybackStream(device, 16_000, 1, 20)
    stream.kept_open, stream.started = True, True
    original = device.write

    def write(block: np.ndarray[Any, Any]) -> bool:
        if len(device.blocks) == 6:
            stop.set()  # the barge-in is confirmed while the bear is paused
        return original(block)

    device.write = write  # type: ignore[method-assign]
    result = stream.play(np.full(16_000, 0.5, np.float32), 16_000, stop, [], hold)
    assert result.interrupted and len(device.blocks) == 7
    assert all(not np.any(b) for b in device.blocks[3:])  # nothing after the pause's fade


async def _playing(text: str) -> tuple[Any, Any]:
    """A speaker (0.02 s of tone per character) that has begun to say ``text``, and its output."""
    started = asyncio.Event()
    speaker, out = make(
        ToneVoice(seconds_per_char=0.02), on_speaking=lambda on: started.set() if on else None
    )
    await speaker.put("a", text)
    await asyncio.wait_for(started.wait(), 5)
    return speaker, out


async def test_the_speaker_pauses_on_hold_and_goes_on_at_release_or_by_itself() -> None:
    assert make()[0].hold() is False  # nothing playing: nothing to pause
    speaker, out = await _playing("A sentence that plays for a good while.")  # 0.78 s
    await asyncio.sleep(0.1)
    assert speaker.hold() is True
    await asyncio.sleep(0.3)
    speaker.release()
    await asyncio.sleep(0.1)
    assert speaker.hold(max_s=0.2) is True  # no verdict comes: it goes on by itself
    result = await speaker(speech_task("a"))
    assert result.interrupted is False and result.heard_fraction is None  # all of it was said
    held = out.played[0].held
    assert 0.45 <= held <= 0.65, held  # 0.3 s + 0.2 s paused; the clip itself was not cut
    assert abs(out.played[0].seconds - 0.78) < 0.02


async def test_a_barge_in_confirmed_during_a_hold_stops_the_reply() -> None:
    speaker, out = await _playing("A sentence that plays for a good while.")
    await asyncio.sleep(0.1)
    speaker.hold()
    await asyncio.sleep(0.1)
    assert await speaker.interrupt() == "a"
    result = await speaker(speech_task("a"))
    assert result.interrupted and out.played[0].seconds < 0.2  # nothing more after the pause
