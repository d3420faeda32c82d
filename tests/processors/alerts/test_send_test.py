"""The parent's "send a test alert": every channel is tried now, past the rules and limits."""

from __future__ import annotations

from typing import Any

from processors.alerts.channels.base import Delivery
from processors.alerts.limits import AlertLimiter
from processors.alerts.stage import AlertStage


class _Recorder:
    def __init__(self, name: str, ok: bool) -> None:
        self.name, self.ok, self.events = name, ok, []  # type: ignore[var-annotated]

    async def send(self, event: dict[str, Any]) -> Delivery:
        self.events.append(event)
        return Delivery(self.name, self.ok, error=None if self.ok else "refused")


class _Broken:
    name = "broken"

    async def send(self, event: dict[str, Any]) -> Delivery:
        raise RuntimeError("bug in a channel")


async def test_send_test_reaches_every_channel_and_reports_each() -> None:
    good, bad = _Recorder("good", True), _Recorder("bad", False)
    stage = AlertStage(limiter=AlertLimiter(max_alerts=1), channels=[good, bad, _Broken()])
    for _ in range(3):  # the rate limit (1 per window) does not hold a test back
        deliveries = await stage.send_test()
    assert [(d.channel, d.ok) for d in deliveries] == [
        ("good", True),
        ("bad", False),
        ("broken", False),
    ]
    assert len(good.events) == 3
    event = good.events[0]
    assert event["type"] == "teddy.test"
    assert event["alerts"][0]["severity"] == "info"
