"""AUDIO_ENHANCEMENT stage: clean a recording up before transcription and emotion cues.

Three steps, each cheap and predictable on a bear's CPU: a high-pass (removes DC offset and
handling rumble below the voice), optional spectral-gating noise reduction (a per-frequency noise
floor estimated from the quietest frames, attenuated by a smoothed Wiener-style gain), and loudness
normalisation to a target RMS with a peak ceiling. ``enhance`` is a plain module-level function
so that ``cpu_intensive=True`` tasks can run it in the process pool.

Payload: ``audio_data`` (float32 ndarray or PCM16 bytes), ``sample_rate`` (default 16000),
``noise_reduction`` (default True), ``normalization`` (default True), ``highpass_hz`` (80).
Result: ``audio_data`` (float32 ndarray, same rate), ``sample_rate``, ``applied`` and levels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage, signal

from processors.audio.samples import Float32Array, as_float32

TARGET_RMS_DBFS = -20.0
PEAK_CEILING = 0.89  # -1 dBFS
_NOISE_PERCENTILE = 10.0  # the quietest tenth of the frames is taken as the noise floor
_MAX_ATTENUATION = 0.1  # -20 dB: stronger gating sounds watery and hurts recognition


def _dbfs(audio: Float32Array) -> float:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return float(20.0 * np.log10(max(rms, 1e-10)))


def highpass(audio: Float32Array, sample_rate: int, cutoff_hz: float = 80.0) -> Float32Array:
    """Remove DC and rumble with a zero-phase 2nd-order Butterworth high-pass."""
    audio = audio - np.float32(np.mean(audio))
    if cutoff_hz <= 0 or len(audio) < 16:
        return audio.astype(np.float32)
    sos = signal.butter(2, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    padlen = min(len(audio) - 1, 3 * (2 * len(sos) + 1))
    return np.asarray(signal.sosfiltfilt(sos, audio, padlen=padlen), dtype=np.float32)


def reduce_noise(audio: Float32Array, sample_rate: int, strength: float = 1.5) -> Float32Array:
    """Spectral gating with a noise floor estimated from the recording itself."""
    nperseg = 2 ** int(np.round(np.log2(sample_rate * 0.032)))  # ~32 ms frames
    if len(audio) < 2 * nperseg:
        return audio
    _, _, spec = signal.stft(audio, fs=sample_rate, nperseg=nperseg)
    power = np.abs(spec) ** 2
    # Noise power per bin is exponentially distributed, so its mean is the low percentile
    # divided by -ln(1 - p); a percentile (not a minimum) keeps the estimate stable.
    floor = np.percentile(power, _NOISE_PERCENTILE, axis=1, keepdims=True)
    noise = floor / -np.log1p(-_NOISE_PERCENTILE / 100.0)
    gain = np.clip(1.0 - strength * noise / np.maximum(power, 1e-20), 0.0, 1.0)
    # Smoothing over time and frequency avoids "musical noise" (isolated twinkling bins).
    gain = ndimage.uniform_filter(gain, size=(3, 5), mode="nearest")
    gain = np.maximum(np.sqrt(np.clip(gain, 0.0, 1.0)), _MAX_ATTENUATION)
    _, cleaned = signal.istft(spec * gain, fs=sample_rate, nperseg=nperseg)
    return np.asarray(cleaned[: len(audio)], dtype=np.float32)


def normalise(audio: Float32Array, target_dbfs: float = TARGET_RMS_DBFS) -> Float32Array:
    """Scale to ``target_dbfs`` RMS, then limit the gain so the peak stays below -1 dBFS."""
    level = _dbfs(audio)
    if level <= -90.0:  # digital silence: nothing to scale
        return audio
    gain = 10.0 ** ((target_dbfs - level) / 20.0)
    peak = float(np.max(np.abs(audio)))
    gain = min(gain, PEAK_CEILING / peak) if peak > 0 else gain
    return (audio * np.float32(gain)).astype(np.float32)


def enhance_array(
    audio: Float32Array,
    sample_rate: int,
    noise_reduction: bool = True,
    normalization: bool = True,
    highpass_hz: float = 80.0,
) -> dict[str, Any]:
    """Enhance mono float32 audio; return the result dict of the stage."""
    applied = ["highpass"]
    before = _dbfs(audio)
    out = highpass(audio, sample_rate, highpass_hz)
    if noise_reduction:
        out = reduce_noise(out, sample_rate)
        applied.append("noise_reduction")
    if normalization:
        out = normalise(out)
        applied.append("normalization")
    return {
        "audio_data": out,
        "sample_rate": sample_rate,
        "applied": applied,
        "level_before_dbfs": before,
        "level_after_dbfs": _dbfs(out),
        "duration_s": len(out) / sample_rate,
    }


def enhance(task: Any) -> dict[str, Any]:
    """The stage function (picklable): reads the task's payload, returns the enhanced audio."""
    payload: dict[str, Any] = task.payload
    rate = int(payload.get("sample_rate", 16_000))
    # Keep the caller's rate: as_float32 only converts dtype/channels when target == source.
    audio = as_float32(payload.get("audio_data"), rate, target_rate=rate)
    return enhance_array(
        audio,
        rate,
        noise_reduction=bool(payload.get("noise_reduction", True)),
        normalization=bool(payload.get("normalization", True)),
        highpass_hz=float(payload.get("highpass_hz", 80.0)),
    )


def create_default() -> Callable[[Any], dict[str, Any]]:
    return enhance
