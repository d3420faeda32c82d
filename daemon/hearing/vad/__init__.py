"""Voice-activity detectors: Silero VAD v6 (ONNX) by default, an energy detector as fallback.

A detector scores fixed windows of 16 kHz mono float32 audio with a speech probability in 0..1
and keeps whatever state it needs between windows (``reset()`` clears it).
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


class Vad(Protocol):
    """A streaming voice-activity detector."""

    name: str
    window: int  # samples per call, at 16 kHz

    def __call__(self, window: npt.NDArray[np.float32]) -> float: ...

    def reset(self) -> None: ...


def load_vad(kind: str = "auto") -> Vad:
    """Return a detector: ``silero``, ``energy`` or ``auto`` (Silero, energy if it cannot load)."""
    if kind not in ("auto", "silero", "energy"):
        raise ValueError(f"unknown VAD {kind!r}; allowed: auto, silero, energy")
    if kind in ("auto", "silero"):
        from daemon.hearing.vad.silero import SileroUnavailable, SileroVad

        try:
            return SileroVad()
        except SileroUnavailable as exc:
            if kind == "silero":
                raise
            log.warning("Silero VAD unavailable (%s); using the energy VAD", exc)
    from daemon.hearing.vad.energy import EnergyVad

    return EnergyVad()
