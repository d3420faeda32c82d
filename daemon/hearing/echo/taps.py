"""The echo filter's two forms: its partitioned spectra (how the canceller applies and adapts it,
one 2 x BLOCK FFT per partition) and its taps (the impulse response, how it is solved and moved)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Complex = npt.NDArray[np.complex128]
Taps = npt.NDArray[np.float64]


def to_taps(weights: Complex) -> Taps:
    """The impulse response: each partition's first half (the gradient constraint keeps the
    second half zero)."""
    block = weights.shape[1] - 1
    taps: Taps = np.fft.irfft(weights, axis=1)[:, :block].reshape(-1)
    return taps


def to_weights(taps: Taps, partitions: int) -> Complex:
    block = taps.size // partitions
    padded = np.zeros((partitions, 2 * block))
    padded[:, :block] = taps.reshape(partitions, block)
    weights: Complex = np.fft.rfft(padded, axis=1)
    return weights


def shifted(taps: Taps, samples: int) -> Taps:
    """The impulse response ``samples`` earlier (later if negative); what moves out is lost."""
    moved = np.zeros_like(taps)
    if 0 <= samples < taps.size:
        moved[: taps.size - samples] = taps[samples:]
    elif -taps.size < samples < 0:
        moved[-samples:] = taps[: taps.size + samples]
    return moved
