"""A dependent submitted before its dependency waits for it; one that never arrives is reported."""

from __future__ import annotations

import asyncio
import json

import pytest

from processors import (
    AdvancedAsyncProcessor,
    DependencyCycle,
    TaskStatus,
    create_task,
)
from tests.processors.engine import helpers


async def test_dependent_submitted_first_waits_for_its_dependency(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("echo", helpers.echo)
    first = create_task("echo", {"name": "first"})
    second = create_task("echo", {"name": "second"}, depends_on=[first.id])
    third = create_task("echo", {"name": "third"}, depends_on=[second.id, first.id])
    await processor.submit_task(third)  # both its dependencies are unknown yet
    await processor.submit_task(second)
    await asyncio.sleep(0.01)
    assert await processor.get_task_status(third.id) is TaskStatus.PENDING
    metrics = await processor.get_performance_metrics()
    assert metrics["waiting_for_unknown"] == 2
    await processor.submit_task(first)
    result = await processor.wait_for_task(third.id, timeout=5)
    assert result.status is TaskStatus.COMPLETED
    assert set(result.result["deps"]) == {first.id, second.id}
    assert (await processor.get_performance_metrics())["waiting_for_unknown"] == 0
    assert not processor.task_manager.awaiting


async def test_late_dependency_that_fails_cancels_the_waiting_dependents(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("boom", helpers.boom)
    processor.register_processor("echo", helpers.echo)
    root = create_task("boom", {})
    child = create_task("echo", {}, depends_on=[root.id])
    grandchild = create_task("echo", {}, depends_on=[child.id])
    await processor.submit_task(grandchild)
    await processor.submit_task(child)
    await processor.submit_task(root)
    for task in (child, grandchild):
        result = await processor.wait_for_task(task.id, timeout=5)
        assert result.status is TaskStatus.CANCELLED and result.caused_by == root.id
        assert "speaker on fire" in (result.error or "")


async def test_late_dependency_cancelled_on_arrival_cascades(
    processor: AdvancedAsyncProcessor,
) -> None:
    """The awaited task itself depends on one that already failed: it is cancelled as it is
    submitted, and so is what waited for it."""
    processor.register_processor("boom", helpers.boom)
    processor.register_processor("echo", helpers.echo)
    failed = create_task("boom", {})
    await processor.wait_for_task(await processor.submit_task(failed))
    middle = create_task("echo", {}, depends_on=[failed.id])
    waiting = create_task("echo", {}, depends_on=[middle.id])
    await processor.submit_task(waiting)
    await processor.submit_task(middle)
    result = await processor.wait_for_task(waiting.id, timeout=5)
    assert result.status is TaskStatus.CANCELLED and result.caused_by == failed.id


async def test_orphans_are_reported_after_orphan_after_s() -> None:
    proc = AdvancedAsyncProcessor(max_workers=2, queue_size=0, orphan_after_s=0.05)
    proc.register_processor("echo", helpers.echo)
    await proc.start()
    orphan = create_task("echo", {}, depends_on=["never-submitted", "also-missing"])
    await proc.submit_task(orphan)
    fresh = await proc.get_performance_metrics()
    assert fresh["waiting_for_unknown"] == 1
    assert fresh["orphaned_count"] == 0 and fresh["orphaned"] == []
    await asyncio.sleep(0.08)
    metrics = await proc.get_performance_metrics()
    assert metrics["orphaned_count"] == 1
    [entry] = metrics["orphaned"]
    assert entry["id"] == orphan.id and entry["task_type"] == "echo"
    assert entry["missing"] == ["never-submitted", "also-missing"]
    assert entry["waiting_s"] >= 0.05
    json.dumps(metrics)  # /status serves it as is
    await proc.shutdown()


async def test_orphan_list_is_bounded() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0, orphan_after_s=0.0)
    for i in range(50):
        await proc.submit_task(create_task("echo", {}, depends_on=[f"missing-{i}"]))
    metrics = await proc.get_performance_metrics()
    assert metrics["waiting_for_unknown"] == metrics["orphaned_count"] == 50
    assert len(metrics["orphaned"]) == 20
    await proc.shutdown()


async def test_cancel_a_waiting_task(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("echo", helpers.echo)
    waiting = create_task("echo", {}, depends_on=["later"])
    behind = create_task("echo", {}, depends_on=[waiting.id])
    await processor.submit_task(waiting)
    await processor.submit_task(behind)
    assert await processor.cancel_task(waiting.id)
    assert (await processor.wait_for_task(behind.id)).caused_by == waiting.id
    assert not processor.task_manager.awaiting
    assert (await processor.get_performance_metrics())["waiting_for_unknown"] == 0
    later = create_task("echo", {}, id="later")  # arriving now releases nobody
    assert (await processor.wait_for_task(await processor.submit_task(later))).result


async def test_shutdown_cancels_waiting_tasks() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    await proc.start()
    waiting = create_task("echo", {}, depends_on=["never"])
    await proc.submit_task(waiting)
    await proc.shutdown(timeout=5, drain=True)  # drain must not wait for it
    result = await proc.get_task_result(waiting.id)
    assert result is not None and result.status is TaskStatus.CANCELLED
    assert "never" in (result.error or "")


async def test_cycle_through_a_waiting_task_is_rejected(
    processor: AdvancedAsyncProcessor,
) -> None:
    a = create_task("echo", {})
    b = create_task("echo", {}, depends_on=[a.id])
    c = create_task("echo", {}, depends_on=[b.id])
    a.depends_on.append(c.id)  # a -> c -> b -> a
    await processor.submit_task(c)  # waits for b
    await processor.submit_task(b)  # waits for a
    with pytest.raises(DependencyCycle, match=a.id):
        await processor.submit_task(a)
    with pytest.raises(DependencyCycle):
        await processor.submit_tasks([a])
    assert await processor.get_task_status(a.id) is None
    selfish = create_task("echo", {})
    selfish.depends_on.append(selfish.id)
    with pytest.raises(DependencyCycle):
        await processor.submit_task(selfish)


async def test_awaited_task_gets_in_even_when_the_queue_is_full() -> None:
    """What waiting tasks wait for must not itself wait for room they hold."""
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=2)
    proc.register_processor("echo", helpers.echo)
    first = create_task("echo", {"name": "first"})
    for _ in range(2):
        await proc.submit_task(create_task("echo", {}, depends_on=[first.id]))
    await asyncio.wait_for(proc.submit_task(first), 1)
    await proc.start()
    assert (await proc.wait_for_task(first.id, timeout=5)).status is TaskStatus.COMPLETED
    await proc.shutdown()


async def test_snapshot_and_restore_keep_a_waiting_task_waiting() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    waiting = create_task("echo", {"name": "w"}, depends_on=["arrives-later"])
    await proc.submit_task(waiting)
    data = json.loads(json.dumps(proc.snapshot()))
    assert data["tasks"][0]["awaiting"] == ["arrives-later"]
    await proc.shutdown()

    fresh = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    fresh.register_processor("echo", helpers.echo)
    await fresh.start()
    assert await fresh.restore(data) == [waiting.id]
    assert (await fresh.get_performance_metrics())["waiting_for_unknown"] == 1
    await fresh.submit_task(create_task("echo", {"name": "dep"}, id="arrives-later"))
    result = await fresh.wait_for_task(waiting.id, timeout=5)
    assert result.status is TaskStatus.COMPLETED
    assert result.result["deps"]["arrives-later"]["name"] == "dep"
    await fresh.shutdown()
