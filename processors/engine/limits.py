"""Admission limits: per-task-type concurrency and a capacity (rate) limit.

A job popped while its type is at its limit is parked in a per-type heap (keeping its priority and
submission order) and goes back to the ready heap when a job of that type ends.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping

from processors.engine.graph import Job
from processors.engine.task import ProcessingType


class TypeLimits:
    """At most ``limit`` running jobs per task type (e.g. one transcription at a time)."""

    def __init__(self, limits: Mapping[ProcessingType | str, int] | None = None) -> None:
        self.limits: dict[str, int] = {}
        self.running: dict[str, int] = {}
        self._parked: dict[str, list[tuple[int, int, Job]]] = {}
        for task_type, limit in (limits or {}).items():
            self.set(task_type, limit)

    def set(self, task_type: ProcessingType | str, limit: int | None) -> None:
        key = str(task_type)
        if limit is None:
            self.limits.pop(key, None)
            return
        if limit < 1:
            raise ValueError(f"concurrency limit for {key!r} must be >= 1, got {limit}")
        self.limits[key] = limit

    def __bool__(self) -> bool:
        return bool(self.limits)

    def try_acquire(self, job: Job, priority: int) -> bool:
        """Take a slot for ``job``'s type, or park the job and return False."""
        key = job.type_key
        limit = self.limits.get(key)
        if limit is None:
            return True
        running = self.running.get(key, 0)
        if running >= limit:
            heapq.heappush(self._parked.setdefault(key, []), (priority, job.key, job))
            return False
        self.running[key] = running + 1
        return True

    def release(self, job: Job) -> Job | None:
        """``job`` left its slot; return the next parked job of its type (to make ready), if any."""
        key = job.type_key
        if key not in self.limits and key not in self.running:
            return None
        if self.running.get(key, 0) > 0:
            self.running[key] -= 1
        parked = self._parked.get(key)
        while parked:
            _, _, nxt = heapq.heappop(parked)
            if nxt.status == "pending":
                return nxt
        return None

    def parked_count(self) -> int:
        return sum(len(p) for p in self._parked.values())


class RateLimiter:
    """At most ``capacity`` job starts per ``refresh_time`` seconds (a fixed window, like the
    executor pattern's ``queue_capacity`` / ``capacity_refresh_time``)."""

    def __init__(self, capacity: int, refresh_time: float) -> None:
        if capacity < 1 or refresh_time <= 0:
            raise ValueError("rate limit needs capacity >= 1 and refresh_time > 0")
        self.capacity = capacity
        self.refresh_time = refresh_time
        self._window_start = time.monotonic()
        self._used = 0
        self.throttled = 0

    def try_acquire(self, now: float) -> float:
        """0.0 if a start is allowed now (and counts it), else seconds until the next window."""
        if now - self._window_start >= self.refresh_time:
            self._window_start = now
            self._used = 0
        if self._used < self.capacity:
            self._used += 1
            return 0.0
        self.throttled += 1
        return self._window_start + self.refresh_time - now


class MemoryGate:
    """At most ``limit`` ``memory_intensive`` tasks run at once (the guide's "special handling"),
    so two big models or buffers never peak together; the rest wait in priority order."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_memory_intensive must be >= 1, got {limit}")
        self.limit = limit
        self.running = 0
        self._parked: list[tuple[int, int, Job]] = []

    def try_acquire(self, job: Job, priority: int) -> bool:
        if self.running >= self.limit:
            heapq.heappush(self._parked, (priority, job.key, job))
            return False
        self.running += 1
        return True

    def release(self) -> Job | None:
        self.running = max(0, self.running - 1)
        while self._parked:
            _, _, nxt = heapq.heappop(self._parked)
            if nxt.status == "pending":
                return nxt
        return None
