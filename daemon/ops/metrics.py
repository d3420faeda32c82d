"""Prometheus metrics of the daemon, on a dedicated CollectorRegistry.

The daemon wires three feeds into one :class:`TeddyMetrics`:

- processor hooks: :meth:`on_task_submitted`, :meth:`on_task_started`, :meth:`on_task_finished`
  (tasks by type/status, durations, queue depth, running tasks, offline LLM replies);
- pipeline events: :meth:`on_event` subscribed to the ``EventBus`` (latency per stage measured from
  ``speech_ended``, alerts by channel, pipeline errors, interactions by status);
- parts' counters: :meth:`set_audio_overflows`, :meth:`observe_loop_lag`.

Tasks and results are duck-typed (``task_type``, ``priority``, ``id``; ``status``,
``execution_time``, ``result``) so this module does not depend on the processor's classes.
"""

from __future__ import annotations

import enum
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from daemon.interaction.events import EventKind, PipelineEvent
from processors.results import Reply

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Latency histogram label per event kind; ``total`` is speech end → interaction done.
LATENCY_LABELS: dict[EventKind, str] = {
    EventKind.STT_DONE: "stt_done",
    EventKind.EMOTION_DONE: "emotion_done",
    EventKind.LLM_FIRST_TOKEN: "llm_first_token",
    EventKind.TTS_FIRST_AUDIO: "tts_first_audio",
    EventKind.REPLY_DONE: "reply_done",
    EventKind.INTERACTION_DONE: "total",
}

_LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0)
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Interactions whose speech_ended we remember while waiting for their later events.
_MAX_OPEN_INTERACTIONS = 256


class TaskLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def task_type(self) -> Any: ...
    @property
    def priority(self) -> Any: ...


class HookHost(Protocol):
    def add_hook(self, event: str, hook: Callable[..., Any]) -> Callable[[], None]: ...


class ResultLike(Protocol):
    @property
    def status(self) -> Any: ...
    @property
    def execution_time(self) -> float | None: ...
    @property
    def result(self) -> Any: ...


def label_of(value: Any) -> str:
    """An enum's value (``ProcessingType.AI_RESPONSE`` → ``ai_response``), else ``str(value)``."""
    if isinstance(value, enum.Enum):
        if isinstance(value.value, str):
            return value.value
        return value.name.lower()
    return str(value)


