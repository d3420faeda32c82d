"""The reference signal: what the bear played, at 16 kHz, on the monotonic clock.

The playback thread calls :meth:`PlaybackReference.played` with each block just before it hands it
to the device, and the monotonic time the block will SOUND (after what is queued ahead of it,
``processors/speech/tts/playback.py``). Consecutive blocks are laid end to end on one sample
timeline (the device plays the samples back to back), and the timeline is re-anchored only when a
block is due clearly after the previous one ran out (a new stream, or an underflow), or clearly
before. The capture side reads it back by time with :meth:`read`.

The timeline counts the device's samples, and the device's clock is not the monotonic one: on
the rig the stamps fall behind the laid samples by ~0.2 ms a second on an output line that never
stops (-30 ms after two minutes). So the timeline keeps that skew (the stamps' offset from where
their blocks were laid) and compares a new block's stamp net of it. Re-anchoring at a raw stamp
after an underflow moved the whole reference by the skew so far, and the echo canceller lost the
echo just as the reply after it started (on the rig: the false barge-ins at an answer's start).
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from daemon.hearing.frames import SAMPLE_RATE

Float32Array = npt.NDArray[np.float32]

REANCHOR_S = 0.03  # a block this much after the previous one's end starts a new run
# ... or this much before it (a stalled writer stamps its block early by the stall, and its samples
# still play back to back: only a broken clock is this far off)
EARLY_REANCHOR_S = 0.2
# the skew follows each back-to-back block's offset by this much of the difference, capped at
# SKEW_STEP_S: a mean that tracks a drift of up to ~1 % and shrugs off a stamp's jitter or stall
SKEW_GAIN = 0.05
SKEW_STEP_S = 0.005
# a run after an underflow is placed by its first stamp, which can be early by the output's
# prebuffering (on the rig the echo's delay grew ~7 ms per underrun, 165 -> 239 ms over ten):
# the canceller reports each run's measured move and the next re-anchor leans that way
PLACED_GAIN = 0.5
PLACED_MAX_S = 0.02


class PlaybackReference:
    """A ring of the last ``seconds`` of played audio, indexed by absolute 16 kHz sample number."""

    def __init__(self, seconds: float = 4.0) -> None:
        self.size = round(seconds * SAMPLE_RATE)
        self._ring = np.zeros(self.size, dtype=np.float32)
        self._end: int | None = None  # absolute sample number after the last played sample
        self._lock = threading.Lock()
        self.blocks = 0
        self.runs = 0  # playback runs: each new stream (or a restart after a pause) is one
        self.skew = 0.0  # seconds the stamps run ahead of the device's timeline (see above)
        self.anchor_late = 0.0  # seconds a re-anchored run is placed after its stamp says

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
        with self._lock:
            end = self._end
            start = round((t - self.skew) * SAMPLE_RATE)
            if end is not None and -EARLY_REANCHOR_S <= (start - end) / SAMPLE_RATE <= REANCHOR_S:
                off = t - end / SAMPLE_RATE - self.skew
                self.skew += SKEW_GAIN * min(SKEW_STEP_S, max(-SKEW_STEP_S, off))
                start = end  # back to back with what is already queued on the device
            else:
                if end is not None and start > end:
                    start = max(end, start + round(self.anchor_late * SAMPLE_RATE))
                    self._zero(end, start)  # a pause: silence in between
                self.runs += 1  # anchored anew: the echo's delay may differ from the last run
            self._write(start, audio)
            self._end = start + audio.size
            self.blocks += 1

    def placed_early(self, seconds: float) -> None:
        """The canceller measured the last re-anchored run's echo ``seconds`` later than the
        run before's: that run was laid that much early."""
        step = min(PLACED_MAX_S, max(-PLACED_MAX_S, seconds))
        with self._lock:
            self.anchor_late = min(0.2, max(-0.2, self.anchor_late + PLACED_GAIN * step))

    def read(self, t: float, n: int) -> Float32Array:
        """``n`` samples of what was played from time ``t`` on the device's timeline (which
        starts at the first block's monotonic stamp) (zeros where nothing was)."""
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
            return None if self._end is None else self._end / SAMPLE_RATE + self.skew

    def _write(self, start: int, audio: Float32Array) -> None:
        idx = np.arange(start, start + audio.size) % self.size
        self._ring[idx] = audio

    def _zero(self, lo: int, hi: int) -> None:
        hi = min(hi, lo + self.size)
        if hi > lo:
            self._ring[np.arange(lo, hi) % self.size] = 0.0
