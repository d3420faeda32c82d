"""Execution contexts: loop, thread pool, process pool (with crash recovery), timeouts."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from typing import Any

from processors import AdvancedAsyncProcessor, ProcessingTask, TaskStatus, create_task
from tests.processors.engine import helpers


class StageLike:
    """Shaped like the stage processors: an instance with ``async def __call__``."""

    def __init__(self) -> None:
        self.thread: str | None = None

    async def __call__(self, task: ProcessingTask) -> dict[str, Any]:
        self.thread = threading.current_thread().name
        await asyncio.sleep(0)
        return {"ok": True}


async def test_callable_object_with_async_call_runs_on_the_loop(
    processor: AdvancedAsyncProcessor,
) -> None:
    stage = StageLike()
    processor.register_processor("stage", stage)
    result = await processor.wait_for_task(await processor.submit_task(create_task("stage", {})))
    assert result.result == {"ok": True}
    assert stage.thread == threading.current_thread().name


async def test_partial_of_coroutine_function_runs_on_the_loop(
    processor: AdvancedAsyncProcessor,
) -> None:
    async def scaled(factor: int, task: ProcessingTask) -> tuple[int, str]:
        return factor * task.payload["n"], threading.current_thread().name

    processor.register_processor("scaled", functools.partial(scaled, 3))
    result = await processor.wait_for_task(
        await processor.submit_task(create_task("scaled", {"n": 2}))
    )
    assert result.result == (6, threading.current_thread().name)


async def test_plain_function_runs_in_thread_pool(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("sync", helpers.thread_name)
    result = await processor.wait_for_task(await processor.submit_task(create_task("sync", {})))
    assert result.result.startswith("teddy-job")


async def test_io_bound_runs_in_thread_pool(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("db", helpers.thread_name)
    task = create_task("db", {}, io_bound=True)
    result = await processor.wait_for_task(await processor.submit_task(task))
    assert result.status is TaskStatus.COMPLETED and result.result.startswith("teddy-job")


async def test_cpu_intensive_runs_in_process_pool(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("square", helpers.square_in_process)
    task = create_task("square", {"n": 12}, cpu_intensive=True)
    result = await processor.wait_for_task(await processor.submit_task(task), timeout=30)
    assert result.result["square"] == 144
    assert result.result["pid"] != os.getpid()


async def test_unpicklable_cpu_task_fails_with_clear_error(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("local", lambda task: 1)
    task = create_task("local", {}, cpu_intensive=True)
    result = await processor.wait_for_task(await processor.submit_task(task))
    assert result.status is TaskStatus.FAILED
    assert "NotPicklable" in (result.error or "") and "picklable" in (result.error or "")


async def test_crashed_process_worker_fails_task_and_pool_is_rebuilt(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("crash", helpers.crash_process)
    processor.register_processor("square", helpers.square_in_process)
    crash = create_task("crash", {}, cpu_intensive=True)
    result = await processor.wait_for_task(await processor.submit_task(crash), timeout=30)
    assert result.status is TaskStatus.FAILED and "ProcessPoolCrashed" in (result.error or "")
    after = create_task("square", {"n": 3}, cpu_intensive=True)
    result = await processor.wait_for_task(await processor.submit_task(after), timeout=30)
    assert result.status is TaskStatus.COMPLETED and result.result["square"] == 9
    metrics = await processor.get_performance_metrics()
    assert metrics["process_pool_rebuilds"] == 1


async def test_timeout_gives_timeout_status_and_cancels_coroutine(
    processor: AdvancedAsyncProcessor,
) -> None:
    cancelled = asyncio.Event()

    async def hang(task: ProcessingTask) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    processor.register_processor("hang", hang)
    task = create_task("hang", {}, timeout=0.05)
    result = await processor.wait_for_task(await processor.submit_task(task))
    assert result.status is TaskStatus.TIMEOUT and "timed out after 0.05s" in (result.error or "")
    await cancelled.wait()


async def test_timeout_of_thread_task(processor: AdvancedAsyncProcessor) -> None:
    gate = helpers.Gate()
    processor.register_processor("blocking", gate)
    task = create_task("blocking", {}, timeout=0.05)
    result = await processor.wait_for_task(await processor.submit_task(task))
    gate.release.set()
    assert result.status is TaskStatus.TIMEOUT


async def test_custom_type_runs_payload_processor(processor: AdvancedAsyncProcessor) -> None:
    async def double(payload: dict[str, int]) -> int:
        return payload["input"] * 2

    task = create_task("custom", {"processor": double, "input": 4})
    assert (await processor.wait_for_task(await processor.submit_task(task))).result == 8
    bad = create_task("custom", {"input": 4})
    result = await processor.wait_for_task(await processor.submit_task(bad))
    assert result.status is TaskStatus.FAILED and "payload['processor']" in (result.error or "")


async def test_coroutine_raising_cancelled_error_itself_is_cancelled_not_fatal(
    processor: AdvancedAsyncProcessor,
) -> None:
    async def rude(task: ProcessingTask) -> None:
        raise asyncio.CancelledError

    async def fine(task: ProcessingTask) -> str:
        return "still working"

    processor.register_processor("rude", rude)
    processor.register_processor("fine", fine)
    result = await processor.wait_for_task(await processor.submit_task(create_task("rude", {})))
    assert result.status is TaskStatus.CANCELLED
    ok = await processor.wait_for_task(await processor.submit_task(create_task("fine", {})))
    assert ok.result == "still working"
