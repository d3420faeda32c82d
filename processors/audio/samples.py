"""Audio payload normalisation shared by the stage processors.

Payloads carry audio either as a float32 numpy array (-1..1) or as raw 16-bit little-endian PCM
bytes (what a microphone or a WAV file gives). Every stage wants float32 mono at 16 kHz.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from processors.engine.errors import ProcessorError


class BadAudio(ProcessorError, ValueError):
    """The audio of a task cannot be used (empty, NaN, wrong dtype, too long...)."""


TARGET_RATE = 16_000
Float32Array = npt.NDArray[np.float32]


def as_float32(
    data: object, sample_rate: int = TARGET_RATE, target_rate: int = TARGET_RATE
) -> Float32Array:
    """Return mono float32 audio at ``target_rate``; raise BadAudio with a clear reason."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) % 2:
            raise BadAudio(f"PCM bytes must be 16-bit samples; got an odd length {len(raw)}")
        audio = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif isinstance(data, np.ndarray):
        audio = _array_to_float32(data)
    else:
        raise BadAudio(f"audio_data must be a numpy array or PCM bytes, not {type(data).__name__}")
    if audio.size == 0:
        raise BadAudio("audio is empty")
    if not np.all(np.isfinite(audio)):
        raise BadAudio("audio contains NaN or infinite samples")
    if sample_rate <= 0:
        raise BadAudio(f"sample_rate must be positive, got {sample_rate}")
    if sample_rate != target_rate:
        audio = resample(audio, sample_rate, target_rate)
    return audio


def _array_to_float32(data: npt.NDArray[np.generic]) -> Float32Array:
    if data.ndim == 2:
        # (frames, channels) is what soundfile/sounddevice give; average to mono.
        data = data.mean(axis=1) if data.shape[1] <= 8 else data.mean(axis=0)
    elif data.ndim != 1:
        raise BadAudio(f"audio must be 1-D (mono) or 2-D (frames, channels), got {data.ndim}-D")
    if np.issubdtype(data.dtype, np.integer):
        info = np.iinfo(data.dtype)  # type: ignore[type-var]
        scale = float(max(abs(info.min), info.max))
        return (data.astype(np.float32) / scale).astype(np.float32)
    if np.issubdtype(data.dtype, np.floating):
        return np.ascontiguousarray(data, dtype=np.float32)
    raise BadAudio(f"unsupported audio dtype {data.dtype}")


def warm_up_resample() -> None:
    """Load the resampler now, while the daemon starts, not in the playback thread: the echo
    reference resamples each voiced block, and a first import there (scipy.signal took 0.3-2 s
    on a busy 2-core board) starved the output stream in the middle of the bear's first sentence
    and left the echo canceller without its reference."""
    resample(np.zeros(441, dtype=np.float32), 22_050, TARGET_RATE)


def resample(audio: Float32Array, from_rate: int, to_rate: int) -> Float32Array:
    """Band-limited resampling (libsoxr, high quality), not naive interpolation. soxr rather than
    scipy.signal.resample_poly: the same alignment, a few times faster, and its import costs
    under 1 MiB where scipy.signal's (with scipy.stats) held ~50 MiB of the daemon's memory."""
    import soxr

    out = soxr.resample(np.ascontiguousarray(audio, dtype=np.float32), from_rate, to_rate, "HQ")
    return np.asarray(out, dtype=np.float32)
