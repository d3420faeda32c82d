"""The unit that flows from capture/replay to endpointing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
BLOCK = 512  # 32 ms at 16 kHz: one Silero VAD window


@dataclass(frozen=True, eq=False)
class AudioFrame:
    """A block of 16 kHz mono float32 audio; ``t`` = monotonic time of its first sample.

    ``lost``: the device dropped samples just before (or within) this frame (an input
    overflow), so its samples do not follow the previous frame's one for one, though its stamp
    may say they do (a loss shorter than the stamp clock's slack does not move it)."""

    t: float
    samples: npt.NDArray[np.float32] = field(repr=False)
    lost: bool = False

    @property
    def duration_s(self) -> float:
        return self.samples.size / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.t + self.duration_s
