"""Health says which turn-taking mode runs and why: barge-in on (with the echo canceller's
ERLE and delay) or off (the config, or no microphone to listen with)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daemon.ops.health import Check
from daemon.ops.health_checks import SyncCheck

if TYPE_CHECKING:
    from daemon.hearing.listener import Listener


def barge_in_check(listener: Listener | None) -> SyncCheck:
    """Always ok (a mode, not a fault); the detail and data describe it."""

    def check() -> Check:
        echo = listener.echo if listener is not None else None
        if listener is None:
            return Check("ok", "barge-in: off (not listening)", {"mode": "off"})
        if echo is None:
            return Check("ok", "barge-in: off: config (audio.barge_in = false)", {"mode": "off"})
        stats = echo.stats
        data: dict[str, Any] = {
            "mode": "on",
            "barge_ins": listener.barge_ins,
            "paused": listener.suspected,  # at a first hit; "resumed" of them were not barge-ins
            "resumed": listener.dismissed,
            **stats.snapshot(),
        }
        if stats.erle_db is None:
            return Check("ok", "barge-in: on (echo canceller, not converged yet)", data)
        return Check(
            "ok",
            f"barge-in: on (echo canceller, ERLE {stats.erle_db:.0f} dB, "
            f"delay {stats.delay_ms or 0:.0f} ms)",
            data,
        )

    return check
