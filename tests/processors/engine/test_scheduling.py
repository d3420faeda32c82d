"""Priorities, FIFO, per-type concurrency, rate limits, permission and the bounded queue."""

from __future__ import annotations

import asyncio

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    QueueFull,
    TaskPriority,
    TaskStatus,
    create_task,
)
from tests.processors.engine.conftest import Blocker


async def test_priorities_then_fifo_within_a_level(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    order: list[str] = []

    async def record(task: ProcessingTask) -> None:
        order.append(task.payload["name"])

    proc.register_processor("block", blocker)
    proc.register_processor("record", record)
    await proc.start()
    hold = await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()  # the only worker is busy: everything below queues
    names = [("b1", TaskPriority.BATCH), ("n1", TaskPriority.NORMAL), ("c1", TaskPriority.CRITICAL),
             ("n2", TaskPriority.NORMAL), ("h1", TaskPriority.HIGH), ("l1", TaskPriority.LOW),
             ("n3", TaskPriority.NORMAL), ("c2", TaskPriority.CRITICAL)]  # fmt: skip
    ids = [await proc.submit_task(create_task("record", {"name": n}, p)) for n, p in names]
    blocker.release.set()
    for task_id in [hold, *ids]:
        await proc.wait_for_task(task_id)
    assert order == ["c1", "c2", "h1", "n1", "n2", "n3", "l1", "b1"]
    await proc.shutdown()


async def test_high_task_behind_10k_batch_tasks_starts_next(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    started: list[str] = []

    async def work(task: ProcessingTask) -> None:
        started.append(task.id)

    proc.register_processor("block", blocker)
    proc.register_processor("work", work)
    await proc.start()
    await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    batch = [
        await proc.submit_task(create_task("work", {}, TaskPriority.BATCH)) for _ in range(10_000)
    ]
    high = await proc.submit_task(create_task("work", {}, TaskPriority.HIGH))
    assert (await proc.task_manager.get_ready_tasks())[0] == high
    blocker.release.set()
    await proc.wait_for_task(batch[-1])
    assert started[0] == high
    assert started[1:] == batch
    await proc.shutdown()


async def test_per_type_concurrency_limit(processor: AdvancedAsyncProcessor) -> None:
    running = 0
    peak = 0
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def transcribe(task: ProcessingTask) -> None:
        nonlocal running, peak
        entered.set()
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    processor.register_processor("stt", transcribe)
    processor.set_concurrency_limit("stt", 1)
    ids = [await processor.submit_task(create_task("stt", {})) for _ in range(3)]
    await entered.wait()
    statuses = [await processor.get_task_status(i) for i in ids]
    assert statuses.count(TaskStatus.RUNNING) == 1
    gate.set()
    results = [await processor.wait_for_task(i) for i in ids]
    assert all(r.status is TaskStatus.COMPLETED for r in results)
    assert peak == 1


async def test_rate_limit_spreads_starts_over_windows() -> None:
    proc = AdvancedAsyncProcessor(max_workers=4, queue_size=0, rate_limit=(2, 0.05))
    starts: list[float] = []
    loop = asyncio.get_running_loop()

    async def work(task: ProcessingTask) -> None:
        starts.append(loop.time())

    proc.register_processor("work", work)
    await proc.start()
    ids = [await proc.submit_task(create_task("work", {})) for _ in range(6)]
    for task_id in ids:
        assert (await proc.wait_for_task(task_id)).status is TaskStatus.COMPLETED
    assert starts[-1] - starts[0] >= 0.09  # 6 starts at 2 per 50 ms need three windows
    assert (await proc.get_performance_metrics())["rate_limited"] > 0
    await proc.shutdown()


async def test_request_permission_hook_denies_then_fails() -> None:
    asked: list[str] = []

    class Quota(AdvancedAsyncProcessor):
        async def request_permission(self, task: ProcessingTask) -> bool:
            asked.append(task.payload["who"])
            return task.payload["who"] != "greedy"

    async def work(task: ProcessingTask) -> str:
        return "ok"

    proc = Quota(max_workers=1, queue_size=0, permission_retries=2)
    proc.retry_policy = type(proc.retry_policy)(base_delay=0.001, max_delay=0.001)
    proc.register_processor("work", work)
    await proc.start()
    ok = await proc.submit_task(create_task("work", {"who": "polite"}))
    greedy = await proc.submit_task(create_task("work", {"who": "greedy"}))
    assert (await proc.wait_for_task(ok)).status is TaskStatus.COMPLETED
    denied = await proc.wait_for_task(greedy)
    assert denied.status is TaskStatus.FAILED
    assert "PermissionDenied" in (denied.error or "")
    assert asked.count("greedy") == 3  # first ask + 2 retries
    await proc.shutdown()


async def test_permission_check_callable() -> None:
    proc = AdvancedAsyncProcessor(
        max_workers=1, queue_size=0, permission_check=lambda task: True, permission_retries=0
    )

    async def work(task: ProcessingTask) -> int:
        return 7

    proc.register_processor("work", work)
    await proc.start()
    result = await proc.wait_for_task(await proc.submit_task(create_task("work", {})))
    assert result.result == 7
    await proc.shutdown()


async def test_queue_full_raises_clear_error_when_configured(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=2, on_queue_full="raise")
    proc.register_processor("block", blocker)
    await proc.start()
    await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    await proc.submit_task(create_task("block", {}))
    await proc.submit_task(create_task("block", {}))
    with pytest.raises(QueueFull, match="queue is full"):
        await proc.submit_task(create_task("block", {}))
    blocker.release.set()
    await proc.shutdown()


async def test_queue_full_wait_override_raises(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=1)
    proc.register_processor("block", blocker)
    await proc.start()
    await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    await proc.submit_task(create_task("block", {}))
    with pytest.raises(QueueFull):
        await proc.submit_task(create_task("block", {}), wait=False)
    blocker.release.set()
    await proc.shutdown()


async def test_2000_submits_in_a_loop_fit_a_queue_of_1000() -> None:
    """The default ``on_queue_full="wait"``: a full queue makes ``submit_task`` wait for room,
    like ``asyncio.Queue.put``, while the workers drain it."""
    proc = AdvancedAsyncProcessor(max_workers=4, queue_size=1000)
    peak = 0

    async def work(task: ProcessingTask) -> int:
        nonlocal peak
        peak = max(peak, proc.status_counts()["pending"])
        await asyncio.sleep(0)
        return 1

    proc.register_processor("work", work)
    await proc.start()
    ids = [await proc.submit_task(create_task("work", {})) for _ in range(2000)]
    results = [await proc.wait_for_task(task_id, timeout=10) for task_id in ids]
    assert all(r.status is TaskStatus.COMPLETED for r in results)
    assert peak <= 1000
    await proc.shutdown()


async def test_queue_full_waits_by_default(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=1)
    proc.register_processor("block", blocker)
    await proc.start()
    await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    await proc.submit_task(create_task("block", {}))
    waiting = asyncio.create_task(proc.submit_task(create_task("block", {})))
    await asyncio.sleep(0)
    assert not waiting.done()
    blocker.release.set()  # running finishes, queued one starts: room for the waiting submit
    task_id = await waiting
    assert (await proc.wait_for_task(task_id)).status is TaskStatus.COMPLETED
    await proc.shutdown()


async def test_memory_intensive_tasks_run_one_at_a_time(processor: AdvancedAsyncProcessor) -> None:
    running = 0
    peak = 0
    entered = asyncio.Event()
    gate = asyncio.Event()

    async def big(task: ProcessingTask) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        entered.set()
        await gate.wait()
        running -= 1

    processor.register_processor("big", big)
    ids = [
        await processor.submit_task(create_task("big", {}, memory_intensive=True)) for _ in range(3)
    ]
    small = await processor.submit_task(create_task("big", {}))  # not memory-intensive: runs
    await entered.wait()
    statuses = [await processor.get_task_status(i) for i in ids]
    assert statuses.count(TaskStatus.RUNNING) == 1
    gate.set()
    for task_id in [*ids, small]:
        assert (await processor.wait_for_task(task_id)).status is TaskStatus.COMPLETED
    assert peak <= 2  # one memory-intensive task plus the small one at most
