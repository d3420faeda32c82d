"""Loudness normalisation before playback, so every backend and sentence sounds equally loud.

Backends differ a lot (hibari peaks around -9.7 dBFS, Piper normalises each sentence to full
scale, espeak-ng is loud and bright). We bring the *speech-active* RMS to a target (pauses would
otherwise pull the average down and make short sentences too loud), then cap the peak so that
the gain never clips.
"""

from __future__ import annotations

import numpy as np

from processors.speech.tts.base import Float32Array

DEFAULT_TARGET_DBFS = -20.0
DEFAULT_PEAK_DBFS = -1.0
_ACTIVE_FLOOR_DB = 30.0  # windows more than this below the loudest one count as pauses
_WINDOW_S = 0.02


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def level_dbfs(audio: Float32Array) -> float:
    """RMS level in dBFS (``-inf`` for silence)."""
    if audio.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def active_level_dbfs(audio: Float32Array, sample_rate: int) -> float:
    """RMS level in dBFS over the speech-active 20 ms windows only."""
    win = max(1, int(sample_rate * _WINDOW_S))
    n = audio.size // win
    if n == 0:
        return level_dbfs(audio)
    power = np.mean(np.square(audio[: n * win].reshape(n, win), dtype=np.float64), axis=1)
    loudest = float(power.max())
    if loudest <= 0:
        return float("-inf")
    active = power[power >= loudest * db_to_gain(-_ACTIVE_FLOOR_DB) ** 2]
    return float(10.0 * np.log10(active.mean()))


def normalize(
    audio: Float32Array,
    sample_rate: int,
    target_dbfs: float = DEFAULT_TARGET_DBFS,
    peak_dbfs: float = DEFAULT_PEAK_DBFS,
) -> Float32Array:
    """Return ``audio`` scaled to ``target_dbfs`` active RMS, never peaking above ``peak_dbfs``."""
    if audio.size == 0:
        return audio.astype(np.float32, copy=False)
    level = active_level_dbfs(audio, sample_rate)
    if not np.isfinite(level):
        return np.zeros_like(audio, dtype=np.float32)
    gain = db_to_gain(target_dbfs - level)
    peak = float(np.max(np.abs(audio)))
    if peak * gain > db_to_gain(peak_dbfs):
        gain = db_to_gain(peak_dbfs) / peak
    return (audio * gain).astype(np.float32)
