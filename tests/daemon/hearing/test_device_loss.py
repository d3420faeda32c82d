"""Device loss and recovery: capture degrades with a reason and resumes by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from daemon.hearing import AudioFrame, MicrophoneSource

if TYPE_CHECKING:
    from tests.audio_rig import AudioRig

pytestmark = [pytest.mark.slow, pytest.mark.audio, pytest.mark.timeout(90)]


class Consumer:
    def __init__(self, source: MicrophoneSource) -> None:
        self.source = source
        self.frames: list[tuple[float, AudioFrame]] = []  # (arrival time, frame)
        self.arrived = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for frame in self.source.frames():
            self.frames.append((time.monotonic(), frame))
            self.arrived.set()

    async def next_frame_after(self, moment: float) -> float:
        """Arrival time of the first frame that arrives after ``moment``."""
        while True:
            late = [arrival for arrival, _ in self.frames if arrival > moment]
            if late:
                return late[0]
            self.arrived.clear()
            await self.arrived.wait()

    async def stop(self) -> None:
        self.source.close()
        await asyncio.wait_for(self.task, 10)


async def until(source: MicrophoneSource, condition: Callable[[], bool]) -> None:
    """Wait until the capture state satisfies ``condition``."""
    while not condition():
        source.state_changed.clear()
        await source.state_changed.wait()


async def test_server_killed_degrades_then_capture_resumes_within_two_seconds(
    audio_rig: AudioRig,
) -> None:
    source = MicrophoneSource(None, stall_timeout_s=1.0)
    consumer = Consumer(source)
    try:
        await asyncio.wait_for(consumer.next_frame_after(0.0), 10)
        assert source.state.present and source.state.reason is None

        audio_rig.kill_server()
        await asyncio.wait_for(until(source, lambda: not source.state.present), 5)
        assert source.state.reason

        audio_rig.start_server()
        back = time.monotonic()
        arrival = await asyncio.wait_for(consumer.next_frame_after(back), 10)
        # ~2 s measured: ≤ 1 s retry backoff + a fresh PulseAudio server's ~1 s first block;
        # the bound leaves room for a loaded CI machine.
        assert arrival - back <= 3.5, f"capture resumed {arrival - back:.2f} s after the server"
        assert source.state.present and source.state.reason is None
        assert source.state.restarts >= 1
    finally:
        await consumer.stop()
        audio_rig.start_server()


async def test_no_device_at_start_is_degraded_not_fatal(audio_rig: AudioRig) -> None:
    source = MicrophoneSource("no-such-microphone-xyz", retry_max_s=0.2)
    consumer = Consumer(source)
    try:
        await asyncio.wait_for(until(source, lambda: source.state.reason != "not started"), 10)
        assert not source.state.present
        assert "no-such-microphone-xyz" in (source.state.reason or "")
        assert not consumer.task.done()
    finally:
        await consumer.stop()


async def test_missing_portaudio_is_degraded_with_the_package_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from daemon.hearing import devices

    def missing() -> object:
        raise devices.AudioUnavailable(devices.PORTAUDIO_HINT)

    monkeypatch.setattr(devices, "load_sounddevice", missing)
    source = MicrophoneSource(None, retry_max_s=0.2)
    consumer = Consumer(source)
    try:
        await asyncio.wait_for(until(source, lambda: source.state.reason != "not started"), 10)
        assert not source.state.present
        assert "libportaudio2" in (source.state.reason or "")
    finally:
        await consumer.stop()
