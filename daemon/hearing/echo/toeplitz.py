"""A symmetric Toeplitz system ``T x = b`` (the Wiener-Hopf equations of a least-squares
filter: ``T`` the reference's autocorrelation, ``b`` its cross-correlation with the microphone)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

CG_STEPS = 200  # a bound on the work (~30 ms here); with 1 % loading, speech converges within it
CG_TOLERANCE = 1e-3  # ... at a residual this small relative to the right-hand side


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
