"""Health names the turn-taking mode: barge-in off (and why) or on (with ERLE and delay)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from daemon.hearing.echo import EchoCanceller, PlaybackReference
from daemon.ops.bargein_check import barge_in_check


def _listener(echo: Any) -> Any:
    return SimpleNamespace(echo=echo, barge_ins=2, suspected=5, dismissed=3)


def test_off_by_config_and_when_not_listening() -> None:
    assert (
        barge_in_check(_listener(None))().detail == "barge-in: off: config (audio.barge_in = false)"
    )
    assert barge_in_check(None)().detail == "barge-in: off (not listening)"


def test_on_names_the_echo_canceller_and_its_erle() -> None:
    echo = EchoCanceller(PlaybackReference())
    check = barge_in_check(_listener(echo))
    first = check()
    assert first.state == "ok" and "not converged" in first.detail
    echo.stats.erle_db, echo.stats.delay_ms = 18.4, 45.0
    result = check()
    assert result.detail == "barge-in: on (echo canceller, ERLE 18 dB, delay 45 ms)"
    assert result.data["mode"] == "on" and result.data["barge_ins"] == 2
    assert result.data["paused"] == 5 and result.data["resumed"] == 3  # 3 gaps, not barge-ins
