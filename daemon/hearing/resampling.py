"""Block-wise resampling to 16 kHz for devices that cannot capture at 16 kHz natively.

Each block is filtered together with the tail of the previous input (libsoxr, see
``processors.audio.samples.resample``) and the output is held back by a few milliseconds of
look-ahead, so block edges leave no clicks. soxr's high-quality filter reaches ~60 output samples
(3.75 ms) each side: 256 input samples of look-ahead (5.3 ms at 48 kHz; 10 ms at 44.1 kHz, whose
input period is 441 samples) keep a block's output within 1e-6 of resampling the whole signal.
"""

from __future__ import annotations

from math import gcd

import numpy as np
import numpy.typing as npt

from processors.audio.samples import resample

Float32Array = npt.NDArray[np.float32]


class StreamResampler:
    def __init__(
        self, from_rate: int, to_rate: int = 16_000, context: int = 512, lookahead: int = 256
    ) -> None:
        g = gcd(from_rate, to_rate)
        self.from_rate, self.to_rate = from_rate, to_rate
        self.up, self.down = to_rate // g, from_rate // g
        # Whole input periods, so output sample positions stay aligned from block to block.
        self._delay = (lookahead // self.down + 1) * self.down
        self._context_len = max(2 * self._delay, (context // self.down + 1) * self.down)
        self._context = np.zeros(self._context_len, dtype=np.float32)
        self._remainder = np.zeros(0, dtype=np.float32)

    def __call__(self, block: Float32Array) -> Float32Array:
        if self.up == self.down:
            return block
        data = np.concatenate([self._remainder, block])
        usable = data.size - data.size % self.down
        self._remainder = data[usable:]
        data = data[:usable]
        if usable == 0:
            return np.zeros(0, dtype=np.float32)
        joined = np.concatenate([self._context, data])
        out = resample(joined, self.from_rate, self.to_rate)
        first = (self._context_len - self._delay) * self.up // self.down
        last = (joined.size - self._delay) * self.up // self.down
        self._context = joined[-self._context_len :]
        return np.asarray(out[first:last], dtype=np.float32)
