"""What the echo canceller measured: the health check, the log and the benchmark read it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HISTORY = 64  # per-run measurements kept for the health check and the benchmark


@dataclass
class EchoStats:
    delay_ms: float | None = None  # estimated bulk delay (None until measured)
    erle_db: float | None = None  # recent ERLE while only the bear was heard
    echo_blocks: int = 0  # blocks with the bear's voice in the reference
    double_talk_blocks: int = 0
    uncancelled_blocks: int = 0  # echo-only blocks the filter failed on (its path moved)
    solves: int = 0  # least-squares solutions taken (a new room, or an echo path that moved)
    passed_blocks: int = 0  # blocks handed on as heard: the filter's residual was louder
    dropped: int = 0  # filters dropped: they predicted an echo the microphone did not hear
    mic_energy: float = 0.0  # totals over echo-only blocks past the warm-up (whole-run ERLE)
    residual_energy: float = 0.0
    run_delays_ms: list[float] = field(default_factory=list)  # each run's first usable estimate
    # the first 0.5 s of echo of each run and of each start after a pause of 1 s (a reply)
    start_erle_db: list[float] = field(default_factory=list)

    @property
    def total_erle_db(self) -> float | None:
        if self.residual_energy <= 0 or self.mic_energy <= 0:
            return None
        return 10 * float(np.log10(self.mic_energy / self.residual_energy))

    def snapshot(self) -> dict[str, object]:
        return {
            "delay_ms": None if self.delay_ms is None else round(self.delay_ms, 1),
            "erle_db": None if self.erle_db is None else round(self.erle_db, 1),
            "echo_blocks": self.echo_blocks,
            "double_talk_blocks": self.double_talk_blocks,
            "uncancelled_blocks": self.uncancelled_blocks,
            "passed_blocks": self.passed_blocks,
        }


def remember(history: list[float], value: float) -> None:
    """Add a per-run measurement (to 0.1) to ``history``, which keeps the last ``HISTORY``."""
    history.append(round(value, 1))
    del history[:-HISTORY]
