"""Energy VAD: the fallback when onnxruntime is unavailable.

Scores a window by its level above the noise floor, taken as a low percentile of the levels of the
last few seconds (speech has gaps between words, so the floor stays on the background), mapped to
a 0..1 pseudo-probability.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt

WINDOW = 512
HISTORY = 150  # windows of level history (~5 s)
FLOOR_PERCENTILE = 10.0
FLOOR_DB_MIN = -70.0  # digital silence must not make every faint sound "speech"
MARGIN_DB = 12.0  # level above the floor that counts as speech (probability 0.5)
SLOPE_DB = 3.0  # dB per unit of logit: soft decision around the margin


class EnergyVad:
    name = "energy"
    window = WINDOW

    def __init__(self, margin_db: float = MARGIN_DB) -> None:
        self.margin_db = margin_db
        self._levels: deque[float] = deque(maxlen=HISTORY)
        self.reset()

    def reset(self) -> None:
        self._levels.clear()

    def __call__(self, window: npt.NDArray[np.float32]) -> float:
        if window.shape != (WINDOW,):
            raise ValueError(f"energy VAD needs {WINDOW} samples per call, got {window.shape}")
        rms = float(np.sqrt(np.mean(np.square(window, dtype=np.float64))))
        level = 20.0 * math.log10(max(rms, 1e-7))
        self._levels.append(level)
        floor = max(FLOOR_DB_MIN, float(np.percentile(self._levels, FLOOR_PERCENTILE)))
        logit = (level - floor - self.margin_db) / SLOPE_DB
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
