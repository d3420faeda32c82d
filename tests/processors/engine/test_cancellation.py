"""Cancelling pending and running tasks in every execution context."""

from __future__ import annotations

import asyncio

from processors import AdvancedAsyncProcessor, TaskStatus, create_task
from tests.processors.engine import helpers
from tests.processors.engine.conftest import Blocker


async def test_cancel_pending_task(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    proc.register_processor("block", blocker)
    await proc.start()
    running = await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    queued = await proc.submit_task(create_task("block", {}))
    assert await proc.cancel_task(queued)
    assert await proc.get_task_status(queued) is TaskStatus.CANCELLED
    blocker.release.set()
    assert (await proc.wait_for_task(running)).status is TaskStatus.COMPLETED
    assert blocker.started == [running]  # the cancelled one never started
    assert not await proc.cancel_task(queued)  # already finished: False
    await proc.shutdown()


async def test_cancel_running_coroutine_gets_cancelled_error_and_cascades(
    processor: AdvancedAsyncProcessor, blocker: Blocker
) -> None:
    processor.register_processor("block", blocker)
    parent = create_task("block", {})
    child = create_task("block", {}, depends_on=[parent.id])
    await processor.submit_task(parent)
    await processor.submit_task(child)
    await blocker.entered.wait()
    assert await processor.cancel_task(parent.id)
    result = await processor.wait_for_task(parent.id)
    assert result.status is TaskStatus.CANCELLED and result.error == "cancelled: cancelled by user"
    child_result = await processor.wait_for_task(child.id)
    assert child_result.status is TaskStatus.CANCELLED and child_result.caused_by == parent.id
    await processor.shutdown()
    assert blocker.cancelled == [parent.id]


async def test_worker_survives_cancellation_and_runs_next(blocker: Blocker) -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    proc.register_processor("block", blocker)

    async def quick(task: object) -> str:
        return "next"

    proc.register_processor("quick", quick)
    await proc.start()
    first = await proc.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    await proc.cancel_task(first)
    nxt = await proc.wait_for_task(await proc.submit_task(create_task("quick", {})))
    assert nxt.result == "next"
    await proc.shutdown()


async def test_cancel_thread_task_discards_late_result(processor: AdvancedAsyncProcessor) -> None:
    gate = helpers.Gate()
    processor.register_processor("blocking", gate)
    task_id = await processor.submit_task(create_task("blocking", {}, io_bound=True))
    await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait, 5)
    assert await processor.cancel_task(task_id)
    gate.release.set()
    await asyncio.get_running_loop().run_in_executor(None, gate.finished.wait, 5)
    result = await processor.wait_for_task(task_id)
    assert result.status is TaskStatus.CANCELLED and result.result is None


async def test_cancel_process_task_discards_late_result() -> None:
    proc = AdvancedAsyncProcessor(max_workers=2, max_process_workers=1, queue_size=0)
    proc.register_processor("sleep", helpers.sleep_in_process)
    await proc.start()
    started = asyncio.Event()
    proc.on_task_started(lambda task: started.set())
    task_id = await proc.submit_task(create_task("sleep", {"seconds": 0.3}, cpu_intensive=True))
    await started.wait()
    assert await proc.cancel_task(task_id)
    result = await proc.wait_for_task(task_id)
    assert result.status is TaskStatus.CANCELLED and result.result is None
    await proc.shutdown(timeout=10)
    assert (await proc.get_task_result(task_id)).result is None  # type: ignore[union-attr]