class TeddyMetrics:
    def __init__(self, registry: CollectorRegistry | None = None, namespace: str = "teddy") -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        ns, reg = namespace, self.registry
        self.tasks_submitted = Counter(
            "tasks_submitted", "Tasks submitted to the processor", ["type", "priority"],
            namespace=ns, registry=reg,
        )  # fmt: skip
        self.tasks = Counter(
            "tasks", "Finished tasks by type and final status", ["type", "status"],
            namespace=ns, registry=reg,
        )  # fmt: skip
        self.task_duration = Histogram(
            "task_duration_seconds", "Task execution time by type", ["type"],
            buckets=_DURATION_BUCKETS, namespace=ns, registry=reg,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "queue_depth", "Tasks submitted and not yet started", namespace=ns, registry=reg
        )
        self.running_tasks = Gauge(
            "running_tasks", "Tasks currently executing", namespace=ns, registry=reg
        )
        self.interaction_latency = Histogram(
            "interaction_latency_seconds", "Seconds from end of speech to each pipeline stage",
            ["stage"], buckets=_LATENCY_BUCKETS, namespace=ns, registry=reg,
        )  # fmt: skip
        self.interactions = Counter(
            "interactions", "Interactions by final status", ["status"], namespace=ns, registry=reg
        )
        self.pipeline_errors = Counter(
            "pipeline_errors", "Failed pipeline steps", ["step"], namespace=ns, registry=reg
        )
        self.utterances_dropped = Counter(
            "utterances_dropped", "Utterances heard but not answered (a journal row each)",
            ["reason"], namespace=ns, registry=reg,
        )  # fmt: skip
        self.history_held_writes = Gauge(
            "history_held_writes", "History writes kept in memory until the disk accepts them",
            namespace=ns, registry=reg,
        )  # fmt: skip
        self.audio_overflows = Counter(
            "audio_overflows", "Audio input overflows (samples lost)", namespace=ns, registry=reg
        )
        self.alerts_sent = Counter(
            "alerts_sent", "Parent alerts sent by channel", ["channel"], namespace=ns, registry=reg
        )
        self.llm_offline_replies = Counter(
            "llm_offline_replies", "Replies given by the offline responder", ["reason"],
            namespace=ns, registry=reg,
        )  # fmt: skip
        self.loop_lag = Gauge(
            "event_loop_lag_seconds", "Latest event-loop lag sample", namespace=ns, registry=reg
        )
        self.loop_lag_hist = Histogram(
            "event_loop_lag_sample_seconds", "Event-loop lag samples",
            buckets=_LAG_BUCKETS, namespace=ns, registry=reg,
        )  # fmt: skip
        self._queued: set[str] = set()
        self._running: set[str] = set()
        # Read at scrape time: nothing to update per task.
        self.queue_depth.set_function(lambda: len(self._queued))
        self.running_tasks.set_function(lambda: len(self._running))
        self._overflows_seen = 0
        self._speech_end: OrderedDict[str, float] = OrderedDict()

    # -- processor hooks ----------------------------------------------------------------------

    def attach(self, processor: HookHost) -> Callable[[], None]:
        """Register the three task hooks on ``processor``; returns a function removing them."""
        removers = [
            processor.add_hook("submitted", self.on_task_submitted),
            processor.add_hook("started", self.on_task_started),
            processor.add_hook("finished", self.on_task_finished),
        ]

        def detach() -> None:
            for remove in removers:
                remove()

        return detach

    def on_task_submitted(self, task: TaskLike) -> None:
        self.tasks_submitted.labels(label_of(task.task_type), label_of(task.priority)).inc()
        self._queued.add(str(task.id))

    def on_task_started(self, task: TaskLike) -> None:
        self._queued.discard(str(task.id))
        self._running.add(str(task.id))

    def on_task_finished(self, task: TaskLike, result: ResultLike) -> None:
        task_id, kind = str(task.id), label_of(task.task_type)
        self._queued.discard(task_id)
        self._running.discard(task_id)
        self.tasks.labels(kind, label_of(result.status)).inc()
        duration = result.execution_time
        if isinstance(duration, int | float) and duration >= 0:
            self.task_duration.labels(kind).observe(float(duration))
        reply = Reply.of(result.result) if kind == "ai_response" else None
        if reply is not None and reply.offline:
            self.record_offline_reply(reply.offline_reason)

    def record_offline_reply(self, reason: str | None) -> None:
        self.llm_offline_replies.labels(reason or "unknown").inc()

    # -- pipeline events ----------------------------------------------------------------------

    def on_event(self, event: PipelineEvent) -> None:
        kind = event.kind
        if kind is EventKind.SPEECH_ENDED:
            self._speech_end[event.interaction_id] = event.t
            while len(self._speech_end) > _MAX_OPEN_INTERACTIONS:
                self._speech_end.popitem(last=False)
            return
        if kind is EventKind.ALERT_SENT:
            for channel in event.data.get("channels") or ("unknown",):
                self.alerts_sent.labels(str(channel)).inc()
        elif kind is EventKind.ERROR:
            self.pipeline_errors.labels(str(event.data.get("step") or "unknown")).inc()
        elif kind is EventKind.INTERACTION_DONE:
            self.interactions.labels(str(event.data.get("status") or "done")).inc()
        stage = LATENCY_LABELS.get(kind)
        start = self._speech_end.get(event.interaction_id)
        if stage is not None and start is not None:
            self.interaction_latency.labels(stage).observe(max(0.0, event.t - start))
        if kind is EventKind.INTERACTION_DONE:
            self._speech_end.pop(event.interaction_id, None)

    # -- other parts --------------------------------------------------------------------------

    def set_audio_overflows(self, total: int) -> None:
        """Report capture's running overflow total; the counter grows by the difference."""
        if total > self._overflows_seen:
            self.audio_overflows.inc(total - self._overflows_seen)
        self._overflows_seen = max(self._overflows_seen, total)

    def count_drop(self, reason: str) -> None:
        self.utterances_dropped.labels(reason).inc()

    def watch_history(self, held: Callable[[], int]) -> None:
        """Read the history backlog size at scrape time."""
        self.history_held_writes.set_function(lambda: float(held()))

    def observe_loop_lag(self, lag_s: float) -> None:
        """A ``LoopLagMonitor`` listener."""
        self.loop_lag.set(lag_s)
        self.loop_lag_hist.observe(lag_s)

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
