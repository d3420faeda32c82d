"""Prometheus metrics: processor hooks, pipeline events, text exposition."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from daemon.interaction.events import EventKind, PipelineEvent
from daemon.ops.health_checks import processor_check
from daemon.ops.metrics import TeddyMetrics, label_of
from processors import ProcessingTask, TaskStatus, create_processor


class Kind(enum.Enum):
    AI_RESPONSE = "ai_response"
    AUDIO_TRANSCRIPTION = "audio_transcription"


class Priority(enum.IntEnum):
    HIGH = 2
    LOW = 4


class Status(enum.Enum):
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass
class Task:
    id: str
    task_type: Any = Kind.AUDIO_TRANSCRIPTION
    priority: Any = Priority.HIGH


@dataclass
class Result:
    status: Any = Status.COMPLETED
    execution_time: float | None = 0.2
    result: Any = field(default_factory=dict)


def samples(metrics: TeddyMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """name + sorted labels → value, parsed back from the text exposition."""
    text = metrics.render().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_label_of_enums_and_strings() -> None:
    assert label_of(Kind.AI_RESPONSE) == "ai_response"
    assert label_of(Priority.HIGH) == "high"
    assert label_of("word_count") == "word_count"


def test_task_hooks_count_types_statuses_and_gauges() -> None:
    m = TeddyMetrics()
    a, b = Task("a"), Task("b", task_type="word_count", priority=3)
    m.on_task_submitted(a)
    m.on_task_submitted(b)
    s = samples(m)
    assert s[("teddy_queue_depth", ())] == 2
    m.on_task_started(a)
    s = samples(m)
    assert (s[("teddy_queue_depth", ())], s[("teddy_running_tasks", ())]) == (1, 1)
    m.on_task_finished(a, Result())
    m.on_task_finished(b, Result(status=Status.FAILED, execution_time=None))  # never started
    s = samples(m)
    assert (s[("teddy_queue_depth", ())], s[("teddy_running_tasks", ())]) == (0, 0)
    assert s[("teddy_tasks_total", (("status", "completed"), ("type", "audio_transcription")))] == 1
    assert s[("teddy_tasks_total", (("status", "failed"), ("type", "word_count")))] == 1
    assert s[("teddy_tasks_submitted_total", (("priority", "3"), ("type", "word_count")))] == 1
    assert s[("teddy_task_duration_seconds_count", (("type", "audio_transcription"),))] == 1
    assert ("teddy_task_duration_seconds_count", (("type", "word_count"),)) not in s


def test_offline_replies_are_counted_by_reason() -> None:
    m = TeddyMetrics()
    task = Task("r", task_type=Kind.AI_RESPONSE)
    m.on_task_finished(task, Result(result={"offline": True, "offline_reason": "no_api_key"}))
    m.on_task_finished(task, Result(result={"offline": False}))
    s = samples(m)
    assert s[("teddy_llm_offline_replies_total", (("reason", "no_api_key"),))] == 1


def _event(kind: EventKind, t: float, **data: Any) -> PipelineEvent:
    return PipelineEvent(kind, "i1", t=t, data=data)


def test_pipeline_events_feed_latency_histograms_and_counters() -> None:
    m = TeddyMetrics()
    m.on_event(_event(EventKind.SPEECH_ENDED, 10.0))
    m.on_event(_event(EventKind.STT_DONE, 10.3))
    m.on_event(_event(EventKind.TTS_FIRST_AUDIO, 10.7))
    m.on_event(_event(EventKind.ALERT_SENT, 10.8, rule="fear", channels=["log", "webhook"]))
    m.on_event(_event(EventKind.ERROR, 10.9, step="alerts", error="boom"))
    m.on_event(_event(EventKind.INTERACTION_DONE, 11.5, status="done"))
    m.on_event(_event(EventKind.STT_DONE, 12.0))  # after done: no start any more, ignored
    s = samples(m)
    assert s[("teddy_interaction_latency_seconds_count", (("stage", "stt_done"),))] == 1
    assert abs(s[("teddy_interaction_latency_seconds_sum", (("stage", "stt_done"),))] - 0.3) < 1e-9
    assert s[("teddy_interaction_latency_seconds_count", (("stage", "tts_first_audio"),))] == 1
    assert abs(s[("teddy_interaction_latency_seconds_sum", (("stage", "total"),))] - 1.5) < 1e-9
    assert s[("teddy_alerts_sent_total", (("channel", "webhook"),))] == 1
    assert s[("teddy_pipeline_errors_total", (("step", "alerts"),))] == 1
    assert s[("teddy_interactions_total", (("status", "done"),))] == 1


def test_overflow_totals_become_counter_increments() -> None:
    m = TeddyMetrics()
    m.set_audio_overflows(2)
    m.set_audio_overflows(2)
    m.set_audio_overflows(5)
    assert samples(m)[("teddy_audio_overflows_total", ())] == 5


def test_loop_lag_gauge_and_histogram() -> None:
    m = TeddyMetrics()
    m.observe_loop_lag(0.02)
    s = samples(m)
    assert s[("teddy_event_loop_lag_seconds", ())] == 0.02
    assert s[("teddy_event_loop_lag_sample_seconds_count", ())] == 1


def test_each_instance_has_its_own_registry() -> None:
    first, second = TeddyMetrics(), TeddyMetrics()
    first.set_audio_overflows(1)
    assert samples(second)[("teddy_audio_overflows_total", ())] == 0


async def test_attached_to_a_real_processor() -> None:
    processor = await create_processor(max_workers=2)
    m = TeddyMetrics()
    detach = m.attach(processor)
    try:
        processor.register_processor("echo", lambda task: {"echo": task.payload["x"]})

        def boom(task: ProcessingTask) -> None:
            raise ValueError("bad input")

        processor.register_processor("boom", boom)
        ok = await processor.submit_task(ProcessingTask("echo", {"x": 1}))
        bad = await processor.submit_task(ProcessingTask("boom", {}, max_retries=0))
        assert (await processor.wait_for_task(ok, timeout=10)).status is TaskStatus.COMPLETED
        assert (await processor.wait_for_task(bad, timeout=10)).status is TaskStatus.FAILED
        check = await processor_check(processor)()
        assert check.state == "degraded"  # 1 of 2 failed: success rate 50 % < 95 %
        assert "low_success_rate" in check.detail
    finally:
        detach()
        await processor.shutdown()
    s = samples(m)
    assert s[("teddy_tasks_total", (("status", "completed"), ("type", "echo")))] == 1
    assert s[("teddy_tasks_total", (("status", "failed"), ("type", "boom")))] == 1
    assert s[("teddy_tasks_submitted_total", (("priority", "normal"), ("type", "echo")))] == 1
    assert (s[("teddy_queue_depth", ())], s[("teddy_running_tasks", ())]) == (0, 0)
    assert (await processor_check(processor)()).state == "unhealthy"  # shut down
