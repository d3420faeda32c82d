"""The reserved lane: LOW/BATCH work never takes the last ``reserved_workers`` workers, so a
CRITICAL/HIGH task starts at once instead of waiting for background work to end."""

from __future__ import annotations

import asyncio

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    TaskPriority,
    TaskStatus,
    create_task,
)
from tests.processors.engine.conftest import Blocker


async def _fill(proc: AdvancedAsyncProcessor, n: int, priority: TaskPriority) -> list[str]:
    ids = [await proc.submit_task(create_task("block", {}, priority)) for _ in range(n)]
    await asyncio.sleep(0.01)  # let every worker take what it may
    return ids


@pytest.mark.parametrize("priority", [TaskPriority.BATCH, TaskPriority.LOW])
async def test_background_work_leaves_a_worker_free(
    blocker: Blocker, priority: TaskPriority
) -> None:
    proc = AdvancedAsyncProcessor(max_workers=4, queue_size=0)
    proc.register_processor("block", blocker)
    started: list[str] = []

    async def urgent(task: ProcessingTask) -> str:
        started.append("urgent")
        return "done"

    proc.register_processor("urgent", urgent)
    await proc.start()
    background = await _fill(proc, 10, priority)
    assert len(blocker.started) == 3  # the fourth worker is held back
    metrics = await proc.get_performance_metrics()
    assert metrics["reserved_workers"] == 1 and metrics["low_priority_running"] == 3
    for level in (TaskPriority.HIGH, TaskPriority.CRITICAL, TaskPriority.NORMAL):
        task_id = await proc.submit_task(create_task("urgent", {}, level))
        result = await proc.wait_for_task(task_id, timeout=1)  # blocked work never ends
        assert result.status is TaskStatus.COMPLETED
    assert started == ["urgent"] * 3
    assert len(blocker.started) == 3  # the held-back worker went back to waiting
    blocker.release.set()
    for task_id in background:
        assert (await proc.wait_for_task(task_id, timeout=5)).status is TaskStatus.COMPLETED
    assert (await proc.get_performance_metrics())["low_priority_running"] == 0
    await proc.shutdown()


async def test_reserved_workers_zero_lets_background_take_every_worker(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=4, queue_size=0, reserved_workers=0)
    proc.register_processor("block", blocker)
    await proc.start()
    await _fill(proc, 10, TaskPriority.BATCH)
    assert len(blocker.started) == 4
    assert (await proc.get_performance_metrics())["reserved_workers"] == 0
    blocker.release.set()
    await proc.shutdown()


async def test_one_worker_reserves_nothing(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0, reserved_workers=1)
    proc.register_processor("block", blocker)
    await proc.start()
    await _fill(proc, 2, TaskPriority.BATCH)
    assert len(blocker.started) == 1
    assert (await proc.get_performance_metrics())["reserved_workers"] == 0
    blocker.release.set()
    await proc.shutdown()


async def test_normal_work_may_use_the_reserved_worker(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=2, queue_size=0, reserved_workers=1)
    proc.register_processor("block", blocker)
    await proc.start()
    await _fill(proc, 3, TaskPriority.NORMAL)
    assert len(blocker.started) == 2
    blocker.release.set()
    await proc.shutdown()


async def test_lane_slot_is_handed_to_a_held_back_worker(blocker: Blocker) -> None:
    """A worker that ends BATCH work and goes on with HIGH work (here: the BATCH task's own
    dependent) gives its lane slot to the worker held back, so BATCH work goes on meanwhile."""
    proc = AdvancedAsyncProcessor(max_workers=2, queue_size=0, reserved_workers=1)
    gate = asyncio.Event()
    batch_started: list[str] = []

    async def batch(task: ProcessingTask) -> None:
        batch_started.append(task.id)
        if task.payload.get("wait"):
            await gate.wait()

    proc.register_processor("batch", batch)
    proc.register_processor("block", blocker)
    await proc.start()
    first = await proc.submit_task(create_task("batch", {"wait": True}, TaskPriority.BATCH))
    await asyncio.sleep(0.01)
    high = await proc.submit_task(create_task("block", {}, TaskPriority.HIGH, depends_on=[first]))
    second = await proc.submit_task(create_task("batch", {}, TaskPriority.BATCH))
    await asyncio.sleep(0.01)
    assert batch_started == [first]  # the other worker is held back
    gate.set()
    await blocker.entered.wait()  # the HIGH dependent runs (and blocks)...
    result = await proc.wait_for_task(second, timeout=1)  # ...while BATCH work goes on
    assert result.status is TaskStatus.COMPLETED
    assert blocker.started == [high]
    blocker.release.set()
    await proc.wait_for_task(high, timeout=1)
    await proc.shutdown()


def test_reservation_leaves_background_work_one_worker() -> None:
    assert AdvancedAsyncProcessor(max_workers=3, reserved_workers=5).scheduler.lane_cap == 1
    assert AdvancedAsyncProcessor(max_workers=3, reserved_workers=5).scheduler.reserved_workers == 2


def test_negative_reserved_workers_rejected() -> None:
    with pytest.raises(ValueError, match="reserved_workers"):
        AdvancedAsyncProcessor(reserved_workers=-1)
