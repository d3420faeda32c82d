"""Retry policy: exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Delay before retry ``n`` (1-based): ``base * 2**(n-1)``, capped at ``max_delay``, times a
    random factor in [1 - jitter, 1] so that retries of many failed tasks do not fire together."""

    base_delay: float = 0.1
    max_delay: float = 10.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_delay < 0 or self.max_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("retry delays must be >= 0 and jitter within [0, 1]")

    def delay(self, retry: int) -> float:
        raw = min(self.max_delay, self.base_delay * 2 ** max(0, retry - 1))
        return float(raw * (1.0 - self.jitter * random.random()))
