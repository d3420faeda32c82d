"""Snapshot and restore of unfinished tasks."""

from __future__ import annotations

import json

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    SnapshotError,
    TaskPriority,
    TaskStatus,
    create_task,
)
from tests.processors.engine.conftest import Blocker


async def test_snapshot_and_restore_pending_tasks(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    proc.register_processor("block", blocker)
    await proc.start()
    first = create_task("block", {"value": "stt"})
    await proc.submit_task(first)
    await blocker.entered.wait()
    done = create_task("step", {"value": 1}, TaskPriority.HIGH, timeout=5.0, tags={"a"})
    proc.set_concurrency_limit("step", 1)
    await proc.submit_task(done)
    child = create_task("step", {"value": 2}, depends_on=[done.id, first.id])
    await proc.submit_task(child)
    data = json.loads(json.dumps(proc.snapshot()))  # survives a trip through a file
    assert [t["id"] for t in data["tasks"]] == [first.id, done.id, child.id]
    await proc.shutdown(timeout=0)

    seen: list[tuple[str, object]] = []

    async def step(task: ProcessingTask) -> object:
        seen.append((task.id, task.payload["value"]))
        return task.payload["value"]

    fresh = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    fresh.register_processor("step", step)

    async def block_again(task: ProcessingTask) -> str:
        return "redone"

    fresh.register_processor("block", block_again)
    await fresh.start()
    ids = await fresh.restore(data)
    assert ids == [first.id, done.id, child.id]
    result = await fresh.wait_for_task(child.id)
    assert result.status is TaskStatus.COMPLETED
    assert seen == [(done.id, 1), (child.id, 2)]
    assert child.id in [i for i, _ in seen]
    await fresh.shutdown()


async def test_snapshot_keeps_results_of_finished_dependencies(
    processor: AdvancedAsyncProcessor, blocker: Blocker
) -> None:
    async def make(task: ProcessingTask) -> dict[str, str]:
        return {"text": "hello"}

    processor.register_processor("make", make)
    processor.register_processor("block", blocker)
    made = create_task("make", {})
    await processor.wait_for_task(await processor.submit_task(made))
    hold = create_task("block", {})
    await processor.submit_task(hold)
    waiting = create_task("use", {}, depends_on=[made.id, hold.id])
    await processor.submit_task(waiting)
    entry = next(t for t in processor.snapshot()["tasks"] if t["id"] == waiting.id)
    assert entry["dependency_results"] == {made.id: {"text": "hello"}}
    blocker.release.set()


async def test_unserializable_payload_is_a_clear_error(
    processor: AdvancedAsyncProcessor, blocker: Blocker
) -> None:
    processor.register_processor("block", blocker)
    hold = create_task("block", {})
    await processor.submit_task(hold)
    await blocker.entered.wait()
    bad = create_task("block", {"audio": b"\x00\x01"})
    await processor.submit_task(bad)
    with pytest.raises(SnapshotError, match=bad.id):
        processor.snapshot()
    data = processor.snapshot(skip_unserializable=True)
    assert [s["id"] for s in data["skipped"]] == [bad.id]
    blocker.release.set()


async def test_restore_rejects_garbage(processor: AdvancedAsyncProcessor) -> None:
    with pytest.raises(SnapshotError):
        await processor.restore({"version": 99})
    with pytest.raises(SnapshotError, match="malformed"):
        await processor.restore({"version": 1, "tasks": [{"id": "x"}]})
