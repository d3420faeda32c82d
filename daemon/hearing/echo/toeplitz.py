"""The least-squares echo filter: a symmetric Toeplitz system ``T x = b`` (the Wiener-Hopf
equations: ``T`` the reference's autocorrelation, ``b`` its cross-correlation with the
microphone)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

CG_STEPS = 200  # a bound on the work (~30 ms here); with 1 % loading, speech converges within it
CG_TOLERANCE = 1e-3  # ... at a residual this small relative to the right-hand side
LOADING = 1e-2  # diagonal loading of the reference's autocorrelation (speech is coloured)


def least_squares_filter(
    mic: npt.NDArray[np.float64], ref: npt.NDArray[np.float64], current: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], float, float]:
    """The filter as long as ``current`` that best predicts ``mic`` from the aligned ``ref``,
    and the residual power it leaves where both filters see their whole reference, next to the
    residual ``current`` leaves there."""
    taps = current.size
    size = 1 << int(np.ceil(np.log2(mic.size + taps)))
    ref_spec = np.fft.rfft(ref, size)
    auto = np.fft.irfft(np.abs(ref_spec) ** 2, size)[:taps]
    cross = np.fft.irfft(np.fft.rfft(mic, size) * np.conj(ref_spec), size)[:taps]
    auto[0] *= 1 + LOADING
    solved = solve_toeplitz(auto, cross)

    def residual_power(filter_taps: npt.NDArray[np.float64]) -> float:
        predicted = np.fft.irfft(ref_spec * np.fft.rfft(filter_taps, size), size)
        return float(np.mean(np.square(mic[taps:] - predicted[taps : mic.size])))

    return solved, residual_power(solved), residual_power(current)


def solve_toeplitz(
    column: npt.NDArray[np.float64], rhs: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``x`` with ``T x = rhs``, ``T`` the symmetric Toeplitz matrix of ``column``: conjugate
    gradients, each product through the circulant embedding's FFT. Levinson (scipy's
    ``solve_toeplitz``) holds the GIL for its whole 11 ms at 2048 taps, and the output line's
    writer waits that long; these steps are short and numpy's FFTs let other threads run (the
    writer waits 0.6 ms, p99)."""
    n = column.size
    circulant = np.fft.rfft(np.concatenate([column, [0.0], column[:0:-1]]))

    def times(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.fft.irfft(circulant * np.fft.rfft(x, 2 * n), 2 * n)[:n]

    x = np.zeros(n)
    r = rhs.copy()
    p = r.copy()
    rr = float(r @ r)
    stop = CG_TOLERANCE**2 * rr
    for _ in range(CG_STEPS):
        tp = times(p)
        alpha = rr / float(p @ tp)
        x += alpha * p
        r -= alpha * tp
        rr_next = float(r @ r)
        if rr_next <= stop:
            break
        p = r + (rr_next / rr) * p
        rr = rr_next
    return x
