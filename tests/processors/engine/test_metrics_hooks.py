"""Metrics (the guide's fields and more) and lifecycle hooks."""

from __future__ import annotations

import asyncio
import logging

import pytest

from processors import AdvancedAsyncProcessor, ProcessingTask, TaskResult, TaskStatus, create_task


async def _ok(task: ProcessingTask) -> str:
    await asyncio.sleep(0)
    return "ok"


async def _bad(task: ProcessingTask) -> None:
    raise RuntimeError("bad")


async def test_metrics_report_guide_fields_types_and_percentiles(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("ok", _ok)
    processor.register_processor("bad", _bad)
    ids = [await processor.submit_task(create_task("ok", {})) for _ in range(3)]
    ids.append(await processor.submit_task(create_task("bad", {})))
    for task_id in ids:
        await processor.wait_for_task(task_id)
    metrics = await processor.get_performance_metrics()
    assert metrics["tasks_processed"] == 4
    assert metrics["success_rate"] == pytest.approx(75.0)
    assert metrics["average_execution_time"] >= 0.0
    assert metrics["current_throughput"] >= 0.0
    assert metrics["queue_size"] == 0 and metrics["running_tasks"] == 0
    assert metrics["uptime_seconds"] > 0 and metrics["peak_memory_usage_mb"] > 1
    assert len(metrics["worker_stats"]) == 4
    for stats in metrics["worker_stats"].values():
        assert {"tasks_processed", "status", "total_execution_time"} <= set(stats)
    assert sum(s["tasks_processed"] for s in metrics["worker_stats"].values()) == 4
    assert metrics["by_type"]["ok"]["completed"] == 3
    assert metrics["by_type"]["bad"]["failed"] == 1
    assert metrics["by_type"]["ok"]["submitted"] == 3
    assert set(metrics["latency"]["execution_s"]) == {"p50", "p90", "p99", "max"}
    assert metrics["status_counts"] == {
        "pending": 0, "running": 0, "completed": 3, "failed": 1, "cancelled": 0, "timeout": 0,
    }  # fmt: skip


async def test_hooks_sync_and_async_called_in_order(processor: AdvancedAsyncProcessor) -> None:
    events: list[tuple[str, str]] = []
    finished = asyncio.Event()

    def submitted(task: ProcessingTask) -> None:
        events.append(("submitted", task.id))

    async def started(task: ProcessingTask) -> None:
        events.append(("started", task.id))

    def done(task: ProcessingTask, result: TaskResult) -> None:
        events.append(("finished", result.status.value))
        finished.set()

    processor.on_task_submitted(submitted)
    processor.on_task_started(started)
    processor.on_task_finished(done)
    processor.register_processor("ok", _ok)
    task_id = await processor.submit_task(create_task("ok", {}))
    await processor.wait_for_task(task_id)
    await finished.wait()
    await processor.shutdown()  # drains async hooks
    assert events == [("submitted", task_id), ("started", task_id), ("finished", "completed")]


async def test_failing_hooks_are_logged_and_never_break_tasks(
    processor: AdvancedAsyncProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(task: ProcessingTask) -> None:
        raise RuntimeError("hook bug")

    async def broken_async(task: ProcessingTask, result: TaskResult) -> None:
        raise RuntimeError("async hook bug")

    processor.on_task_started(broken)
    remove = processor.on_task_finished(broken_async)
    processor.register_processor("ok", _ok)
    with caplog.at_level(logging.ERROR):
        result = await processor.wait_for_task(await processor.submit_task(create_task("ok", {})))
        await processor.shutdown()
    assert result.status is TaskStatus.COMPLETED
    assert (await processor.get_performance_metrics())["hook_errors"] == 2
    assert "hook bug" in caplog.text
    remove()
    assert not processor.hooks.finished


def test_unknown_hook_event_rejected() -> None:
    with pytest.raises(ValueError, match="unknown hook event"):
        AdvancedAsyncProcessor().add_hook("exploded", print)


async def test_status_counts_are_cumulative_and_o1(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("ok", _ok)
    ids = [await processor.submit_task(create_task("ok", {})) for _ in range(5)]
    assert processor.status_counts()["pending"] + processor.status_counts()["running"] == 5
    for task_id in ids:
        await processor.wait_for_task(task_id)
    assert processor.status_counts()["completed"] == 5


async def test_task_to_dict_is_json_friendly() -> None:
    import json

    task = create_task(
        "audio_transcription", {"audio_data": b"\x00" * 10, "fn": print, "n": 1}, tags={"debug"}
    )
    data = json.loads(json.dumps(task.to_dict()))
    assert data["payload"] == {"audio_data": "<10 bytes>", "fn": "<callable print>", "n": 1}
    assert data["priority_name"] == "NORMAL" and data["tags"] == ["debug"]


async def test_old_finished_results_are_forgotten() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0, keep_finished=3)

    async def work(task: ProcessingTask) -> int:
        return 1

    proc.register_processor("work", work)
    await proc.start()
    ids = [await proc.submit_task(create_task("work", {})) for _ in range(5)]
    await proc.wait_for_task(ids[-1])
    assert await proc.get_task_result(ids[0]) is None  # forgotten: memory stays bounded
    assert (await proc.get_task_result(ids[-1])) is not None
    assert proc.status_counts()["completed"] == 5  # counts stay cumulative
    await proc.shutdown()
