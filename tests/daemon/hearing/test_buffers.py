"""Ring buffer and block resampler."""

from __future__ import annotations

import numpy as np

from daemon.hearing.resampling import StreamResampler
from daemon.hearing.ringbuffer import RingBuffer
from processors.audio.samples import resample


def test_ring_buffer_keeps_order_across_wraparound() -> None:
    ring = RingBuffer(10)
    ring.write(np.arange(6, dtype=np.float32))
    out, index = ring.read(4)
    assert out.tolist() == [0, 1, 2, 3] and index == 0
    ring.write(np.arange(6, 12, dtype=np.float32))
    out, index = ring.read()
    assert out.tolist() == list(range(4, 12)) and index == 4
    assert ring.overwritten == 0


def test_ring_buffer_overwrites_oldest_and_counts_overflow() -> None:
    ring = RingBuffer(8)
    ring.write(np.arange(6, dtype=np.float32))
    ring.write(np.arange(6, 12, dtype=np.float32))
    assert ring.overwritten == 4
    out, index = ring.read()
    assert out.tolist() == list(range(4, 12)) and index == 4
    ring.write(np.arange(20, dtype=np.float32))
    out, _ = ring.read()
    assert out.tolist() == list(range(12, 20))


def test_block_resampler_matches_whole_signal_resampling() -> None:
    rate = 48_000
    x = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
    r = StreamResampler(rate)
    out = np.concatenate([r(x[i : i + 1440]) for i in range(0, x.size, 1440)])
    delay = r._delay * 16_000 // rate
    ref = resample(x, rate, 16_000)
    assert np.abs(out[delay + 100 : -200] - ref[100 : out.size - delay - 200]).max() < 1e-4
