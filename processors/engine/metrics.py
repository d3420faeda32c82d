"""Performance metrics: counters updated in O(1) per task, summarised on demand."""

from __future__ import annotations

import resource
import sys
import time
from collections import deque
from typing import Any

from processors.engine.task import TaskStatus

#: latency samples kept (most recent) for percentiles, globally and per task type
SAMPLES = 4096
TYPE_SAMPLES = 1024
#: seconds of history behind ``current_throughput``
THROUGHPUT_WINDOW = 10


class WorkerStats:
    __slots__ = ("name", "status", "task_id", "tasks_processed", "total_execution_time")

    def __init__(self, name: str) -> None:
        self.name = name
        self.status = "idle"
        self.task_id: str | None = None
        self.tasks_processed = 0
        self.total_execution_time = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tasks_processed": self.tasks_processed,
            "status": self.status,
            "total_execution_time": self.total_execution_time,
            "current_task": self.task_id,
        }


class TypeStats:
    __slots__ = ("counts", "execution", "wait")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {"submitted": 0, **dict.fromkeys(TaskStatus, 0)}
        self.execution: deque[float] = deque(maxlen=TYPE_SAMPLES)
        self.wait: deque[float] = deque(maxlen=TYPE_SAMPLES)


def percentiles(samples: deque[float] | list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(samples)
    last = len(ordered) - 1

    def pick(q: float) -> float:
        return ordered[min(last, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "max": ordered[last]}


def peak_memory_mb() -> float:
    """Peak resident memory of this process (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Metrics:
    """Everything ``get_performance_metrics`` reports except live queue/worker state."""

    def __init__(self, monitoring: bool) -> None:
        self.monitoring = monitoring
        self.started = time.monotonic()
        self.finished = 0
        self.completed = 0
        self.total_execution = 0.0
        self.timed = 0
        self.retries = 0
        self.plugin_errors = 0
        self.hook_errors = 0
        self.execution: deque[float] = deque(maxlen=SAMPLES)
        self.wait: deque[float] = deque(maxlen=SAMPLES)
        self.by_type: dict[str, TypeStats] = {}
        self.second = int(self.started)
        self.buckets: deque[int] = deque([0], maxlen=THROUGHPUT_WINDOW + 1)

    def type_stats(self, key: str) -> TypeStats:
        stats = self.by_type.get(key)
        if stats is None:
            stats = self.by_type[key] = TypeStats()
        return stats

    def submitted(self, key: str) -> None:
        stats = self.by_type.get(key) or self.type_stats(key)
        stats.counts["submitted"] += 1

    # The per-task update lives inlined in ``Outcomes.finish`` (engine/outcomes.py): it
    # counts ``finished``/``completed``, the type's status count, execution-time samples (when
    # monitoring) and the current second's bucket of ``current_throughput``.

    def roll(self, second: int) -> None:
        gap = min(second - self.second, THROUGHPUT_WINDOW + 1)
        for _ in range(max(gap, 1)):
            self.buckets.append(0)
        self.second = second

    def throughput(self, now: float) -> float:
        """Tasks finished per second over the last full seconds of the window."""
        second = int(now)
        if second != self.second:
            self.roll(second)
        full = list(self.buckets)[:-1]
        span = min(len(full), max(1, int(now - self.started)))
        if span == 0:
            return 0.0
        return sum(full[-span:]) / span

    def summary(self, now: float) -> dict[str, Any]:
        uptime = now - self.started
        return {
            "tasks_processed": self.finished,
            "success_rate": 100.0 * self.completed / self.finished if self.finished else 100.0,
            "average_execution_time": self.total_execution / self.timed if self.timed else 0.0,
            "current_throughput": self.throughput(now),
            "uptime_seconds": uptime,
            "peak_memory_usage_mb": peak_memory_mb(),
            "retries": self.retries,
            "plugin_errors": self.plugin_errors,
            "hook_errors": self.hook_errors,
            "latency": {
                "queue_wait_s": percentiles(self.wait),
                "execution_s": percentiles(self.execution),
            },
            "by_type": {
                key: {
                    **stats.counts,
                    "queue_wait_s": percentiles(stats.wait),
                    "execution_s": percentiles(stats.execution),
                }
                for key, stats in self.by_type.items()
            },
        }
