"""Dependencies: results handed on, cascades naming the root, rejection of bad graphs."""

from __future__ import annotations

import pytest

from processors import (
    AdvancedAsyncProcessor,
    DependencyCycle,
    InvalidTask,
    ProcessingTask,
    ProcessingType,
    TaskStatus,
    UnknownDependency,
    create_task,
)
from tests.processors.engine import helpers


async def test_dependents_start_after_dependencies_and_get_results(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, helpers.echo)
    processor.register_processor(ProcessingType.EMOTION_ANALYSIS, helpers.echo)
    processor.register_processor(ProcessingType.AI_RESPONSE, helpers.echo)
    stt = create_task(ProcessingType.AUDIO_TRANSCRIPTION, {"name": "stt"})
    emo = create_task(ProcessingType.EMOTION_ANALYSIS, {"name": "emo"}, depends_on=[stt.id])
    reply = create_task(ProcessingType.AI_RESPONSE, {"name": "reply"}, depends_on=[stt.id, emo.id])
    for task in (stt, emo, reply):
        await processor.submit_task(task)
    result = await processor.wait_for_task(reply.id)
    assert result.status is TaskStatus.COMPLETED
    assert set(result.result["deps"]) == {stt.id, emo.id}
    assert reply.dependency_result(ProcessingType.AUDIO_TRANSCRIPTION)["name"] == "stt"
    assert reply.dependency_result("emotion_analysis")["name"] == "emo"
    assert reply.dependency_result(ProcessingType.NOTIFICATION) is None


async def test_dependency_already_completed_at_submit(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("echo", helpers.echo)
    first = create_task("echo", {"name": "first"})
    await processor.wait_for_task(await processor.submit_task(first))
    second = create_task("echo", {}, depends_on=[first.id])
    result = await processor.wait_for_task(await processor.submit_task(second))
    assert result.result["deps"][first.id]["name"] == "first"


async def test_failure_cascades_to_dependents_naming_the_root(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("boom", helpers.boom)
    processor.register_processor("echo", helpers.echo)
    root = create_task("boom", {})
    child = create_task("echo", {}, depends_on=[root.id])
    grandchild = create_task("echo", {}, depends_on=[child.id])
    sibling = create_task("echo", {})
    for task in (root, child, grandchild, sibling):
        await processor.submit_task(task)
    assert (await processor.wait_for_task(root.id)).status is TaskStatus.FAILED
    for task in (child, grandchild):
        result = await processor.wait_for_task(task.id)
        assert result.status is TaskStatus.CANCELLED
        assert result.caused_by == root.id
        assert root.id in (result.error or "") and "speaker on fire" in (result.error or "")
    assert (await processor.wait_for_task(sibling.id)).status is TaskStatus.COMPLETED


async def test_submitting_after_dependency_failed_cancels_at_once(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("boom", helpers.boom)
    processor.register_processor("echo", helpers.echo)
    root = create_task("boom", {})
    await processor.wait_for_task(await processor.submit_task(root))
    late = create_task("echo", {}, depends_on=[root.id])
    result = await processor.wait_for_task(await processor.submit_task(late))
    assert result.status is TaskStatus.CANCELLED and result.caused_by == root.id


async def test_unknown_dependency_in_a_batch_rejected(processor: AdvancedAsyncProcessor) -> None:
    """``submit_tasks`` validates its batch as a whole; ``submit_task`` waits instead (see
    test_unknown_dependencies.py)."""
    task = create_task("echo", {}, depends_on=["no-such-task"])
    with pytest.raises(UnknownDependency, match="no-such-task"):
        await processor.submit_tasks([task])
    assert await processor.get_task_status(task.id) is None


async def test_self_dependency_rejected(processor: AdvancedAsyncProcessor) -> None:
    task = create_task("echo", {})
    task.depends_on.append(task.id)
    with pytest.raises(DependencyCycle):
        await processor.submit_task(task)


async def test_cycle_in_a_batch_rejected_and_nothing_queued(
    processor: AdvancedAsyncProcessor,
) -> None:
    a, b, c = (create_task("echo", {}) for _ in range(3))
    a.depends_on.append(c.id)
    b.depends_on.append(a.id)
    c.depends_on.append(b.id)
    with pytest.raises(DependencyCycle, match="cycle"):
        await processor.submit_tasks([a, b, c])
    assert processor.status_counts()["pending"] == 0


async def test_batch_in_any_order_runs_in_dependency_order(
    processor: AdvancedAsyncProcessor,
) -> None:
    order: list[str] = []

    async def record(task: ProcessingTask) -> None:
        order.append(task.payload["name"])

    processor.register_processor("record", record)
    first = create_task("record", {"name": "first"})
    second = create_task("record", {"name": "second"}, depends_on=[first.id])
    third = create_task("record", {"name": "third"}, depends_on=[second.id])
    await processor.submit_tasks([third, second, first])
    await processor.wait_for_task(third.id)
    assert order == ["first", "second", "third"]


async def test_duplicate_id_rejected(processor: AdvancedAsyncProcessor) -> None:
    processor.register_processor("echo", helpers.echo)
    task = create_task("echo", {})
    await processor.submit_task(task)
    with pytest.raises(InvalidTask, match="already submitted"):
        await processor.submit_task(task)


async def test_long_chain_cascade_is_iterative(processor: AdvancedAsyncProcessor) -> None:
    """A 5,000-long chain cancelled at its root: no recursion limit, every link named."""
    processor.register_processor("echo", helpers.echo)
    gate = create_task("never", {})  # no processor for it is needed: it never starts
    processor.set_concurrency_limit("never", 1)
    tasks = [gate]
    for _ in range(5000):
        tasks.append(create_task("echo", {}, depends_on=[tasks[-1].id]))
    await processor.submit_tasks(tasks)
    assert await processor.cancel_task(gate.id)
    last = await processor.wait_for_task(tasks[-1].id)
    assert last.status is TaskStatus.CANCELLED and last.caused_by == gate.id
    assert processor.status_counts()["pending"] == 0
