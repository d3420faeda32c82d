"""``replay:PATH`` input: a WAV file or a folder of WAVs played as if spoken into the microphone.

Files are converted to 16 kHz mono float32 (any rate/channels/sample format soundfile reads), cut
into 32 ms frames, separated by silence, and paced in real time by default (``fast=True`` yields
as fast as the consumer takes them, on a virtual clock so timestamps stay consistent). A file is
read a second at a time, so an hour-long recording is never held whole (230 MB as float32).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from daemon.hearing.frames import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.state import CaptureState
from processors.audio.samples import BadAudio, as_float32

log = logging.getLogger(__name__)
Float32Array = npt.NDArray[np.float32]

REPLAY_PREFIX = "replay:"


def parse_replay(spec: str) -> Path | None:
    """``replay:PATH`` → PATH; anything else → None (a device)."""
    if spec.startswith(REPLAY_PREFIX):
        return Path(spec[len(REPLAY_PREFIX) :]).expanduser()
    return None


def replay_files(path: Path) -> list[Path]:
    """The WAVs to replay, in name order; a clear error when there is nothing to play."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".wav" and p.is_file())
        if not files:
            raise FileNotFoundError(f"replay folder {path} contains no .wav files")
        return files
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"replay input {path} does not exist")


def wav_chunks(path: Path, chunk_s: float = 1.0) -> Iterator[Float32Array]:
    """The file as 16 kHz mono float32, ``chunk_s`` at a time (streaming resampler: the same
    samples as resampling it whole). Raises soundfile's error for a file it cannot read, and
    BadAudio for an empty file or non-finite samples."""
    import soundfile as sf
    import soxr

    with sf.SoundFile(str(path)) as f:
        rate = int(f.samplerate)
        stream = (
            None
            if rate == SAMPLE_RATE
            else soxr.ResampleStream(rate, SAMPLE_RATE, 1, "float32", "HQ")
        )
        per_read = max(1, round(rate * chunk_s))
        empty = True
        while True:
            data = f.read(per_read, dtype="float32", always_2d=True)
            last = data.shape[0] < per_read
            # mono float32, finite or BadAudio; resampled below, a chunk at a time
            mono = as_float32(data) if data.shape[0] else np.zeros(0, dtype=np.float32)
            if stream is not None:
                mono = np.asarray(stream.resample_chunk(mono, last=last), dtype=np.float32)
            if mono.size:
                empty = False
                yield mono
            if last:
                break
    if empty:
        raise BadAudio("audio is empty")


def _frames(chunks: Iterator[Float32Array]) -> Iterator[Float32Array]:
    """Re-cut chunks into BLOCK-sized frames; the last one is padded with silence."""
    carry = np.zeros(0, dtype=np.float32)
    for chunk in chunks:
        buffer = np.concatenate([carry, chunk]) if carry.size else chunk
        whole = buffer.size - buffer.size % BLOCK
        for i in range(0, whole, BLOCK):
            yield buffer[i : i + BLOCK]
        carry = buffer[whole:]
    if carry.size:
        yield np.pad(carry, (0, BLOCK - carry.size))


class ReplaySource:
    """Frames from WAV files; ``state`` mirrors the microphone's for health."""

    def __init__(
        self,
        path: str | Path,
        *,
        fast: bool = False,
        gap_s: float = 1.0,
        lead_s: float = 0.5,
        tail_s: float = 1.0,
        loop: bool = False,
    ) -> None:
        self.path = Path(path)
        self.files = replay_files(self.path)
        self.fast = fast
        self.gap_s = gap_s
        self.lead_s = lead_s
        self.tail_s = tail_s
        self.loop = loop
        self.state = CaptureState(present=True, reason=None, device=f"replay:{self.path}")
        self.state.sample_rate = SAMPLE_RATE
        self.file_offsets: list[tuple[Path, float]] = []  # (file, clock time of its first sample)
        self._closed = False

    def close(self) -> None:
        self._closed = True

    async def frames(self) -> AsyncIterator[AudioFrame]:
        start = time.monotonic()
        sent = 0  # samples yielded: the clock is start + sent / rate
        for block in self._blocks(start):
            if self._closed:
                return
            t = start + sent / SAMPLE_RATE
            if self.fast:
                await asyncio.sleep(0)  # let the consumer run; no pacing
            else:
                delay = t + BLOCK / SAMPLE_RATE - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # a frame is "captured" once its last sample is
            sent += block.size
            yield AudioFrame(t, block)
        self.state.present = False
        self.state.reason = "replay finished"

    def _blocks(self, start: float) -> Iterator[npt.NDArray[np.float32]]:
        position = 0
        silence_before = self.lead_s
        while True:
            played = 0
            for file in self.files:
                chunks = wav_chunks(file)
                try:
                    first = next(chunks)
                except Exception as exc:  # one bad file must not end the replay
                    log.warning("replay: skipping %s: %s", file, exc)
                    continue
                played += 1
                gap = np.zeros(int(silence_before * SAMPLE_RATE), dtype=np.float32)
                self.file_offsets.append((file, start + (position + gap.size) / SAMPLE_RATE))
                for block in _frames(itertools.chain([gap, first], _until_error(chunks, file))):
                    position += block.size
                    yield block
                silence_before = self.gap_s
            if not self.loop or played == 0:
                break
        tail = np.zeros(BLOCK, dtype=np.float32)
        for _ in range(int(self.tail_s * SAMPLE_RATE) // BLOCK):
            yield tail


def _until_error(chunks: Iterator[Float32Array], file: Path) -> Iterator[Float32Array]:
    """A file that fails halfway is played up to there (one bad file must not end the replay)."""
    try:
        yield from chunks
    except Exception as exc:
        log.warning("replay: %s ends early: %s", file, exc)
