"""A short encoder window for short utterances (faster-whisper / CTranslate2 only).

Whisper's encoder always sees 30 s of log-mel frames; for a 3 s utterance 90 % of that work is
padding, and on tiny.en the encoder is ~70 % of the decode time. CTranslate2's encoder accepts
fewer frames, so the window is cut to the utterance plus a stretch of silence instead.

An opt-in since issue 11 (the default is the full 30 s window: the short one cost accuracy on real
speech). Two details keep the transcripts close to the full window (measured on our clips:
benchmarks/stt.py): the tail is padded with the log-mel value of real silence (what the
features of zero-padded audio hold: the clamp floor ``max - 8`` in log10 units) rather than with
faster-whisper's 0.0, which the model reads as "more is coming" and loops on once the window is
short; and the window keeps at least ``min_s`` seconds and ``margin_s`` seconds of silence after
the speech — windows of 5 s or less made tiny.en repeat itself. Measured per model: see
DEFAULT_WINDOW_S.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from processors.stt import pyav

FRAMES_PER_SECOND = 100  # Whisper: 10 ms hop
FULL_FRAMES = 3000  # 30 s, the window Whisper was trained on
FULL_S = FULL_FRAMES / FRAMES_PER_SECOND  # 30.0
# Normalised log-mel of the 1e-10 clamp: (log10(1e-10) + 4) / 4; silence never goes below it.
_CLAMP_FLOOR = -1.5
_SILENCE_BELOW_MAX = 2.0  # 8 log10 units below the loudest frame, normalised (/ 4)


@dataclass(frozen=True)
class EncoderWindow:
    min_s: float = 10.0
    margin_s: float = 5.0

    def __post_init__(self) -> None:
        if self.min_s <= 0 or self.margin_s < 0:
            raise ValueError("encoder window: min_s must be > 0 and margin_s >= 0")

    def frames_for(self, content_frames: int) -> int:
        """Encoder frames for a window whose real audio spans ``content_frames``."""
        wanted = max(
            round(self.min_s * FRAMES_PER_SECOND),
            content_frames + round(self.margin_s * FRAMES_PER_SECOND),
        )
        return min(FULL_FRAMES, wanted)

    def fit(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """faster-whisper's zero-padded (batch, mels, 3000) features -> the short window.

        The padding is recognised as the trailing all-zero frames (a real log-mel frame is
        never exactly 0.0 in every band), so each 30 s window of a long recording is handled.
        """
        batch = features if features.ndim == 3 else features[np.newaxis]
        content = content_frames(batch)
        frames = self.frames_for(content)
        if frames >= batch.shape[-1] and content >= batch.shape[-1]:
            return batch
        window = np.array(batch[..., :frames], dtype=np.float32, order="C")
        if content < frames:
            window[..., content:] = silence_level(batch[..., :content])
        return window


# Models whose default is a short window: none. Measured with benchmarks/stt.py (tiny.en, beam 5;
# WER full window / 10 s window): real recordings 0.071 / 0.064, unseen en-us/en-gb espeak-ng
# 0.162 / 0.099, child-like (real, +5 semitones, 8 % slower) 0.122 / 0.147, own clips 0.089 /
# 0.083; 3 s latency p50 ~0.58 / ~0.31 s. The window is less accurate than plain faster-whisper
# (whose window is 30 s) on the child-like set, the bear's listeners, so it is an opt-in
# (``stt.encoder_window_s = 10``) for boards that must trade; speculation recovers the latency.
DEFAULT_WINDOW_S: dict[str, float] = {}


def content_frames(features: npt.NDArray[np.float32]) -> int:
    """How many leading frames hold audio (the rest is faster-whisper's zero padding)."""
    voiced = np.flatnonzero(np.any(features != 0, axis=tuple(range(features.ndim - 1))))
    return int(voiced[-1]) + 1 if voiced.size else 0


def silence_level(features: npt.NDArray[np.float32]) -> float:
    """The normalised log-mel value zero-padded audio gets next to these frames."""
    if features.size == 0:
        return _CLAMP_FLOOR
    return max(float(features.max()) - _SILENCE_BELOW_MAX, _CLAMP_FLOOR)


@functools.cache
def windowed_model_class() -> Any:
    """faster-whisper's WhisperModel whose encoder runs on an EncoderWindow (``window``)."""
    pyav.defer()  # the daemon decodes arrays: PyAV loads only if a file is decoded
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):  # type: ignore[misc,valid-type]
        window: EncoderWindow | None = None

        def encode(self, features: npt.NDArray[np.float32]) -> Any:
            if self.window is not None:
                features = self.window.fit(features)
            return super().encode(features)

    return WindowedWhisperModel
