"""Microphone capture: a sounddevice InputStream feeding 32 ms AudioFrames to asyncio.

The PortAudio callback only copies into a bounded ring buffer and wakes the loop with
``call_soon_threadsafe``. The loop side drains the ring, stamps frames on a monotonic stream clock,
and watches the stream: an error, a stopped stream or a silent callback (device gone) closes it,
marks capture degraded with the reason, and retries with a capped backoff (PortAudio is
re-initialised before each retry so a device that comes back is found), so capture resumes by
itself within ~2 s of the device returning. Nothing here ever raises out of ``frames()`` except
cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from daemon.hearing import devices
from daemon.hearing.frames import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.resampling import StreamResampler
from daemon.hearing.ringbuffer import RingBuffer
from daemon.hearing.state import CaptureState

log = logging.getLogger(__name__)

FIRST_CALLBACK_GRACE_S = 2.5
CLOCK_SLACK_S = 0.2
QUEUE_AGE_WARN_S = 1.0  # re-anchor the stream clock when callbacks drift this far from it


class MicrophoneSource:
    """Frames from a PortAudio input device; ``state`` tells health what is going on."""

    def __init__(
        self,
        device: int | str | None = None,
        *,
        block: int = BLOCK,
        buffer_s: float = 5.0,
        retry_min_s: float = 0.25,
        retry_max_s: float = 1.0,
        stall_timeout_s: float = 1.0,
        latency: str | float = "high",
    ) -> None:
        self.device = device
        # 512 samples = 32 ms = one Silero window: each block is scored the moment it arrives.
        self.block = max(160, block)
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.stall_timeout_s = stall_timeout_s
        self.latency = latency
        self.state = CaptureState()
        self._ring = RingBuffer(int(buffer_s * SAMPLE_RATE))
        self._stream: Any = None
        self._resampler: StreamResampler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup = asyncio.Event()
        self.state_changed = asyncio.Event()  # set on every health change; clear it to wait again
        self._wake_pending = threading.Event()
        self._closed = False
        self._pa_overflows = 0
        # ring indices where the device dropped samples (its input overflowed): the frame
        # there is marked ``lost``, so the echo canceller re-measures the echo's delay
        self._lost_at: deque[int] = deque(maxlen=64)
        self._cb_time = 0.0  # monotonic time of the latest callback
        self._cb_written = 0  # ring samples written at that callback
        self._anchor: tuple[float, int] | None = None  # (time, stream index) of the clock
        self._opened_at = 0.0
        self._ever_opened = False
        self._need_reinit = False
        self._watchdog_stop = False
        self._check_due = False
        self._lagging = False

    # -- public ----------------------------------------------------------------------------
    async def frames(self) -> AsyncIterator[AudioFrame]:
        """Yield 32 ms frames forever (until :meth:`close`); survives device loss."""
        self._loop = asyncio.get_running_loop()
        backoff = self.retry_min_s
        # The watchdog wakes the loop even when no callback comes (a silently lost device);
        # one timer, not a timeout per block, keeps listening to silence cheap.
        self._watchdog_stop = False
        watchdog = self._loop.call_later(self.stall_timeout_s / 2, self._tick)
        try:
            while not self._closed:
                if self._stream is None:
                    try:
                        await self._loop.run_in_executor(devices.executor(), self._open)
                        backoff = self.retry_min_s
                    except Exception as exc:
                        self._degrade(_reason(exc))
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, self.retry_max_s)
                        continue
                await self._wakeup.wait()  # a callback, the watchdog tick or close()
                self._wakeup.clear()
                for frame in self._drain():
                    yield frame
                if not self._check_due:
                    continue
                self._check_due = False  # the stream's health is checked on watchdog ticks only
                problem = self._stream_problem()
                if problem is not None:
                    await self._close_stream()
                    self._need_reinit = True
                    self._degrade(problem)
        finally:
            self._watchdog_stop = True
            watchdog.cancel()
            await self._close_stream()

    def close(self) -> None:
        """Stop: ``frames()`` ends after its current wait."""
        self._closed = True
        self._wakeup.set()

    # -- PortAudio side (callback runs on the audio thread) --------------------------------
    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self._pa_overflows += 1
            self._lost_at.append(self._ring.written)
        mono = indata[:, 0]
        if self._resampler is not None:
            mono = self._resampler(mono)
        self._ring.write(mono)
        self._cb_time = time.monotonic()
        self._cb_written = self._ring.written
        loop = self._loop
        if loop is not None and not self._wake_pending.is_set():
            self._wake_pending.set()
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(self._wake)

    def _tick(self) -> None:
        if self._watchdog_stop or self._loop is None:
            return
        self._check_due = True
        self._wakeup.set()
        self._loop.call_later(self.stall_timeout_s / 2, self._tick)

    def _wake(self) -> None:
        self._wake_pending.clear()
        self._wakeup.set()

    def _open(self) -> None:
        """Find the device and start a stream (runs in a worker thread: PortAudio may block)."""
        sd = devices.load_sounddevice()
        if self._need_reinit:
            devices.reinitialize()  # after a failure the device list is stale (hot-plug)
        self._need_reinit = True  # until this attempt succeeds
        dev = devices.choose_device(self.device, kind="input")
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=dev.index, channels=1, samplerate=SAMPLE_RATE)
            self._resampler = None
        except Exception:
            rate = int(dev.default_samplerate)  # resample the native rate to 16 kHz ourselves
            self._resampler = StreamResampler(rate, SAMPLE_RATE)
        blocksize = round(self.block * rate / SAMPLE_RATE)
        self._ring.clear()
        self._lost_at.clear()
        self._anchor = None
        self._cb_time = 0.0
        stream = sd.InputStream(
            device=dev.index,
            channels=1,
            samplerate=rate,
            blocksize=blocksize,
            dtype="float32",
            latency=self.latency,
            callback=self._callback,
        )
        try:
            stream.start()
        except Exception:
            stream.close(ignore_errors=True)
            raise
        self._stream = stream
        self._need_reinit = False
        self._opened_at = time.monotonic()
        if self._ever_opened:
            self.state.restarts += 1
        self._ever_opened = True
        self.state.present = True
        self.state.reason = None
        self.state.device = dev.name
        self.state.sample_rate = rate
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.state_changed.set)
        log.info("capture: listening on %r (%d Hz)", dev.name, rate)

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return

        def close() -> None:
            with contextlib.suppress(Exception):
                stream.abort(ignore_errors=True)
            with contextlib.suppress(Exception):
                stream.close(ignore_errors=True)

        # A dead server can make PortAudio block while closing; never let that stall the loop.
        loop = asyncio.get_running_loop()
        worker = loop.run_in_executor(devices.executor(), close)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(worker), 2.0)

    # -- loop side -------------------------------------------------------------------------
    def _drain(self) -> list[AudioFrame]:
        backlog = len(self._ring)
        self.state.queue_age_s = backlog / SAMPLE_RATE
        if self.state.queue_age_s > QUEUE_AGE_WARN_S and not self._lagging:
            # A slow consumer shows as growing delay, not as overflows: say so once per episode.
            log.warning("capture: audio is %.1f s behind (event loop busy?)", backlog / SAMPLE_RATE)
        self._lagging = self.state.queue_age_s > QUEUE_AGE_WARN_S
        self.state.overflows = self._pa_overflows + self._ring.overwritten
        whole = backlog - backlog % self.block
        if whole == 0:
            return []
        samples, index = self._ring.read(whole)
        t0 = self._clock(index)
        lost: set[int] = set()
        while self._lost_at and self._lost_at[0] < index + whole:
            at = self._lost_at.popleft()
            # the frame holding the loss (one already read past, e.g. overwritten: the first)
            lost.add(max(0, at - index) // self.block * self.block)
        return [
            AudioFrame(t0 + i / SAMPLE_RATE, samples[i : i + self.block], lost=i in lost)
            for i in range(0, whole, self.block)
        ]

    def _clock(self, index: int) -> float:
        """Monotonic time of ring sample ``index``, from a clock anchored on the callbacks.

        Callbacks can only come late (data exists before it is delivered), so the earliest
        observation wins; a large drift (stall, rate mismatch) re-anchors.
        """
        observed = self._cb_time
        observed_index = self._cb_written
        if self._anchor is None:
            self._anchor = (observed, observed_index)
        else:
            t_a, i_a = self._anchor
            predicted = t_a + (observed_index - i_a) / SAMPLE_RATE
            error = observed - predicted
            if error < 0 or error > CLOCK_SLACK_S:
                self._anchor = (observed, observed_index)
        t_a, i_a = self._anchor
        return t_a - (i_a - index) / SAMPLE_RATE

    def _stream_problem(self) -> str | None:
        stream = self._stream
        if stream is None:
            return None
        now = time.monotonic()
        # PulseAudio can take ~2 s to deliver the very first block of a new stream.
        last = self._cb_time or self._opened_at + FIRST_CALLBACK_GRACE_S
        if now - last > self.stall_timeout_s:
            return f"no audio from the input device for {now - last:.1f} s (device lost?)"
        try:
            if not stream.active:
                return "the input stream stopped (device lost?)"
        except Exception as exc:
            return _reason(exc)
        return None

    def _degrade(self, reason: str) -> None:
        if self.state.present or self.state.reason != reason:
            log.warning("capture degraded: %s; retrying", reason)
        self.state.present = False
        self.state.reason = reason
        self.state.queue_age_s = 0.0
        self.state_changed.set()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, devices.AudioUnavailable):
        return str(exc)
    text = str(exc).strip() or type(exc).__name__
    lowered = text.lower()
    if "busy" in lowered:
        return f"input device busy: {text}"
    if isinstance(exc, devices.DeviceNotFound):
        return text
    return f"cannot open the input device: {text}"
