"""Typed, timestamped pipeline events: the one source of latency metrics, logs and history timings.

Every event carries a monotonic timestamp (for latencies) and a wall-clock one (for people). Stage
latencies are always measured from the interaction's ``speech_ended`` event.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    SPEECH_ENDED = "speech_ended"
    STT_DONE = "stt_done"
    EMOTION_DONE = "emotion_done"
    LLM_FIRST_TOKEN = "llm_first_token"
    TTS_FIRST_AUDIO = "tts_first_audio"
    REPLY_DONE = "reply_done"
    ALERT_SENT = "alert_sent"
    INTERACTION_DONE = "interaction_done"
    ERROR = "error"


#: Stages whose latency (from speech_ended) is exported, in pipeline order.
LATENCY_STAGES: tuple[EventKind, ...] = (
    EventKind.STT_DONE,
    EventKind.EMOTION_DONE,
    EventKind.LLM_FIRST_TOKEN,
    EventKind.TTS_FIRST_AUDIO,
    EventKind.REPLY_DONE,
    EventKind.INTERACTION_DONE,
)


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    kind: EventKind
    interaction_id: str
    t: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[PipelineEvent], Awaitable[None] | None]


class EventBus:
    """Fan-out of pipeline events; a failing subscriber is logged and never breaks the pipeline."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def emit(self, event: PipelineEvent) -> None:
        for subscriber in self._subscribers:
            try:
                outcome = subscriber(event)
                if asyncio.iscoroutine(outcome):
                    await outcome
            except Exception:
                log.exception("event subscriber %r failed on %s", subscriber, event.kind)


class LatencyTracker:
    """Per-stage latencies (seconds since speech_ended) over the last ``window`` interactions."""

    def __init__(self, window: int = 200) -> None:
        self._start: dict[str, float] = {}
        self._samples: dict[EventKind, deque[float]] = {
            kind: deque(maxlen=window) for kind in LATENCY_STAGES
        }

    def __call__(self, event: PipelineEvent) -> None:
        if event.kind is EventKind.SPEECH_ENDED:
            self._start[event.interaction_id] = event.t
            return
        start = self._start.get(event.interaction_id)
        if start is None:
            return
        if event.kind in self._samples:
            self._samples[event.kind].append(event.t - start)
        if event.kind is EventKind.INTERACTION_DONE:
            del self._start[event.interaction_id]

    def summary(self) -> dict[str, dict[str, float | int]]:
        out: dict[str, dict[str, float | int]] = {}
        for kind, samples in self._samples.items():
            if not samples:
                continue
            ordered = sorted(samples)
            out[kind.value] = {
                "count": len(ordered),
                "p50_s": _percentile(ordered, 0.50),
                "p95_s": _percentile(ordered, 0.95),
                "max_s": ordered[-1],
            }
        return out


def _percentile(ordered: list[float], q: float) -> float:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def log_event(event: PipelineEvent) -> None:
    """A bus subscriber: every event as one DEBUG line (the daemon subscribes it)."""
    log.debug("event %s %s %s", event.kind.value, event.interaction_id, event.data or "")
