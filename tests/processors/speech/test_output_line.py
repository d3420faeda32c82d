"""The output line: one device stream for every reply, silence in between, one echo timeline."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from daemon.hearing.echo import PlaybackReference
from processors.audio import portaudio_guard
from processors.speech.tts.line import OutputLine
from processors.speech.tts.playback import PlaybackStream, PlaybackTap

RATE = 16_000
BLOCK = 320  # 20 ms


class _RealTimeDevice:
    """A blocking output stream double that plays in real time: a write waits while its buffer
    (``capacity`` frames) is full, as PortAudio's does."""

    latency = 0.04

    def __init__(self, capacity: int = 4 * BLOCK, fail_after: int | None = None) -> None:
        self.capacity = capacity
        self.queued = 0
        self.clock = time.monotonic()
        self.blocks: list[np.ndarray[Any, Any]] = []
        self.closed = False
        self.fail_after = fail_after
        self._lock = threading.Lock()

    def _play(self) -> None:
        now = time.monotonic()
        self.queued = max(0, self.queued - int((now - self.clock) * RATE))
        self.clock = now

    @property
    def write_available(self) -> int:
        with self._lock:
            self._play()
            return self.capacity - self.queued

    def write(self, block: np.ndarray[Any, Any]) -> bool:
        if self.closed or (self.fail_after is not None and len(self.blocks) >= self.fail_after):
            raise OSError("device unplugged")
        while self.write_available < block.size:
            time.sleep(0.002)
        with self._lock:
            self.queued += block.size
            self.blocks.append(np.array(block, dtype=np.float32))
        return False

    def stop(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True


class _Devices:
    """Opens ``_RealTimeDevice`` streams; counts them."""

    def __init__(self, tap: PlaybackTap | None = None, fail_after: int | None = None) -> None:
        self.tap = tap
        self.fail_after = fail_after
        self.opened: list[_RealTimeDevice] = []

    def open(self, sample_rate: int) -> PlaybackStream:
        device = _RealTimeDevice(fail_after=self.fail_after)
        self.fail_after = None  # only the first device breaks
        self.opened.append(device)
        portaudio_guard.stream_opening()
        return PlaybackStream(device, sample_rate, 1, 20, self.tap)

    def describe(self) -> str:
        return "test device"


def _tone(seconds: float) -> np.ndarray[Any, Any]:
    t = np.arange(round(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _reply(line: OutputLine, seconds: float, stop: threading.Event | None = None) -> Any:
    turn = line.open(RATE)
    result = turn.play(_tone(seconds), RATE, stop or threading.Event(), [])
    turn.finish(threading.Event())
    turn.close()
    return result


def test_two_replies_share_one_stream_and_one_echo_timeline() -> None:
    reference = PlaybackReference()
    devices = _Devices(tap=reference.played)
    line = OutputLine(devices)
    try:
        _reply(line, 0.3)
        time.sleep(0.3)  # between replies the feeder keeps the device playing silence
        _reply(line, 0.3)
    finally:
        line.close()
    assert len(devices.opened) == 1 and line.opened == 1
    assert reference.runs == 1  # one timeline: the echo's delay cannot move between replies
    loud = [bool(np.any(b)) for b in devices.opened[0].blocks]
    # (the first clip may take the writer before the feeder's first block of silence)
    starts = [i for i in range(len(loud)) if loud[i] and not (i and loud[i - 1])]
    assert len(starts) == 2  # two clips, each played without silence slipped inside it
    assert sum(loud) == 2 * round(0.3 * RATE / BLOCK)
    assert not any(loud[-3:])  # and silence after the last one until the line closed


def test_a_stop_fades_out_and_the_line_stays_open() -> None:
    devices = _Devices()
    line = OutputLine(devices)
    stop = threading.Event()
    try:
        threading.Timer(0.1, stop.set).start()
        result = _reply(line, 2.0, stop)
        assert result.interrupted and result.played_s < 0.5
        assert not devices.opened[0].closed
        assert not _reply(line, 0.1).interrupted  # the next reply plays on the same stream
    finally:
        line.close()
    assert len(devices.opened) == 1 and devices.opened[0].closed


def test_a_device_that_goes_away_is_reopened_at_the_next_reply() -> None:
    devices = _Devices(fail_after=10)
    line = OutputLine(devices)
    try:
        line.open(RATE)  # the first device breaks after 10 blocks of the feeder's silence
        deadline = time.monotonic() + 2.0
        while not devices.opened[0].closed:
            assert time.monotonic() < deadline, "the feeder did not notice the broken device"
            time.sleep(0.01)
        assert not _reply(line, 0.1).interrupted
    finally:
        line.close()
    assert len(devices.opened) == 2


def test_an_idle_line_steps_aside_for_a_portaudio_restart() -> None:
    devices = _Devices()
    line = OutputLine(devices)
    try:
        turn = line.open(RATE)
        turn.play(_tone(0.1), RATE, threading.Event(), [])
        ran: list[bool] = []
        assert portaudio_guard.when_idle(lambda: ran.append(True), timeout_s=1.0)
        assert ran == [True] and devices.opened[0].closed
        # the reply's next clip (it was between clips) plays on a stream opened for it
        assert not turn.play(_tone(0.1), RATE, threading.Event(), []).interrupted
        turn.finish(threading.Event())
        assert len(devices.opened) == 2 and not devices.opened[1].closed
    finally:
        line.close()
    assert portaudio_guard.open_streams() == 0
