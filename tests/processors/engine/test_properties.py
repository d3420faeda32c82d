"""Property tests: random DAGs with random failures and cancellations always end with every task
terminal, dependencies respected, and (with one worker) priority order respected."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors import AdvancedAsyncProcessor, ProcessingTask, TaskPriority, TaskStatus, create_task

TERMINAL = {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.TIMEOUT}


@st.composite
def dags(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=25))
    nodes = []
    for i in range(n):
        deps = draw(st.lists(st.integers(0, i - 1), max_size=3, unique=True)) if i else []
        nodes.append(
            {
                "deps": deps,
                "priority": draw(st.sampled_from(list(TaskPriority))),
                "fail": draw(st.booleans()) and draw(st.booleans()),
                "suspend": draw(st.booleans()),
                "cancel": draw(st.none() | st.integers(0, n - 1)),
            }
        )
    return nodes


async def _run_dag(nodes: list[dict[str, Any]], workers: int) -> None:
    proc = AdvancedAsyncProcessor(max_workers=workers, queue_size=0)
    log: list[tuple[str, str]] = []  # (event, task id) in the order they happened
    tasks: list[ProcessingTask] = []

    async def work(task: ProcessingTask) -> int:
        node = task.payload
        if node["cancel"] is not None:
            await proc.cancel_task(tasks[node["cancel"]].id)
        if node["suspend"]:
            await asyncio.sleep(0)
        if node["fail"]:
            raise RuntimeError("random failure")
        return 1

    proc.register_processor("node", work)
    proc.on_task_started(lambda task: log.append(("start", task.id)))
    proc.on_task_finished(lambda task, result: log.append((result.status.value, task.id)))
    for node in nodes:
        tasks.append(
            create_task(
                "node", node, node["priority"], depends_on=[tasks[d].id for d in node["deps"]]
            )
        )
    for task in tasks:  # all submitted before any worker runs: no await yields in between
        await proc.submit_task(task)
    await proc.start()
    results = [await proc.wait_for_task(task.id, timeout=10) for task in tasks]
    await proc.shutdown()

    assert all(r.status in TERMINAL for r in results)
    position = {(event, tid): i for i, (event, tid) in enumerate(log)}
    by_id = {t.id: t for t in tasks}
    for task, result in zip(tasks, results, strict=True):
        if ("start", task.id) in position:
            for dep in task.depends_on:
                # a task starts only after all its dependencies completed
                assert position.get(("completed", dep), 10**9) < position[("start", task.id)]
        if result.status is TaskStatus.COMPLETED:
            assert all(by_id[d].id in task.dependency_results for d in task.depends_on)
        if any(
            next(r for t, r in zip(tasks, results, strict=True) if t.id == d).status
            is not TaskStatus.COMPLETED
            for d in task.depends_on
        ):
            assert result.status is TaskStatus.CANCELLED
    if workers == 1:
        _check_priority_order(tasks, log)


def _check_priority_order(tasks: list[ProcessingTask], log: list[tuple[str, str]]) -> None:
    """Replay the log: each start must be the best (priority, submission order) ready task."""
    seq = {t.id: i for i, t in enumerate(tasks)}
    deps_left = {t.id: set(t.depends_on) for t in tasks}
    done: set[str] = set()
    ready = {t.id for t in tasks if not t.depends_on}
    for event, tid in log:
        if event == "start":
            best = min(ready - done, key=lambda i: (tasks[seq[i]].priority, seq[i]))
            assert tid == best
            ready.discard(tid)
        else:
            done.add(tid)
            ready.discard(tid)
            if event == "completed":
                for other, left in deps_left.items():
                    if tid in left:
                        left.discard(tid)
                        if not left and other not in done:
                            ready.add(other)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_single_worker(nodes: list[dict[str, Any]]) -> None:
    asyncio.run(_run_dag(nodes, workers=1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_many_workers(nodes: list[dict[str, Any]]) -> None:
    asyncio.run(_run_dag(nodes, workers=4))
