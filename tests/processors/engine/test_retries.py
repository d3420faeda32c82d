"""Retries: exponential backoff with jitter, attempts recorded, no retry on cancel/timeout."""

from __future__ import annotations

import asyncio

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    RetryPolicy,
    TaskStatus,
    create_task,
)


def test_backoff_grows_exponentially_with_jitter_and_cap() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0, jitter=0.5)
    for retry, raw in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = {policy.delay(retry) for _ in range(50)}
        assert all(raw * 0.5 <= d <= raw for d in delays)
        assert len(delays) > 1  # jittered


def test_retry_policy_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2.0)


@pytest.fixture
async def fast_retries() -> AdvancedAsyncProcessor:
    proc = AdvancedAsyncProcessor(
        max_workers=2, queue_size=0, retry_policy=RetryPolicy(base_delay=0.001, max_delay=0.002)
    )
    await proc.start()
    return proc


async def test_flaky_task_succeeds_after_retries(fast_retries: AdvancedAsyncProcessor) -> None:
    calls = 0

    async def flaky(task: ProcessingTask) -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("API hiccup")
        return "answer"

    fast_retries.register_processor("flaky", flaky)
    task = create_task("flaky", {}, max_retries=3)
    result = await fast_retries.wait_for_task(await fast_retries.submit_task(task))
    assert result.status is TaskStatus.COMPLETED and result.result == "answer"
    assert result.attempts == 3
    assert (await fast_retries.get_performance_metrics())["retries"] == 2
    await fast_retries.shutdown()


async def test_retries_exhausted_fail_with_last_error(fast_retries: AdvancedAsyncProcessor) -> None:
    async def broken(task: ProcessingTask) -> None:
        raise ValueError("still broken")

    fast_retries.register_processor("broken", broken)
    task = create_task("broken", {}, max_retries=2)
    result = await fast_retries.wait_for_task(await fast_retries.submit_task(task))
    assert result.status is TaskStatus.FAILED and result.attempts == 3
    assert result.error == "ValueError: still broken"
    assert isinstance(result.exception, ValueError)
    await fast_retries.shutdown()


async def test_timeout_not_retried_unless_configured(fast_retries: AdvancedAsyncProcessor) -> None:
    calls = 0

    async def slow(task: ProcessingTask) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.Event().wait()
        return "second try"

    fast_retries.register_processor("slow", slow)
    plain = create_task("slow", {}, max_retries=2, timeout=0.02)
    result = await fast_retries.wait_for_task(await fast_retries.submit_task(plain))
    assert result.status is TaskStatus.TIMEOUT and result.attempts == 1
    calls = 0
    retrying = create_task("slow", {}, max_retries=2, timeout=0.02, retry_on_timeout=True)
    result = await fast_retries.wait_for_task(await fast_retries.submit_task(retrying))
    assert result.status is TaskStatus.COMPLETED and result.attempts == 2
    await fast_retries.shutdown()


async def test_cancel_during_backoff(fast_retries: AdvancedAsyncProcessor) -> None:
    fast_retries.retry_policy = RetryPolicy(base_delay=60, max_delay=60)
    failed_once = asyncio.Event()

    async def fails(task: ProcessingTask) -> None:
        failed_once.set()
        raise OSError("nope")

    fast_retries.register_processor("fails", fails)
    task_id = await fast_retries.submit_task(create_task("fails", {}, max_retries=5))
    await failed_once.wait()
    assert await fast_retries.get_task_status(task_id) is TaskStatus.PENDING
    assert await fast_retries.cancel_task(task_id)
    result = await fast_retries.wait_for_task(task_id)
    assert result.status is TaskStatus.CANCELLED and result.attempts == 1
    await fast_retries.shutdown()
