"""A bounded single-producer/single-consumer sample ring for the PortAudio callback.

The callback thread only copies into preallocated memory under a short lock; when the consumer
falls behind, the oldest samples are overwritten and counted as overflow (never unbounded growth).
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt


class RingBuffer:
    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self._start = 0  # index of the oldest unread sample
        self._size = 0
        self._lock = threading.Lock()
        self.written = 0  # total samples ever written (the stream clock)
        self.overwritten = 0  # samples lost because the reader was too slow

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return self._size

    def write(self, samples: npt.NDArray[np.float32]) -> None:
        """Append (called from the audio thread): copy only, overwrite the oldest when full."""
        n = samples.shape[0]
        with self._lock:
            if n >= self._capacity:
                self.overwritten += self._size + n - self._capacity
                self._buf[:] = samples[n - self._capacity :]
                self._start, self._size = 0, self._capacity
                self.written += n
                return
            overflow = self._size + n - self._capacity
            if overflow > 0:
                self._start = (self._start + overflow) % self._capacity
                self._size -= overflow
                self.overwritten += overflow
            end = (self._start + self._size) % self._capacity
            first = min(n, self._capacity - end)
            self._buf[end : end + first] = samples[:first]
            if first < n:
                self._buf[: n - first] = samples[first:]
            self._size += n
            self.written += n

    def read(self, max_samples: int | None = None) -> tuple[npt.NDArray[np.float32], int]:
        """Take up to ``max_samples`` (all by default); returns (samples, stream index of [0])."""
        with self._lock:
            n = self._size if max_samples is None else min(self._size, max_samples)
            out = np.empty(n, dtype=np.float32)
            first = min(n, self._capacity - self._start)
            out[:first] = self._buf[self._start : self._start + first]
            if first < n:
                out[first:] = self._buf[: n - first]
            index = self.written - self._size
            self._start = (self._start + n) % self._capacity
            self._size -= n
            return out, index

    def clear(self) -> None:
        with self._lock:
            self._start = 0
            self._size = 0
