"""Energy VAD: the fallback when onnxruntime is unavailable.

Scores a window by its level above an adaptive noise floor (the floor follows quiet windows
quickly and loud ones slowly), mapped to a 0..1 pseudo-probability.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

WINDOW = 512
FLOOR_DB_MIN = -70.0
MARGIN_DB = 12.0  # level above the floor that counts as speech (probability 0.5)
SLOPE_DB = 3.0  # dB per unit of logit: soft decision around the margin


class EnergyVad:
    name = "energy"
    window = WINDOW

    def __init__(self, margin_db: float = MARGIN_DB) -> None:
        self.margin_db = margin_db
        self.reset()

    def reset(self) -> None:
        self._floor_db = -60.0

    def __call__(self, window: npt.NDArray[np.float32]) -> float:
        if window.shape != (WINDOW,):
            raise ValueError(f"energy VAD needs {WINDOW} samples per call, got {window.shape}")
        rms = float(np.sqrt(np.mean(np.square(window, dtype=np.float64))))
        level = 20.0 * math.log10(max(rms, 1e-7))
        above = level - self._floor_db
        # Track the noise floor: fall fast to quiet levels, rise slowly (speech must not lift it).
        rate = 0.3 if level < self._floor_db else 0.005
        self._floor_db = max(FLOOR_DB_MIN, self._floor_db + rate * (level - self._floor_db))
        logit = (above - self.margin_db) / SLOPE_DB
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
