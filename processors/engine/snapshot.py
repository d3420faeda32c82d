"""Snapshot and restore of unfinished tasks, for crash recovery.

A snapshot is plain JSON: each unfinished task with its payload and the results of the dependencies
it already received, so restoring does not need the finished tasks.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from processors.engine.errors import SnapshotError
from processors.engine.graph import SEQ_MASK, Job, TaskManager
from processors.engine.task import ProcessingTask, ProcessingType, TaskPriority, TaskStatus

log = logging.getLogger(__name__)

VERSION = 1


def _task_entry(job: Job, unknown: Mapping[str, Any]) -> dict[str, Any]:
    task = job
    entry = {
        "id": task.id,
        "task_type": str(task.task_type),
        "payload": task.payload,
        "priority": int(task.priority),
        "timeout": task.timeout,
        "max_retries": task.max_retries,
        "cpu_intensive": task.cpu_intensive,
        "memory_intensive": task.memory_intensive,
        "io_bound": task.io_bound,
        "tags": sorted(task.tags),
        "depends_on": list(task.depends_on),
        "created_at": task.created_at,
        "retry_on_timeout": task.retry_on_timeout,
        "dependency_results": task.dependency_results,
        "dependency_types": task.dependency_types,
        "status": job.status.value,
    }
    awaiting = [dep for dep in task.dependency_ids() if dep in unknown]
    if awaiting:  # ids not submitted yet: the restored task waits for them again
        entry["awaiting"] = awaiting
    json.dumps(entry)  # raises for payloads JSON cannot hold
    return entry


def snapshot_tasks(
    task_manager: TaskManager, *, include_running: bool = True, skip_unserializable: bool = False
) -> dict[str, Any]:
    """The pending (and, with ``include_running``, running) tasks, in submission order."""
    jobs = [
        job
        for job in task_manager.live_jobs()
        if job.status is TaskStatus.PENDING
        or (include_running and job.status is TaskStatus.RUNNING)
    ]
    entries: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for job in sorted(jobs, key=lambda j: j.key & SEQ_MASK):
        try:
            entries.append(_task_entry(job, task_manager.awaiting))
        except (TypeError, ValueError) as exc:
            skipped.append({"id": job.id, "task_type": job.type_key, "reason": str(exc)})
    if skipped and not skip_unserializable:
        raise SnapshotError(
            "cannot snapshot tasks whose payload or dependency results are not JSON-serializable: "
            + "; ".join(f"{s['id']} ({s['task_type']}): {s['reason']}" for s in skipped)
        )
    for s in skipped:
        log.warning("snapshot: skipped task %s (%s): %s", s["id"], s["task_type"], s["reason"])
    return {"version": VERSION, "created_at": time.time(), "tasks": entries, "skipped": skipped}


def tasks_from_snapshot(data: Mapping[str, Any], known: Mapping[str, Any]) -> list[ProcessingTask]:
    """Rebuild the tasks of a snapshot (raises ``SnapshotError`` naming what is wrong)."""
    if not isinstance(data, Mapping) or data.get("version") != VERSION:
        raise SnapshotError(f"not a version-{VERSION} processor snapshot")
    entries = data.get("tasks")
    if not isinstance(entries, list):
        raise SnapshotError("snapshot has no 'tasks' list")
    tasks: list[ProcessingTask] = []
    for i, entry in enumerate(entries):
        try:
            task_type: ProcessingType | str = entry["task_type"]
            if task_type in ProcessingType._value2member_map_:
                task_type = ProcessingType(task_type)
            task = ProcessingTask(
                task_type,
                dict(entry["payload"]),
                TaskPriority(int(entry["priority"])),
                timeout=entry.get("timeout"),
                max_retries=int(entry.get("max_retries", 0)),
                cpu_intensive=bool(entry.get("cpu_intensive", False)),
                memory_intensive=bool(entry.get("memory_intensive", False)),
                io_bound=bool(entry.get("io_bound", False)),
                tags=set(entry.get("tags", ())),
                depends_on=list(entry.get("depends_on", ())),
                id=str(entry["id"]),
                created_at=float(entry.get("created_at", time.time())),
                retry_on_timeout=bool(entry.get("retry_on_timeout", False)),
                dependency_results=dict(entry.get("dependency_results", {})),
                dependency_types=dict(entry.get("dependency_types", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(
                f"snapshot task #{i} is malformed: {type(exc).__name__}: {exc}"
            ) from exc
        tasks.append(task)
    ids = {task.id for task in tasks}
    for task, entry in zip(tasks, entries, strict=True):
        awaiting = entry.get("awaiting", ())
        for dep in task.depends_on:
            if dep in awaiting:
                continue  # not submitted when the snapshot was taken: waited for again
            if dep not in ids and dep not in known and dep not in task.dependency_results:
                raise SnapshotError(
                    f"snapshot task {task.id} depends on {dep}, which is neither in the snapshot "
                    "nor finished with a recorded result"
                )
    return tasks
