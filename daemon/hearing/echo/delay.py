"""Bulk echo delay: how late the played reference comes back in the microphone.

Generalised cross-correlation with phase transform (GCC-PHAT) between a stretch of microphone audio
and the reference around it: the peak of the whitened cross-correlation is the delay, and its
height over the median says how sure that is (speech echoes give sharp peaks, noise none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Float32Array = npt.NDArray[np.float32]

MIN_CONFIDENCE = 20.0  # peak / median |correlation|: below this the estimate is not used


@dataclass(frozen=True)
class DelayEstimate:
    samples: int  # the microphone lags the reference by this many samples
    confidence: float  # peak over median of the correlation magnitude

    @property
    def usable(self) -> bool:
        return self.confidence >= MIN_CONFIDENCE


def estimate_delay(mic: Float32Array, ref: Float32Array, max_delay: int) -> DelayEstimate:
    """Delay in ``0..max_delay`` samples that best aligns ``ref`` (earlier) with ``mic``.

    ``ref`` and ``mic`` cover the same clock span; the echo of ``ref[i]`` is at ``mic[i + d]``.
    """
    n = min(mic.size, ref.size)
    if n < 2 * max_delay or not np.any(ref[:n]):
        return DelayEstimate(0, 0.0)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(mic[:n], size) * np.conj(np.fft.rfft(ref[:n], size))
    spec /= np.abs(spec) + 1e-12  # phase transform: every frequency votes equally
    corr = np.abs(np.fft.irfft(spec, size)[: max_delay + 1])
    peak = int(np.argmax(corr))
    median = float(np.median(np.abs(np.fft.irfft(spec, size)))) + 1e-12
    return DelayEstimate(peak, float(corr[peak]) / median)


def coherence(x: Float32Array, y: Float32Array, max_lag: int) -> float:
    """The largest normalised cross-correlation of ``x`` and ``y`` within ``max_lag`` samples
    either way (0: unrelated, 1: one is a scaled, shifted copy of the other)."""
    size = 1 << int(np.ceil(np.log2(x.size + y.size)))
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size)), size)
    near = np.concatenate([corr[: max_lag + 1], corr[size - max_lag :]])
    norm = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    return float(np.max(np.abs(near))) / norm if norm > 0 else 0.0
