"""Audio output through sounddevice (PortAudio), written in small blocks so it stops fast.

Audio is written to a blocking ``OutputStream`` in ~20 ms blocks; between blocks the writer checks
a stop event and, when it is set, aborts the stream (dropping what is still buffered), so playback
stops within one block plus the device latency. A stop in the middle of a clip fades the next
``FADE_S`` out and lets the device drain (no click). A ``tap`` sees every block just before it is
written, with the monotonic time it will SOUND (not when it is written): the echo canceller's
reference. That time is ``now`` plus what is still queued ahead of it in the stream's buffer
(the buffer's size, learnt as the most ``write_available`` ever seen, less what is available
now): a blocking write returns as soon as there is room, so the write time alone is early by up
to a buffer, and by a different amount after a pause or underflow. A stream kept open by the
output line (``line.py``, ``kept_open``) only fades out on a stop: it is never closed by one.
Every PortAudio call here is blocking: callers run them off the event loop
(``asyncio.to_thread``), one at a time per stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from processors.audio import portaudio, portaudio_guard
from processors.audio.samples import resample, warm_up_resample
from processors.speech.tts.base import Float32Array, OutputUnavailable

log = logging.getLogger(__name__)

DEFAULT_BLOCK_MS = 20
DEFAULT_LATENCY_S = 0.05
# The first clip of a stream starts at its first audible sample (TTS voices open with silence:
# hibari ~0.33 s, which the child waited through after the handover), less a short lead-in.
LEAD_SILENCE_DB = -50.0
LEAD_IN_S = 0.01
FADE_S = 0.02  # a stop ramps the voice down over this long instead of cutting it (a click)

#: ``tap(mono_block, sample_rate, monotonic_time)``: called just before a block is written, with
#: the monotonic time its first sample will be played
PlaybackTap = Callable[[Float32Array, int, float], None]


def trim_leading_silence(audio: Float32Array, rate: int) -> Float32Array:
    """``audio`` from ``LEAD_IN_S`` before its first 5 ms window above ``LEAD_SILENCE_DB``."""
    win = max(1, rate // 200)
    n = audio.size // win
    if n == 0:
        return audio
    power = np.mean(np.square(audio[: n * win].reshape(n, win), dtype=np.float64), axis=1)
    loud = np.flatnonzero(power > 10 ** (LEAD_SILENCE_DB / 10))
    if loud.size == 0:
        return audio
    start = max(0, int(loud[0]) * win - round(LEAD_IN_S * rate))
    return audio[start:]


def _faded_in(block: Float32Array, n: int) -> Float32Array:
    """The first ``n`` samples of ``block`` ramped up from silence (a resume, not a click)."""
    n = min(block.size, n)
    out = block.copy()
    out[:n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)
    return out


def _sounddevice() -> Any:
    try:
        return portaudio.import_sounddevice()
    except OSError as exc:  # raised when libportaudio2 is missing
        raise OutputUnavailable(
            f"PortAudio is not available ({exc}); install the Debian package libportaudio2"
        ) from exc
    except ImportError as exc:
        raise OutputUnavailable(
            f"sounddevice is not installed ({exc}); pip install sounddevice"
        ) from exc


def warm_up() -> None:
    """Start PortAudio and import the resampler now, while the daemon starts, not at the first
    reply.

    Its start opens JACK's metadata database in /dev/shm (libportaudio2 links libjack); a process
    killed inside that leaves its lock held, and every later PortAudio start on the machine hangs
    until the next boot. Started before READY, the first reply does not pay for it and a kill
    after READY (or a crash while the bear talks) never lands there. A missing PortAudio is said
    at the first reply, as before. The resampler (libsoxr) is loaded here, not by the
    first resample in the playback thread: the tap resamples each voiced block for the echo
    reference, and that first import (0.3-2 s) starved the stream mid-sentence.
    """
    warm_up_resample()
    try:
        _sounddevice()
    except OutputUnavailable:
        pass


def output_devices() -> list[dict[str, Any]]:
    """Output-capable devices: ``index``, ``name``, ``channels``, ``default_samplerate``."""
    sd = _sounddevice()
    return [
        {
            "index": i,
            "name": str(d["name"]),
            "channels": int(d["max_output_channels"]),
            "default_samplerate": float(d["default_samplerate"]),
        }
        for i, d in enumerate(sd.query_devices())
        if int(d["max_output_channels"]) > 0
    ]


def resolve_output_device(device: int | str | None) -> int:
    """A device index from an index, a case-insensitive name substring, or None (the default)."""
    sd = _sounddevice()
    outputs = output_devices()
    if not outputs:
        raise OutputUnavailable(
            "no audio output device found (is a sound card or PulseAudio/PipeWire available?)"
        )
    if device is None or device == "":
        default = sd.default.device[1]
        if isinstance(default, int) and default >= 0:
            return default
        return int(outputs[0]["index"])
    if isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
        index = int(device)
        if any(o["index"] == index for o in outputs):
            return index
        raise OutputUnavailable(
            f"audio.output_device {index} is not an output device; {_list(outputs)}"
        )
    wanted = device.lower()
    exact = [o for o in outputs if o["name"].lower() == wanted]
    matches = exact or [o for o in outputs if wanted in o["name"].lower()]
    if not matches:
        raise OutputUnavailable(f"no output device matches {device!r}; {_list(outputs)}")
    return int(matches[0]["index"])


def _list(outputs: list[dict[str, Any]]) -> str:
    return "outputs: " + ", ".join(f"{o['index']}: {o['name']}" for o in outputs)


@dataclass
class PlayResult:
    played_s: float  # seconds of audio written to the device
    interrupted: bool
    first_audio_at: float | None  # monotonic time the first block was handed to the device
    stop_latency_s: float | None = None  # stop request -> stream aborted


class Stream(Protocol):
    """What the Speaker needs of an open output stream (``PlaybackStream`` is the real one)."""

    def play(
        self,
        audio: Float32Array,
        source_rate: int,
        stop: threading.Event,
        stop_requested_at: list[float] | None = None,
        hold: threading.Event | None = None,
    ) -> PlayResult: ...

    def finish(
        self, stop: threading.Event, stop_requested_at: list[float] | None = None
    ) -> bool: ...

    def close(self, drain: bool = False) -> None: ...


class Output(Protocol):
    """Where speech goes (``AudioOutput`` is the real one)."""

    def open(self, sample_rate: int) -> Stream: ...

    def describe(self) -> str: ...


class PlaybackStream:
    """One open output stream; ``play`` clips on it, then ``finish`` (drain) or abort on stop."""

    def __init__(
        self,
        stream: Any,
        sample_rate: int,
        channels: int,
        block_ms: int,
        tap: PlaybackTap | None = None,
    ) -> None:
        self._stream = stream
        self.tap = tap
        self.sample_rate = sample_rate
        self.channels = channels
        self.block = max(1, sample_rate * block_ms // 1000)
        self.underflows = 0
        self.closed = False
        self.started = False  # the first clip's leading silence is not played
        self.capacity = 0  # the stream's buffer in frames: the most write_available ever seen
        self.kept_open = False  # an OutputLine's stream: a stop fades out but never closes it
        self.ends_at = 0.0  # monotonic time the last frame written so far will have sounded

    def play(
        self,
        audio: Float32Array,
        source_rate: int,
        stop: threading.Event,
        stop_requested_at: list[float] | None = None,
        hold: threading.Event | None = None,
    ) -> PlayResult:
        """Blocking: write ``audio`` block by block; abort as soon as ``stop`` is set. While
        ``hold`` is set the voice fades out and silence is written; it goes on from where it
        faded (that bit is said again, faded in)."""
        if source_rate != self.sample_rate:
            audio = resample(audio, source_rate, self.sample_rate)
        if not self.started:
            audio = trim_leading_silence(audio, self.sample_rate)
            self.started = True
        frames = np.ascontiguousarray(np.clip(audio, -1.0, 1.0), dtype=np.float32)
        first: float | None = None
        written = start = 0
        resuming = False
        while start < frames.size:
            if stop.is_set():
                if not resuming:  # (a paused voice is silent already)
                    written += self._fade_out(frames[start:])
                return self._abort(written, first, stop_requested_at)
            if hold is not None and hold.is_set():
                if start and not resuming:
                    self._fade_out(frames[start:])  # not counted: it is said again
                while hold.is_set() and not stop.is_set():
                    self.write_silence()  # the line stays fed; the echo reference hears silence
                resuming = True
                continue
            block = frames[start : start + self.block]
            if resuming:
                block, resuming = _faded_in(block, round(FADE_S * self.sample_rate)), False
            if first is None:
                first = time.monotonic()
            written += self._write(block)
            start += block.size
        if stop.is_set():
            return self._abort(written, first, stop_requested_at)
        return PlayResult(written / self.sample_rate, False, first)

    def _write(self, block: Float32Array) -> int:
        sounds_at = self.sounds_at()
        if self.tap is not None:
            try:
                self.tap(block, self.sample_rate, sounds_at)
            except Exception:  # the echo canceller must never break speech
                log.exception("playback tap failed")
        out = np.repeat(block[:, None], self.channels, axis=1) if self.channels > 1 else block
        if self._stream.write(out):
            self.underflows += 1
        self.ends_at = sounds_at + len(block) / self.sample_rate
        return len(block)

    def write_silence(self) -> None:
        """Blocking: one block of silence (an OutputLine keeps the stream fed between clips)."""
        self._write(np.zeros(self.block, dtype=np.float32))

    def sounds_at(self) -> float:
        """Monotonic time the next frame written will be played: after what is still queued."""
        now = time.monotonic()
        try:
            available = int(self._stream.write_available)
        except Exception:  # a stream without the query (or gone): the write time is all we know
            return now
        self.capacity = max(self.capacity, available)
        return now + (self.capacity - available) / self.sample_rate

    def _fade_out(self, rest: Float32Array) -> int:
        """Write the next ``FADE_S`` of ``rest`` ramped down to silence; returns its length."""
        tail = rest[: round(FADE_S * self.sample_rate)]
        if tail.size == 0:
            return 0
        ramp = np.linspace(1.0, 0.0, tail.size, dtype=np.float32)
        try:
            return self._write(np.ascontiguousarray(tail * ramp, dtype=np.float32))
        except Exception as exc:  # the device went away: the abort below still stops it
            log.warning("fading out: %s", exc)
            return 0

    def finish(self, stop: threading.Event, stop_requested_at: list[float] | None = None) -> bool:
        """Blocking: let the buffered audio play out (checking ``stop``), then close.
        Returns True if it was stopped instead."""
        latency = float(getattr(self._stream, "latency", DEFAULT_LATENCY_S) or 0.0)
        deadline = time.monotonic() + latency + 0.05
        while time.monotonic() < deadline:
            if stop.wait(0.01):
                self._abort(0, None, stop_requested_at)
                return True
        self.close(drain=True)
        return False

    def _abort(self, written: int, first: float | None, asked: list[float] | None) -> PlayResult:
        # drained, not aborted: what is buffered ends in the fade (or a clip's quiet end)
        if not self.kept_open:
            self.close(drain=True)
        latency = time.monotonic() - asked[0] if asked else None
        return PlayResult(written / self.sample_rate, True, first, latency)

    def close(self, drain: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if drain:
                self._stream.stop()
            else:
                self._stream.abort()
        except Exception as exc:  # a vanished device must not leak out of cleanup
            log.warning("closing the output stream: %s", exc)
        finally:
            try:
                self._stream.close()
            except Exception as exc:
                log.warning("closing the output stream: %s", exc)
            finally:
                portaudio_guard.stream_closed()


class AudioOutput:
    """Where speech goes: ``audio.output_device`` (index, name substring, or None = default)."""

    def __init__(
        self,
        device: int | str | None = None,
        block_ms: int = DEFAULT_BLOCK_MS,
        latency_s: float = DEFAULT_LATENCY_S,
        tap: PlaybackTap | None = None,
    ) -> None:
        if not 5 <= block_ms <= 50:
            raise ValueError(f"playback block_ms {block_ms} must be 5..50 (stop latency)")
        self.device = device
        self.block_ms = block_ms
        self.latency_s = latency_s
        self.tap = tap

    def describe(self) -> str:
        """Blocking: the chosen device's name, or raise OutputUnavailable (for health/doctor)."""
        index = resolve_output_device(self.device)
        return f"{index}: {_sounddevice().query_devices(index)['name']}"

    def open(self, sample_rate: int) -> PlaybackStream:
        """Blocking: open and start an output stream, at ``sample_rate`` if the device takes it,
        else at the device's default rate (clips are then resampled)."""
        sd = _sounddevice()
        index = resolve_output_device(self.device)
        info = sd.query_devices(index)
        channels, rate = _settings(sd, index, info, sample_rate)
        portaudio_guard.stream_opening()
        try:
            stream = sd.OutputStream(
                samplerate=rate,
                device=index,
                channels=channels,
                dtype="float32",
                blocksize=rate * self.block_ms // 1000,
                latency=self.latency_s,
            )
            stream.start()
        except Exception as exc:  # PortAudioError: busy, unplugged, rejected settings
            portaudio_guard.stream_closed()
            raise OutputUnavailable(f"cannot open output device {info['name']!r}: {exc}") from exc
        return PlaybackStream(stream, rate, channels, self.block_ms, self.tap)


def _settings(sd: Any, index: int, info: Any, wanted_rate: int) -> tuple[int, int]:
    """Mono at the clip's rate if the device takes it; else stereo and/or its default rate."""
    rates = [wanted_rate, int(info["default_samplerate"])]
    for channels in (1, 2):
        if channels > int(info["max_output_channels"]):
            break
        for rate in rates:
            try:
                sd.check_output_settings(device=index, channels=channels, samplerate=rate)
            except Exception:
                continue
            return channels, rate
    return 1, rates[1]  # let OutputStream report what is wrong
