"""Deduplication within a window and the rate limit (urgent alerts are never rate limited)."""

from __future__ import annotations

from processors.alerts.limits import AlertLimiter
from processors.alerts.rules import Alert


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def alert(rule: str, severity: str = "warning") -> Alert:
    return Alert(rule, severity, "message")


def test_same_rule_is_suppressed_within_the_dedup_window() -> None:
    clock = Clock()
    limiter = AlertLimiter(dedup_window_s=600, clock=clock)
    assert limiter.admit(alert("emotion:fear")) is None
    clock.now = 599
    assert limiter.admit(alert("emotion:fear")) == "duplicate"
    assert limiter.admit(alert("emotion:anger")) is None
    clock.now = 600
    assert limiter.admit(alert("emotion:fear")) is None


def test_rate_limit_caps_alerts_per_window() -> None:
    clock = Clock()
    limiter = AlertLimiter(dedup_window_s=0, max_alerts=2, rate_window_s=3600, clock=clock)
    assert limiter.admit(alert("a")) is None
    assert limiter.admit(alert("b")) is None
    assert limiter.admit(alert("c")) == "rate_limited"
    clock.now = 3600
    assert limiter.admit(alert("c")) is None


def test_urgent_alerts_bypass_the_rate_limit_but_not_dedup() -> None:
    clock = Clock()
    limiter = AlertLimiter(dedup_window_s=60, max_alerts=1, clock=clock)
    assert limiter.admit(alert("a")) is None
    assert limiter.admit(alert("input_safety:self_harm", "urgent")) is None
    assert limiter.admit(alert("input_safety:self_harm", "urgent")) == "duplicate"
