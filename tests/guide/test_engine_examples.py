"""The async-processor guide's examples, as written, with ``from processors import ...``.

Examples that need real stage models (transcription, AI replies) run in the integration tests once
those stages exist; here their processors are registered test doubles where a type needs one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    ProcessingType,
    TaskPriority,
    TaskStatus,
    create_processor,
    create_task,
)

ROOT = Path(__file__).resolve().parents[2]


async def custom_nlp_processor(task: ProcessingTask):  # type: ignore[no-untyped-def]
    """Custom NLP processing"""
    text = task.payload.get("text")

    # Your custom processing logic here
    result = {"processed_text": text.upper(), "word_count": len(text.split()), "custom_metric": 42}

    return result


async def test_custom_processors_example() -> None:
    processor = await create_processor(max_workers=5, enable_monitoring=True)
    try:
        # Register the custom processor
        processor.register_processor(ProcessingType.TEXT_ANALYSIS, custom_nlp_processor)
        task = create_task(ProcessingType.TEXT_ANALYSIS, {"text": "I am happy today"})
        task_id = await processor.submit_task(task)
        result = await processor.wait_for_task(task_id, timeout=30.0)
        assert result.result == {
            "processed_text": "I AM HAPPY TODAY",
            "word_count": 4,
            "custom_metric": 42,
        }
    finally:
        await processor.shutdown()


async def test_custom_lambda_example() -> None:
    processor = await create_processor()
    try:
        task = create_task(
            ProcessingType.CUSTOM,
            {"processor": lambda payload: {"custom_result": payload["input"] * 2}, "input": 21},
        )
        task_id = await processor.submit_task(task)
        result = await processor.wait_for_task(task_id)
        assert result.result == {"custom_result": 42}
    finally:
        await processor.shutdown()


async def test_cancellation_and_status_monitoring_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    processor = await create_processor(max_workers=3)
    gate = asyncio.Event()

    async def slow_reply(task: ProcessingTask) -> str:
        await gate.wait()
        return "reply"

    processor.register_processor(ProcessingType.AI_RESPONSE, slow_reply)
    parent = create_task(ProcessingType.AI_RESPONSE, {"prompt": "hi"}, TaskPriority.HIGH)
    task_id = await processor.submit_task(parent)
    parent_task_id = task_id
    child = create_task(ProcessingType.AI_RESPONSE, {}, depends_on=[parent_task_id])
    await processor.submit_task(child)

    # Check task status
    status = await processor.get_task_status(task_id)
    print(f"Task status: {status.value}")

    # Cancel task with dependents (cascading)
    cancelled = await processor.cancel_task(parent_task_id)
    print(f"Cancelled: {cancelled}")

    # Get detailed result
    result = await processor.get_task_result(task_id)
    if result:
        print(f"Status: {result.status.value}")
        print(f"Execution time: {result.execution_time:.3f}s")
        if result.error:
            print(f"Error: {result.error}")

    # Cancel a specific task
    await processor.cancel_task(task_id)
    await processor.shutdown()
    out = capsys.readouterr().out
    assert "Cancelled: True" in out and "Status: cancelled" in out
    assert (await processor.get_task_status(child.id)) is TaskStatus.CANCELLED


async def test_error_handling_and_retry_examples(capsys: pytest.CaptureFixture[str]) -> None:
    processor = await create_processor()
    attempts = 0

    async def flaky_reply(task: ProcessingTask) -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("upstream hiccup")
        return "Hello little one!"

    processor.register_processor(ProcessingType.AI_RESPONSE, flaky_reply)
    payload = {"prompt": "hi"}
    task = create_task(
        ProcessingType.AI_RESPONSE,
        payload,
        max_retries=3,  # Will retry up to 3 times
        timeout=10.0,
    )
    task_id = await processor.submit_task(task)
    try:
        result = await processor.wait_for_task(task_id, timeout=30.0)

        if result.status == TaskStatus.COMPLETED:
            print("Success:", result.result)
        elif result.status == TaskStatus.FAILED:
            print("Failed:", result.error)
        elif result.status == TaskStatus.TIMEOUT:
            print("Timed out")
        elif result.status == TaskStatus.CANCELLED:
            print("Cancelled")

    except TimeoutError:
        print("Wait timeout exceeded")
        await processor.cancel_task(task_id)
    await processor.shutdown()
    assert "Success: Hello little one!" in capsys.readouterr().out
    assert result.attempts == 2


async def test_health_check_and_monitoring_examples(capsys: pytest.CaptureFixture[str]) -> None:
    processor = AdvancedAsyncProcessor(
        max_workers=10,  # Total async workers
        max_thread_workers=5,  # Thread pool size
        max_process_workers=2,  # Process pool size
        queue_size=1000,  # Max queue size
        enable_monitoring=True,  # Performance monitoring
        enable_profiling=False,  # Detailed profiling
    )

    async def health_check():  # type: ignore[no-untyped-def]
        """Health check for monitoring systems"""
        metrics = await processor.get_performance_metrics()

        # Check if processor is healthy
        if not processor._running:
            return {"status": "unhealthy", "reason": "processor_stopped"}

        if metrics["queue_size"] > 1000:
            return {"status": "degraded", "reason": "high_queue_size"}

        if metrics["success_rate"] < 95.0:
            return {"status": "degraded", "reason": "low_success_rate"}

        return {"status": "healthy", "metrics": metrics}

    async def monitor_performance():  # type: ignore[no-untyped-def]
        metrics = await processor.get_performance_metrics()

        print(f"Tasks processed: {metrics['tasks_processed']}")
        print(f"Success rate: {metrics['success_rate']:.1f}%")
        print(f"Average execution time: {metrics['average_execution_time']:.3f}s")
        print(f"Current throughput: {metrics['current_throughput']:.1f} tasks/sec")
        print(f"Queue size: {metrics['queue_size']}")
        print(f"Running tasks: {metrics['running_tasks']}")

        # Worker statistics
        for worker_id, stats in metrics["worker_stats"].items():
            print(f"{worker_id}: {stats['tasks_processed']} tasks, {stats['status']}")

    # Tasks not processing: check if processor is running
    if not processor._running:
        await processor.start()
    processor.register_processor(ProcessingType.TEXT_ANALYSIS, custom_nlp_processor)
    # Submit multiple tasks together
    batch_data = [{"text": f"batch item {i}"} for i in range(20)]
    tasks = []
    for data in batch_data:
        task = create_task(ProcessingType.TEXT_ANALYSIS, data, TaskPriority.BATCH)
        tasks.append(await processor.submit_task(task))

    # Wait for all
    results = []
    for task_id in tasks:
        result = await processor.wait_for_task(task_id)
        results.append(result)
    assert all(r.status is TaskStatus.COMPLETED for r in results)

    health = await health_check()
    assert health["status"] == "healthy"
    json.dumps(health)  # what /healthz would serve
    await monitor_performance()

    # Monitor memory usage / worker utilization / dependencies (troubleshooting section)
    metrics = await processor.get_performance_metrics()
    print(f"Peak memory: {metrics['peak_memory_usage_mb']} MB")
    for worker_id, stats in metrics["worker_stats"].items():
        utilization = stats["total_execution_time"] / metrics["uptime_seconds"]
        print(f"{worker_id}: {utilization:.1%} utilization")
    ready_tasks = await processor.task_manager.get_ready_tasks()
    print(f"Ready tasks: {ready_tasks}")

    await processor.shutdown()
    assert (await health_check())["status"] == "unhealthy"
    out = capsys.readouterr().out
    assert "Tasks processed: 20" in out and "Success rate: 100.0%" in out


async def test_dependency_optimisation_example() -> None:
    processor = await create_processor(max_workers=3)
    seen: dict[str, object] = {}

    async def transcribe(task: ProcessingTask) -> dict[str, str]:
        return {"text": "I am happy"}

    async def emotion(task: ProcessingTask) -> dict[str, str]:
        return {"primary": "joy"}

    async def reply(task: ProcessingTask) -> dict[str, str]:
        seen.update(task.dependency_results)
        return {"reply": "Yay!"}

    processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, transcribe)
    processor.register_processor(ProcessingType.EMOTION_ANALYSIS, emotion)
    processor.register_processor(ProcessingType.AI_RESPONSE, reply)
    data1, data2, data3 = {"audio_data": b"\x00\x00"}, {"text": "hi"}, {"prompt": "x"}
    try:
        # Parallel independent tasks
        task1 = create_task(ProcessingType.AUDIO_TRANSCRIPTION, data1)
        task2 = create_task(ProcessingType.EMOTION_ANALYSIS, data2)

        # Dependent task
        task3 = create_task(ProcessingType.AI_RESPONSE, data3, depends_on=[task1.id, task2.id])
        await processor.submit_task(task1)
        await processor.submit_task(task2)
        await processor.submit_task(task3)
        final_result = await processor.wait_for_task(task3.id)
    finally:
        await processor.shutdown()
    assert final_result.status is TaskStatus.COMPLETED
    assert seen == {task1.id: {"text": "I am happy"}, task2.id: {"primary": "joy"}}


async def test_task_debugging_example(capsys: pytest.CaptureFixture[str]) -> None:
    payload = {"prompt": "hello", "audio_data": b"\x01\x02"}
    # Add debug tags
    task = create_task(
        ProcessingType.AI_RESPONSE, payload, tags={"debug", "user_session_123", "test_case"}
    )

    # Convert task to dict for inspection
    task_dict = task.to_dict()
    print(json.dumps(task_dict, indent=2))
    assert '"debug"' in capsys.readouterr().out


GRACEFUL_SHUTDOWN = """
import signal
import asyncio

