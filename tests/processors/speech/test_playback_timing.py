"""The playback tap is timed by when each block will sound: after what is queued ahead of it."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from processors.speech.tts.playback import PlaybackStream

RATE = 16_000
BUFFER = 1280  # the device's buffer, 80 ms


class _QueuedDevice:
    """A blocking stream double with a buffer: ``write_available`` falls by what was written
    and the device plays ``drain_per_write`` frames while each write blocks."""

    latency = 0.06

    def __init__(self, drain_per_write: int) -> None:
        self.queued = 0
        self.drain = drain_per_write

    @property
    def write_available(self) -> int:
        return BUFFER - self.queued

    def write(self, block: np.ndarray[Any, Any]) -> bool:
        self.queued = min(BUFFER, self.queued + block.size)
        if self.queued == BUFFER:  # full: the write returns once the device took a block
            self.queued -= self.drain
        return False

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_each_block_is_timed_by_when_it_will_sound() -> None:
    device = _QueuedDevice(drain_per_write=320)
    taps: list[float] = []
    stream = PlaybackStream(device, RATE, 1, 20, tap=lambda b, rate, t: taps.append(t))
    stream.started = True
    before = time.monotonic()
    stream.play(np.full(RATE // 4, 0.5, dtype=np.float32), RATE, threading.Event())
    after = time.monotonic()
    # the first block plays at once (empty buffer); later ones wait behind what is queued
    assert before <= taps[0] <= after
    queued_s = [t - taps[0] for t in taps[:5]]
    assert np.allclose(queued_s, [0.0, 0.02, 0.04, 0.06, 0.06], atol=(after - before) + 1e-3)
    assert stream.capacity == BUFFER


def test_a_stream_that_cannot_say_its_queue_is_timed_by_the_write() -> None:
    class Plain:
        def write(self, block: np.ndarray[Any, Any]) -> bool:
            return False

        def stop(self) -> None:
            pass

        def close(self) -> None:
            pass

    taps: list[float] = []
    stream = PlaybackStream(Plain(), RATE, 1, 20, tap=lambda b, rate, t: taps.append(t))
    stream.started = True
    before = time.monotonic()
    stream.play(np.full(640, 0.5, dtype=np.float32), RATE, threading.Event())
    assert len(taps) == 2 and all(before <= t <= time.monotonic() for t in taps)
