"""The task object itself: lazily created fields, ids, pickling while queued, kept results."""

from __future__ import annotations

import pickle

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    TaskPriority,
    TaskResult,
    TaskStatus,
    create_task,
)
from tests.processors.engine.conftest import Blocker


def test_default_collections_are_per_task_and_kept() -> None:
    first, second = create_task("t", {}), create_task("t", {})
    first.tags.add("x")
    first.depends_on.append("a")
    first.dependency_results["a"] = 1
    assert first.tags == {"x"} and second.tags == set()
    assert first.depends_on == ["a"] and second.depends_on == []
    assert first.dependency_results == {"a": 1} and second.dependency_results == {}
    second.tags = {"y"}
    assert second.tags == {"y"}


def test_constructor_keeps_the_guide_signature_and_repr() -> None:
    task = ProcessingTask("t", {"k": 1}, TaskPriority.HIGH, 2.0, 1, tags={"a"}, depends_on=["d"])
    assert (task.priority, task.timeout, task.max_retries) == (TaskPriority.HIGH, 2.0, 1)
    assert task.tags == {"a"} and task.depends_on == ["d"]
    assert repr(task).startswith("ProcessingTask(task_type='t', payload={'k': 1}")


def test_ids_are_unique_strings() -> None:
    ids = {create_task("t", {}).id for _ in range(10_000)}
    assert len(ids) == 10_000 and all(isinstance(i, str) and i for i in ids)


async def test_a_queued_task_pickles_without_processor_state(
    processor: AdvancedAsyncProcessor, blocker: Blocker
) -> None:
    processor.register_processor("block", blocker)
    running = await processor.submit_task(create_task("block", {}))
    await blocker.entered.wait()
    queued = create_task("block", {"n": 1}, tags={"a"}, depends_on=[running])
    await processor.submit_task(queued)
    copy = pickle.loads(pickle.dumps(queued))
    assert (copy.id, copy.payload, copy.tags, copy.depends_on) == (
        queued.id,
        {"n": 1},
        {"a"},
        [running],
    )
    assert not hasattr(copy, "status")  # bookkeeping stays in this process
    blocker.release.set()
    assert (await processor.wait_for_task(queued.id)).status is TaskStatus.COMPLETED


async def test_a_finished_task_is_kept_as_one_stable_result(
    processor: AdvancedAsyncProcessor,
) -> None:
    async def double(task: ProcessingTask) -> int:
        return 2 * int(task.payload["n"])

    seen: list[TaskResult] = []
    processor.register_processor("double", double)
    processor.on_task_finished(lambda task, result: seen.append(result))
    task_id = await processor.submit_task(create_task("double", {"n": 21}))
    result = await processor.wait_for_task(task_id)
    assert result.result == 42 and result.attempts == 1 and result.task_type == "double"
    assert await processor.get_task_result(task_id) is result
    assert seen == [result]
    assert await processor.get_task_status(task_id) is TaskStatus.COMPLETED


async def test_dependencies_are_fixed_once_submitted(processor: AdvancedAsyncProcessor) -> None:
    first, second = create_task("t", {}), create_task("t", {})
    processor.register_processor("t", _echo)
    await processor.submit_tasks([first, second])
    one = create_task("t", {}, depends_on=[first.id])
    both = create_task("t", {}, depends_on=[first.id, second.id])
    await processor.submit_tasks([one, both])
    one.depends_on.append("not-a-task")  # a copy: the queued task's edges cannot change
    assert one.depends_on == [first.id] and both.depends_on == [first.id, second.id]
    assert (await processor.wait_for_task(both.id)).status is TaskStatus.COMPLETED
    assert both.dependency_results == {first.id: first.id, second.id: second.id}
    assert both.dependency_types == {first.id: "t", second.id: "t"}


async def test_dependency_results_survive_pickling_into_a_worker_process(
    processor: AdvancedAsyncProcessor,
) -> None:
    processor.register_processor("t", _echo)
    parent = create_task("t", {})
    child = create_task("t", {}, depends_on=[parent.id])
    seen: list[ProcessingTask] = []

    async def capture(task: ProcessingTask) -> None:
        seen.append(pickle.loads(pickle.dumps(task)))

    processor.register_processor("capture", capture)
    child.task_type = "capture"
    await processor.submit_tasks([parent, child])
    assert (await processor.wait_for_task(child.id)).status is TaskStatus.COMPLETED
    assert seen[0].dependency_results == {parent.id: parent.id}
    assert seen[0].dependency_result("t") == parent.id


async def _echo(task: ProcessingTask) -> str:
    return task.id