async def main():
    processor = await create_processor()

    def signal_handler(signum, frame):
        print(f"Received signal {signum}, shutting down...")
        asyncio.create_task(processor.shutdown())

    signal.signal(signal.SIGTERM, signal_handler)
    signal.signal(signal.SIGINT, signal_handler)

    try:
        # Main application loop
        while processor._running:
            await asyncio.sleep(1)
    finally:
        await processor.shutdown()
"""

HARNESS = """
import signal as _signal
import sys
from processors import create_processor

_install = _signal.signal

def _announcing_signal(signum, handler):  # tells the test when the example is ready for SIGTERM
    previous = _install(signum, handler)
    # asyncio.run installs its own SIGINT handler first: wait for the example's SIGTERM one
    if signum == _signal.SIGINT and _signal.getsignal(_signal.SIGTERM) is not _signal.SIG_DFL:
        print("ready", flush=True)
    return previous

_signal.signal = _announcing_signal
"""


@pytest.mark.slow
def test_graceful_shutdown_example_on_real_sigterm() -> None:
    script = (
        HARNESS
        + textwrap.dedent(GRACEFUL_SHUTDOWN)
        + ("\nasyncio.run(main())\nprint('exited cleanly', flush=True)\n")
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "error"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Received signal 15, shutting down..." in out
    assert "exited cleanly" in out
    assert err == ""
