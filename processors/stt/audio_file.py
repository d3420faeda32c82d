"""Read an audio file (wav, flac, ogg via libsndfile; mp3 and the rest via PyAV) as 16 kHz mono."""

from __future__ import annotations

from pathlib import Path

from processors.audio.samples import BadAudio, Float32Array, as_float32


def read_audio_file(path: Path) -> Float32Array:
    """Decode ``path``; BadAudio names the file and why it cannot be used."""
    if not path.is_file():
        raise BadAudio(f"{path}: no such file")
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=False)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return _read_with_pyav(path)
    try:
        return as_float32(data, int(rate))
    except BadAudio as exc:
        raise BadAudio(f"{path}: {exc}") from exc


def _read_with_pyav(path: Path) -> Float32Array:
    import av
    from faster_whisper.audio import decode_audio

    try:
        audio = decode_audio(str(path), sampling_rate=16_000)
    except (av.error.FFmpegError, ValueError, IndexError, StopIteration) as exc:
        raise BadAudio(f"{path}: cannot decode audio ({type(exc).__name__}: {exc})") from exc
    try:
        return as_float32(audio, 16_000)
    except BadAudio as exc:
        raise BadAudio(f"{path}: {exc}") from exc
