"""Capture health, as the health endpoint reads it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CaptureState:
    """Mutable, owned by the capture loop; read-only for everyone else (use :meth:`snapshot`)."""

    present: bool = False  # a stream is open and delivering audio
    reason: str | None = "not started"  # why not present (None when healthy)
    overflows: int = 0  # PortAudio input overflows + ring-buffer overwrites
    queue_age_s: float = 0.0  # backlog between the callback and the consumer
    device: str | None = None  # name of the open device
    sample_rate: int | None = None  # the device's rate (resampled to 16 kHz when different)
    restarts: int = 0  # times the stream was (re)opened after a failure

    @property
    def degraded(self) -> bool:
        return not self.present

    def snapshot(self) -> dict[str, object]:
        return {
            "present": self.present,
            "reason": self.reason,
            "overflows": self.overflows,
            "queue_age_s": round(self.queue_age_s, 3),
            "device": self.device,
            "sample_rate": self.sample_rate,
            "restarts": self.restarts,
        }
