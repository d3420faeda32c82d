"""Speculative transcription: decode at the child's first short pause, reuse it if the turn ends.

The endpointer waits ``silence_ms`` (400 ms) of silence before it closes an utterance; a pause of
~180 ms already tells that the turn may be over. At that pause hearing hands the audio so far
(cut exactly as the utterance would be cut there) to :meth:`SpeculationCache.start`, and the
decode runs on one background thread with the full-accuracy model. If the endpointer confirms,
the transcription task receives the very same samples and :meth:`take` returns the decode already
under way (or done) instead of starting another. If the child goes on speaking, the result is
never asked for: it is dropped and counted as wasted (a pending one is cancelled before it starts;
a running CTranslate2 decode cannot be interrupted, so the next decode may wait for it once).

Results are keyed by the exact audio (a hash of the float32 samples and the language), so a
speculation can never answer for audio it did not hear.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from processors.audio.samples import Float32Array
from processors.results import Transcription

Decode = Callable[[Float32Array, "str | None"], Transcription]


@dataclass
class SpeculationStats:
    started: int = 0
    hits: int = 0  # the transcription task reused a speculative decode
    wasted: int = 0  # decoded (or begun) but never used: the child went on speaking
    cancelled: int = 0  # dropped before the decode began (no CPU spent)
    wasted_cpu_s: float = 0.0  # process CPU time during wasted decodes (includes other threads)
    wasted_wall_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Entry:
    future: Future[Transcription]
    cpu_s: float = 0.0
    wall_s: float = 0.0


def audio_key(audio: Float32Array, language: str | None) -> bytes:
    samples = np.ascontiguousarray(audio, dtype=np.float32)
    digest = hashlib.blake2b(samples.tobytes(), digest_size=16)
    digest.update(f"|{len(samples)}|{language}".encode())
    return digest.digest()


class SpeculationCache:
    """At most ``keep`` speculative decodes, oldest dropped first; thread-safe."""

    def __init__(self, decode: Decode, keep: int = 2) -> None:
        self._decode = decode
        self._keep = max(1, keep)
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.RLock()  # a done future's callback runs at once, lock held
        self._executor: ThreadPoolExecutor | None = None
        self.stats = SpeculationStats()

    def start(self, audio: Float32Array, language: str | None) -> bool:
        """Begin decoding ``audio`` in the background (False: already known)."""
        key = audio_key(audio, language)
        copy = np.array(audio, dtype=np.float32)  # the caller's buffer may change
        with self._lock:
            if key in self._entries:
                return False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="teddy-stt-speculate")
            entry = _Entry(Future())
            entry.future = self._executor.submit(self._run, entry, copy, language)
            self._entries[key] = entry
            self.stats.started += 1
            while len(self._entries) > self._keep:
                self._waste(self._entries.popitem(last=False)[1])
        return True

    def abandon(self) -> None:
        """The child went on speaking: every speculation so far is of no use."""
        with self._lock:
            while self._entries:
                self._waste(self._entries.popitem(last=False)[1])

    def peek(self, audio: Float32Array, language: str | None) -> Future[Transcription] | None:
        """The decode under way for exactly this audio, left in place (semantic end-of-turn
        reads its text; the transcription task still takes it)."""
        with self._lock:
            entry = self._entries.get(audio_key(audio, language))
            return None if entry is None else entry.future

    def take(self, audio: Float32Array, language: str | None) -> Future[Transcription] | None:
        """The speculative decode of exactly this audio, or None; other entries are wasted."""
        key = audio_key(audio, language)
        with self._lock:
            entry = self._entries.pop(key, None)
            while self._entries:
                self._waste(self._entries.popitem(last=False)[1])
            if entry is None or entry.future.cancelled():
                return None
            self.stats.hits += 1
            return entry.future

    def _run(self, entry: _Entry, audio: Float32Array, language: str | None) -> Transcription:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return self._decode(audio, language)
        finally:
            entry.cpu_s = time.process_time() - cpu
            entry.wall_s = time.perf_counter() - wall

    def _waste(self, entry: _Entry) -> None:
        if entry.future.cancel():
            self.stats.cancelled += 1
            return
        self.stats.wasted += 1

        def count(_: Future[Transcription]) -> None:
            with self._lock:
                self.stats.wasted_cpu_s += entry.cpu_s
                self.stats.wasted_wall_s += entry.wall_s

        entry.future.add_done_callback(count)

    def close(self) -> None:
        self.abandon()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
