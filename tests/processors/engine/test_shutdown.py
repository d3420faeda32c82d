"""Shutdown: stop intake, grace period, cancellation, idempotency, nothing leaked."""

from __future__ import annotations

import asyncio
import threading
import warnings

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    ProcessorShutDown,
    TaskStatus,
    create_task,
)
from tests.processors.engine import helpers
from tests.processors.engine.conftest import Blocker


async def test_running_tasks_finish_within_grace_period_queued_are_cancelled() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    release = asyncio.Event()
    entered = asyncio.Event()

    async def work(task: ProcessingTask) -> str:
        entered.set()
        await release.wait()
        return "finished"

    proc.register_processor("work", work)
    await proc.start()
    running = await proc.submit_task(create_task("work", {}))
    queued = await proc.submit_task(create_task("work", {}))
    await entered.wait()
    closing = asyncio.create_task(proc.shutdown(timeout=5))
    await asyncio.sleep(0)
    with pytest.raises(ProcessorShutDown):
        await proc.submit_task(create_task("work", {}))
    assert not proc._running
    release.set()
    await closing
    assert (await proc.get_task_result(running)).status is TaskStatus.COMPLETED  # type: ignore[union-attr]
    queued_result = await proc.get_task_result(queued)
    assert queued_result is not None and queued_result.status is TaskStatus.CANCELLED
    assert "shutting down" in (queued_result.error or "")


async def test_deadline_cancels_running_tasks(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    proc.register_processor("block", blocker)
    await proc.start()
    task_id = await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    await proc.shutdown(timeout=0.05)
    result = await proc.get_task_result(task_id)
    assert result is not None and result.status is TaskStatus.CANCELLED
    assert blocker.cancelled == [task_id]


async def test_drain_keeps_starting_queued_tasks() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)

    async def work(task: ProcessingTask) -> int:
        await asyncio.sleep(0)
        return 1

    proc.register_processor("work", work)
    await proc.start()
    ids = [await proc.submit_task(create_task("work", {})) for _ in range(5)]
    await proc.shutdown(timeout=5, drain=True)
    for task_id in ids:
        assert (await proc.get_task_result(task_id)).status is TaskStatus.COMPLETED  # type: ignore[union-attr]


async def test_shutdown_is_idempotent_and_concurrent_calls_wait(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    proc.register_processor("block", blocker)
    await proc.start()
    await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    first = asyncio.create_task(proc.shutdown(timeout=5))
    second = asyncio.create_task(proc.shutdown(timeout=5))
    await asyncio.sleep(0)
    assert not first.done() and not second.done()
    blocker.release.set()
    await asyncio.gather(first, second)
    await proc.shutdown()
    with pytest.raises(ProcessorShutDown):
        await proc.start()


async def test_waiters_are_answered_on_shutdown(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    proc.register_processor("block", blocker)
    await proc.start()
    task_id = await proc.submit_task(create_task("block", {}))
    waiter = asyncio.create_task(proc.wait_for_task(task_id))
    await blocker.entered.wait()
    await proc.shutdown(timeout=0)
    assert (await waiter).status is TaskStatus.CANCELLED


async def test_no_leaked_tasks_threads_or_warnings() -> None:
    threads_before = set(threading.enumerate())
    tasks_before = asyncio.all_tasks()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proc = AdvancedAsyncProcessor(max_workers=3, queue_size=0)

        async def work(task: ProcessingTask) -> None:
            await asyncio.sleep(0)

        proc.register_processor("work", work)
        proc.register_processor("sync", helpers.thread_name)
        proc.register_processor("cpu", helpers.square_in_process)
        proc.on_task_finished(lambda task, result: None)
        await proc.start()
        ids = [await proc.submit_task(create_task("work", {}, timeout=5)) for _ in range(20)]
        ids.append(await proc.submit_task(create_task("sync", {}, io_bound=True)))
        ids.append(await proc.submit_task(create_task("cpu", {"n": 2}, cpu_intensive=True)))
        for task_id in ids:
            await proc.wait_for_task(task_id, timeout=30)
        await proc.shutdown(timeout=10)
    assert asyncio.all_tasks() == tasks_before
    leaked = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leaked == []


async def test_wait_for_task_timeout_raises_and_task_continues(
    processor: AdvancedAsyncProcessor, blocker: Blocker
) -> None:
    processor.register_processor("block", blocker)
    task_id = await processor.submit_task(create_task("block", {"value": 5}))
    with pytest.raises(asyncio.TimeoutError):
        await processor.wait_for_task(task_id, timeout=0.01)
    blocker.release.set()
    assert (await processor.wait_for_task(task_id)).result == 5
