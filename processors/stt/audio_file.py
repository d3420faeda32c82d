"""Read an audio file (wav, flac, ogg via libsndfile; mp3 and the rest via PyAV) as 16 kHz mono.

With ``max_duration_s`` the file is read in blocks and refused as soon as it is longer, so memory
is bounded by the limit, not by the file (a 2-hour WAV used to be decoded whole — 746 MB — before
the limit rejected it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from processors.audio.samples import BadAudio, Float32Array, as_float32

BLOCK_S = 1.0


def read_audio_file(path: Path, max_duration_s: float | None = None) -> Float32Array:
    """Decode ``path``; BadAudio names the file and why it cannot be used."""
    if not path.is_file():
        raise BadAudio(f"{path}: no such file")
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return _read_with_pyav(path, max_duration_s)
    rate = int(info.samplerate)
    if max_duration_s is not None and info.frames / max(rate, 1) > max_duration_s:
        raise BadAudio(_too_long(path, info.frames / rate, max_duration_s))
    try:
        data = _read_blocks(path, rate, max_duration_s)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise BadAudio(f"{path}: cannot decode audio ({type(exc).__name__}: {exc})") from exc
    try:
        return as_float32(data, rate)
    except BadAudio as exc:
        raise BadAudio(f"{path}: {exc}") from exc


def _read_blocks(path: Path, rate: int, max_duration_s: float | None) -> Float32Array:
    import soundfile as sf

    limit = None if max_duration_s is None else int(max_duration_s * rate)
    blocks: list[Float32Array] = []
    total = 0
    # the header's length can lie (a truncated or growing file): count what really comes
    for block in sf.blocks(str(path), blocksize=max(1, int(BLOCK_S * rate)), dtype="float32"):
        mono = block.mean(axis=1) if block.ndim == 2 else block
        total += mono.shape[0]
        if limit is not None and total > limit:
            raise BadAudio(_too_long(path, total / rate, max_duration_s or 0.0, "at least "))
        blocks.append(np.ascontiguousarray(mono, dtype=np.float32))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def _too_long(path: Path, seconds: float, limit: float, at_least: str = "") -> str:
    return f"{path}: audio is {at_least}{seconds:.1f} s long; the limit is {limit:g} s"


def _read_with_pyav(path: Path, max_duration_s: float | None) -> Float32Array:
    import av
    from faster_whisper.audio import decode_audio

    if max_duration_s is not None:
        try:
            with av.open(str(path)) as container:
                seconds = (container.duration or 0) / 1_000_000
        except (av.error.FFmpegError, ValueError) as exc:
            raise BadAudio(f"{path}: cannot decode audio ({type(exc).__name__}: {exc})") from exc
        if seconds > max_duration_s:
            raise BadAudio(_too_long(path, seconds, max_duration_s))
    try:
        audio = decode_audio(str(path), sampling_rate=16_000)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise BadAudio(f"{path}: cannot decode audio ({type(exc).__name__}: {exc})") from exc
    try:
        return as_float32(audio, 16_000)
    except BadAudio as exc:
        raise BadAudio(f"{path}: {exc}") from exc
