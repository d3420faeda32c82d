"""Keeps parents from being flooded: the same rule once per dedup window, few alerts per hour.

Urgent alerts (self-harm, abuse...) are still deduplicated but never rate limited: a parent must
hear about them even after a noisy afternoon.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from processors.alerts.rules import Alert


class AlertLimiter:
    """Admits or suppresses alerts; ``admit`` returns None or why it was suppressed."""

    def __init__(
        self,
        dedup_window_s: float = 900.0,
        max_alerts: int = 10,
        rate_window_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if dedup_window_s < 0 or max_alerts < 1 or rate_window_s <= 0:
            raise ValueError(
                "alerts limits: dedup_window_s >= 0, max_alerts >= 1, rate_window_s > 0"
            )
        self.dedup_window_s = dedup_window_s
        self.max_alerts = max_alerts
        self.rate_window_s = rate_window_s
        self._clock = clock
        self._last_by_rule: dict[str, float] = {}
        self._sent: deque[float] = deque()

    def admit(self, alert: Alert) -> str | None:
        now = self._clock()
        last = self._last_by_rule.get(alert.rule)
        if last is not None and now - last < self.dedup_window_s:
            return "duplicate"
        while self._sent and now - self._sent[0] >= self.rate_window_s:
            self._sent.popleft()
        if alert.severity != "urgent" and len(self._sent) >= self.max_alerts:
            return "rate_limited"
        self._last_by_rule[alert.rule] = now
        self._sent.append(now)
        return None
