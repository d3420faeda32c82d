"""The reference signal: what the bear played, at 16 kHz, on the monotonic clock.

The playback thread calls :meth:`PlaybackReference.played` with each block just before it hands it
to the device, and the monotonic time the block will SOUND (after what is queued ahead of it,
``processors/speech/tts/playback.py``). Consecutive blocks are laid end to end on one sample
timeline (the device plays the samples back to back), and the timeline is re-anchored only when a
block is due clearly after the previous one ran out (a new stream, or an underflow), or clearly
before (a stream that never stops, whose clock drifts from the monotonic one). The capture
side (stamped on its monotonic stream clock) reads it back by time with :meth:`read`.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from daemon.hearing.frames import SAMPLE_RATE

Float32Array = npt.NDArray[np.float32]

REANCHOR_S = 0.03  # a block this much after the previous one's end starts a new run
# ... or this much before it: only a drifting clock does that (a stalled writer stamps its block
# early by the stall, and its samples still play back to back)
EARLY_REANCHOR_S = 0.2


class PlaybackReference:
    """A ring of the last ``seconds`` of played audio, indexed by absolute 16 kHz sample number."""

    def __init__(self, seconds: float = 4.0) -> None:
        self.size = round(seconds * SAMPLE_RATE)
        self._ring = np.zeros(self.size, dtype=np.float32)
        self._end: int | None = None  # absolute sample number after the last played sample
        self._lock = threading.Lock()
        self.blocks = 0
        self.runs = 0  # playback runs: each new stream (or a restart after a pause) is one

    def played(self, samples: Float32Array, rate: int, t: float) -> None:
        """``samples`` (mono, at ``rate``) reach the device from monotonic time ``t``."""
        audio = np.asarray(samples, dtype=np.float32).reshape(-1)
        if rate != SAMPLE_RATE and not audio.any():  # the output line's silence, 50 times a second
            audio = np.zeros(round(audio.size * SAMPLE_RATE / rate), dtype=np.float32)
        elif rate != SAMPLE_RATE:
            from processors.audio.samples import resample

            audio = resample(audio, rate, SAMPLE_RATE)
        if audio.size == 0:
            return
        audio = audio[-self.size :]
        start = round(t * SAMPLE_RATE)
        with self._lock:
            end = self._end
            if end is not None and -EARLY_REANCHOR_S <= (start - end) / SAMPLE_RATE <= REANCHOR_S:
                start = end  # back to back with what is already queued on the device
            else:
                if end is not None:
                    self._zero(end, start)  # a pause: silence in between
                self.runs += 1  # anchored anew: the echo's delay may differ from the last run
            self._write(start, audio)
            self._end = start + audio.size
            self.blocks += 1

    def read(self, t: float, n: int) -> Float32Array:
        """``n`` samples of what was played from monotonic time ``t`` (zeros where nothing was)."""
        return self.read_at(round(t * SAMPLE_RATE), n)

    def read_at(self, start: int, n: int) -> Float32Array:
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            if self._end is None:
                return out
            lo = max(start, self._end - self.size)
            hi = min(start + n, self._end)
            if hi <= lo:
                return out
            idx = np.arange(lo, hi) % self.size
            out[lo - start : hi - start] = self._ring[idx]
        return out

    def last_played(self) -> float | None:
        """Monotonic time the last played sample ends, or None if nothing was ever played."""
        with self._lock:
            return None if self._end is None else self._end / SAMPLE_RATE

    def _write(self, start: int, audio: Float32Array) -> None:
        idx = np.arange(start, start + audio.size) % self.size
        self._ring[idx] = audio

    def _zero(self, lo: int, hi: int) -> None:
        hi = min(hi, lo + self.size)
        if hi > lo:
            self._ring[np.arange(lo, hi) % self.size] = 0.0
