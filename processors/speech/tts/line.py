"""The output line: one output stream kept open for the daemon's life, fed silence between clips.

Why: every stream PortAudio and PulseAudio open starts at a latency of its own, so the time from
a sample the bear plays to its echo in the microphone moved from reply to reply, and the echo
canceller spent each reply's first half second finding it again (while the bear's own voice got
through as a false barge-in, issue 14). A stream that is never closed and never starved keeps one
latency: the echo's delay stays where the canceller learnt it, and a reply starts without paying
for a stream's start-up.

A feeder thread writes silence whenever no clip is being played; a clip takes the writer for its
whole length (each ``play`` of the turn :meth:`OutputLine.open` hands out), so silence never
lands inside a sentence and the feeder never starves a clip. The tap sees the silence too: the
echo reference is one unbroken timeline. A device error closes the line; the next reply opens a
new one. Re-initialising PortAudio (capture's hot-plug retry) waits for open streams, so an idle
line steps aside for it (``portaudio_guard.on_idle``) and opens again at the next reply.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from processors.audio import portaudio_guard
from processors.speech.tts.base import Float32Array
from processors.speech.tts.playback import PlaybackStream, PlayResult

log = logging.getLogger(__name__)

SETTLE_S = 0.02  # after a turn's last sample is due, this long for the device to have played it


class Device(Protocol):
    """Opens device streams (``AudioOutput`` is the real one)."""

    def open(self, sample_rate: int) -> PlaybackStream: ...

    def describe(self) -> str: ...


class OutputLine:
    """An ``Output`` whose device stream stays open; ``open`` hands out one turn at a time."""

    def __init__(self, output: Device) -> None:
        self.output = output
        self._stream: PlaybackStream | None = None
        self._feeder: threading.Thread | None = None
        self._cond = threading.Condition()
        self._holders = 0  # clips waiting for or holding the writer
        self._feeding = False  # the feeder is writing a block of silence
        self._closing = False
        self.opened = 0  # device streams opened (1 for a line that never broke)

    def describe(self) -> str:
        return self.output.describe()

    def open(self, sample_rate: int) -> LineTurn:
        """Blocking: the line's stream (opened now if it is not open) for one reply."""
        with self._cond:
            stream = self._stream
        if stream is None or stream.closed:
            stream = self._start(sample_rate)
        stream.started = False  # each reply's first clip skips the voice's leading silence
        return LineTurn(self, stream)

    def close(self) -> None:
        """Blocking: stop the feeder and close the device (the daemon is stopping)."""
        self._shut(only_if_idle=False)
        portaudio_guard.forget_idle(self._step_aside)

    def _shut(self, only_if_idle: bool) -> bool:
        """Stop the feeder and close the device; False if ``only_if_idle`` and a clip plays."""
        with self._cond:
            if only_if_idle and self._holders:
                return False
            self._closing = True
            self._cond.notify_all()
            feeder, stream = self._feeder, self._stream
            self._stream = self._feeder = None
        if feeder is not None:
            feeder.join(timeout=1.0)
        if stream is not None:
            stream.close(drain=False)
        return True

    def _start(self, sample_rate: int) -> PlaybackStream:
        stream = self.output.open(sample_rate)
        stream.kept_open = True
        with self._cond:
            self._closing = False
            self._stream = stream
            self.opened += 1
            self._feeder = threading.Thread(
                target=self._feed, args=(stream,), name="teddy-output-line", daemon=True
            )
            self._feeder.start()
        portaudio_guard.on_idle(self._step_aside)
        return stream

    # -- the writer ------------------------------------------------------------------------
    def acquire(self, stream: PlaybackStream) -> None:
        """Take the writer from the feeder (it finishes the block it is writing: <= 20 ms)."""
        with self._cond:
            self._holders += 1
            self._cond.wait_for(lambda: not self._feeding)
        if stream.closed:
            self.release()
            raise OSError("the output line was closed")

    def release(self) -> None:
        with self._cond:
            self._holders -= 1
            self._cond.notify_all()

    def _feed(self, stream: PlaybackStream) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or self._holders == 0)
                if self._closing or stream.closed:
                    return
                self._feeding = True
            try:
                stream.write_silence()  # blocks until the device has room: paced by the device
            except Exception as exc:  # the device went away: the next reply opens a new line
                log.warning("output line: %s; it reopens at the next reply", exc)
                self.broken(stream)
                return
            finally:
                with self._cond:
                    self._feeding = False
                    self._cond.notify_all()

    def broken(self, stream: PlaybackStream) -> None:
        with self._cond:
            if self._stream is stream:
                self._stream = None
            self._cond.notify_all()
        stream.close(drain=False)

    def _step_aside(self) -> bool:
        """PortAudio is about to be re-initialised: close the stream unless a clip is playing
        (a reply between clips opens a new one for its next clip)."""
        return self._shut(only_if_idle=True)


class LineTurn:
    """One reply's use of the line: the ``Stream`` the Speaker plays clips on."""

    def __init__(self, line: OutputLine, stream: PlaybackStream) -> None:
        self.line = line
        self.stream = stream
        self.ends_at = 0.0  # when this turn's last sample will have sounded

    def play(
        self,
        audio: Float32Array,
        source_rate: int,
        stop: threading.Event,
        stop_requested_at: list[float] | None = None,
        hold: threading.Event | None = None,
    ) -> PlayResult:
        if self.stream.closed:  # the line stepped aside (or broke) between two clips
            self.stream = self.line.open(self.stream.sample_rate).stream
        self.line.acquire(self.stream)
        try:
            result = self.stream.play(audio, source_rate, stop, stop_requested_at, hold)
        except Exception:
            self.line.broken(self.stream)
            raise
        finally:
            self.line.release()
        self.ends_at = self.stream.ends_at
        return result

    def finish(self, stop: threading.Event, stop_requested_at: list[float] | None = None) -> bool:
        """Blocking: wait until the turn's audio has sounded (the stream stays open). Returns True
        if ``stop`` was set meanwhile (the rest of the buffer is the fade or silence)."""
        while time.monotonic() < self.ends_at + SETTLE_S:
            if stop.wait(0.01):
                return True
        return stop.is_set()

    def close(self, drain: bool = False) -> None:
        """The turn ends; the line's stream stays open."""
