"""One speaking-rate setting for every backend, tuned for small children.

``rate`` is relative to each voice's natural adult pace (1.0). Young children follow speech best
somewhat slower than adult conversation, so the default is 0.85. Each backend has its own knob:
hibari's ``speed`` (1.0 = teacher pace), Piper's ``length_scale`` (the joe voice is quick at 1.0:
1.27 sounds natural, so 0.85 gives ≈ 1.5) and espeak-ng's words per minute (175 by default).
"""

from __future__ import annotations

from dataclasses import dataclass

CHILD_RATE = 0.85
MIN_RATE = 0.5
MAX_RATE = 1.5

_PIPER_NATURAL_LENGTH_SCALE = 1.27
_ESPEAK_NATURAL_WPM = 175


@dataclass(frozen=True)
class SpeakingRate:
    """A speaking rate relative to natural adult pace; 0.85 (the default) suits small children."""

    rate: float = CHILD_RATE

    def __post_init__(self) -> None:
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise ValueError(
                f"tts speaking rate {self.rate!r} is outside {MIN_RATE}..{MAX_RATE} "
                "(1.0 = natural adult pace, 0.85 suits small children)"
            )

    @property
    def hibari_speed(self) -> float:
        return self.rate

    @property
    def piper_length_scale(self) -> float:
        return round(_PIPER_NATURAL_LENGTH_SCALE / self.rate, 3)

    @property
    def espeak_wpm(self) -> int:
        return round(_ESPEAK_NATURAL_WPM * self.rate)
