"""Processors that misbehave: a synchronous one that never returns cannot hold up shutdown, and an
async one that blocks the loop past its timeout is reported as such, not as completed."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from processors import ProcessingTask, TaskStatus, create_processor

release = threading.Event()


def hang(task: ProcessingTask) -> None:
    release.wait(60)  # "forever", but let the test's thread go once it has made its point


async def blocks_the_loop(task: ProcessingTask) -> dict[str, Any]:
    time.sleep(0.6)  # noqa: ASYNC251 - the misbehaviour under test
    return {"done": True}


async def test_shutdown_is_bounded_with_a_hung_sync_processor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    processor = await create_processor(max_workers=2)
    processor.register_processor("stuck", hang)
    await processor.submit_task(ProcessingTask("stuck", {}))
    await _until_running(processor)
    started = time.monotonic()
    try:
        await processor.shutdown(timeout=0.5)
        took = time.monotonic() - started
    finally:
        release.set()
    assert took < 4.0, f"shutdown took {took:.1f} s"
    assert "abandoned 1 thread(s) still running a synchronous processor" in caplog.text


async def test_an_async_processor_blocking_the_loop_is_a_timeout_that_says_so() -> None:
    processor = await create_processor(max_workers=2)
    processor.register_processor("blocker", blocks_the_loop)
    try:
        task_id = await processor.submit_task(ProcessingTask("blocker", {}, timeout=0.2))
        result = await processor.wait_for_task(task_id, timeout=5)
    finally:
        await processor.shutdown(timeout=2)
    assert result.status is TaskStatus.TIMEOUT
    assert result.error is not None
    assert result.error.startswith("blocked the event loop for 0.6s, over its 0.2s timeout")


async def _until_running(processor: Any) -> None:
    import asyncio

    for _ in range(200):
        if processor.status_counts().get("running"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the task never started")
