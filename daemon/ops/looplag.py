"""Event-loop lag monitor: how late a periodic ``asyncio.sleep`` wakes up.

A blocked loop (model work done on it by mistake, a slow synchronous call) delays every timer, so
the drift of one cheap periodic sleep is a direct measure of how responsive the daemon is. The
monitor keeps the last sample and a short window of recent ones; health and metrics read them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

LagListener = Callable[[float], None]


class LoopLagMonitor:
    """Samples loop lag every ``interval_s`` seconds; keeps the last ``window`` samples."""

    def __init__(
        self,
        interval_s: float = 0.5,
        window: int = 120,
        on_sample: LagListener | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window!r}")
        self.interval_s = interval_s
        self._samples: deque[float] = deque(maxlen=window)
        self._listeners: list[LagListener] = [on_sample] if on_sample is not None else []
        self._task: asyncio.Task[None] | None = None
        self._max_ever = 0.0

    def add_listener(self, listener: LagListener) -> None:
        """Call ``listener(lag_s)`` after every sample (e.g. a Prometheus gauge setter)."""
        self._listeners.append(listener)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def samples(self) -> int:
        return len(self._samples)

    @property
    def current_s(self) -> float:
        """Lag of the most recent sample (0.0 before the first one)."""
        return self._samples[-1] if self._samples else 0.0

    @property
    def max_s(self) -> float:
        """Largest lag within the recent window."""
        return max(self._samples, default=0.0)

    @property
    def max_ever_s(self) -> float:
        """Largest lag since the monitor was created."""
        return self._max_ever

    async def sample(self, interval_s: float | None = None) -> float:
        """Sleep once and record how late the wake-up was (seconds, >= 0)."""
        loop = asyncio.get_running_loop()
        wanted = self.interval_s if interval_s is None else interval_s
        start = loop.time()
        await asyncio.sleep(wanted)
        lag = max(0.0, loop.time() - start - wanted)
        self._record(lag)
        return lag

    def _record(self, lag: float) -> None:
        self._samples.append(lag)
        self._max_ever = max(self._max_ever, lag)
        for listener in self._listeners:
            try:
                listener(lag)
            except Exception:
                # A broken listener must not stop the measurements health relies on.
                log.exception("loop-lag listener %r failed", listener)

    def start(self) -> None:
        """Start sampling in the running loop (idempotent)."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="teddy-looplag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while True:
            await self.sample()

    def snapshot(self) -> dict[str, float | int]:
        return {
            "current_s": round(self.current_s, 4),
            "max_s": round(self.max_s, 4),
            "max_ever_s": round(self.max_ever_s, 4),
            "samples": self.samples,
            "interval_s": self.interval_s,
        }
