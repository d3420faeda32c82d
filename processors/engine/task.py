"""Tasks and results: the data the job processor schedules and hands back."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from processors.engine.enums import ProcessingType, TaskPriority, TaskStatus
from processors.engine.job_state import JobState

# The enums live in ``enums.py``; re-exported here, where callers have always imported them.
__all__ = [
    "ProcessingTask",
    "ProcessingType",
    "TaskPriority",
    "TaskResult",
    "TaskStatus",
    "create_task",
    "describe_value",
    "new_task_id",
    "type_name",
]


_id_counter = itertools.count(1)
_id_prefix = os.urandom(8).hex() + "-"


def _reset_ids() -> None:
    """A forked child gets its own prefix, so ids stay unique across processes too."""
    global _id_counter, _id_prefix
    _id_counter = itertools.count(1)
    _id_prefix = os.urandom(8).hex() + "-"


os.register_at_fork(after_in_child=_reset_ids)


def new_task_id() -> str:
    """A unique id: a random per-process prefix and a counter (10x cheaper than a UUID4, which
    matters at 100k tasks/s); the random prefix keeps ids from a restarted daemon or a restored
    snapshot from colliding with new ones."""
    return f"{_id_prefix}{next(_id_counter)}"


def type_name(task_type: ProcessingType | str) -> str:
    """The registry key of a task type (``ProcessingType`` members are their own value)."""
    return str(task_type)


class ProcessingTask(JobState):
    """One job. ``payload`` is the processor function's input; dependencies' results arrive in
    ``dependency_results`` (dependency id -> result) before the task starts.

    A plain slotted class rather than a dataclass so that ``tags``, ``depends_on``,
    ``dependency_results`` and ``dependency_types`` are created on first use: a task that never
    needs them costs one object instead of three for the garbage collector, which is most of what
    100k queued tasks cost. Equality is identity."""

    __slots__ = (
        "_arrived",
        "_dependency_results",
        "_dependency_types",
        "_depends_on",
        "_tags",
        "cpu_intensive",
        "created_at",
        "id",
        "io_bound",
        "max_retries",
        "memory_intensive",
        "payload",
        "priority",
        "retry_on_timeout",
        "task_type",
        "timeout",
    )

    def __init__(
        self,
        task_type: ProcessingType | str,
        payload: dict[str, Any],
        priority: TaskPriority = TaskPriority.NORMAL,
        timeout: float | None = None,
        max_retries: int = 0,
        cpu_intensive: bool = False,
        memory_intensive: bool = False,
        io_bound: bool = False,
        tags: set[str] | None = None,
        depends_on: list[str] | None = None,
        id: str | None = None,
        created_at: float | None = None,
        retry_on_timeout: bool = False,
        dependency_results: dict[str, Any] | None = None,
        dependency_types: dict[str, str] | None = None,
    ) -> None:
        self.task_type = task_type
        self.payload = payload
        self.priority = priority
        self.timeout = timeout
        self.max_retries = max_retries
        self.cpu_intensive = cpu_intensive
        self.memory_intensive = memory_intensive
        self.io_bound = io_bound
        self._tags = tags
        #: a list until submitted, then frozen (see ``freeze_dependencies``)
        self._depends_on: list[str] | tuple[str, ...] | str | None = depends_on
        self.id = new_task_id() if id is None else id
        self.created_at = time.time() if created_at is None else created_at
        #: retry after a timeout too (by default only exceptions are retried)
        self.retry_on_timeout = retry_on_timeout
        self._dependency_results = dependency_results
        #: dependency id -> its task type, so ``dependency_result(type)`` needs no lookup
        self._dependency_types = dependency_types
        #: results of completed dependencies not unpacked yet (see ``deliver``)
        self._arrived: TaskResult | list[TaskResult] | None = None

    @property
    def tags(self) -> set[str]:
        tags = self._tags
        if tags is None:
            tags = self._tags = set()
        return tags

    @tags.setter
    def tags(self, value: set[str]) -> None:
        self._tags = value

    @property
    def depends_on(self) -> list[str]:
        """The ids this task waits for. Fixed once the task is submitted (``freeze_dependencies``):
        from then on this returns a copy, since changing a queued task's dependencies cannot
        rewire the graph."""
        depends_on = self._depends_on
        if depends_on is None:
            depends_on = self._depends_on = []
        elif isinstance(depends_on, str):
            return [depends_on]
        elif isinstance(depends_on, tuple):
            return list(depends_on)
        return depends_on

    @depends_on.setter
    def depends_on(self, value: list[str]) -> None:
        self._depends_on = value

    def dependency_ids(self) -> Sequence[str]:
        """``depends_on`` without a copy, whatever form it is stored in."""
        depends_on = self._depends_on
        if isinstance(depends_on, str):
            return (depends_on,)
        return depends_on or ()

    def freeze_dependencies(self) -> None:
        """Called at submission. A lone dependency is kept as its id and several as a tuple: the
        caller's list is let go, and neither form is tracked by the garbage collector, whose
        collections are what 100k queued tasks mostly cost."""
        depends_on = self._depends_on
        if depends_on and not isinstance(depends_on, str):
            self._depends_on = depends_on[0] if len(depends_on) == 1 else tuple(depends_on)

    @property
    def dependency_results(self) -> dict[str, Any]:
        if self._arrived is not None:
            self._unpack_arrived()
        results = self._dependency_results
        if results is None:
            results = self._dependency_results = {}
        return results

    @dependency_results.setter
    def dependency_results(self, value: dict[str, Any]) -> None:
        self._dependency_results = value

    @property
    def dependency_types(self) -> dict[str, str]:
        if self._arrived is not None:
            self._unpack_arrived()
        types = self._dependency_types
        if types is None:
            types = self._dependency_types = {}
        return types

    @dependency_types.setter
    def dependency_types(self, value: dict[str, str]) -> None:
        self._dependency_types = value

    def deliver(self, result: TaskResult) -> None:
        """A dependency completed: keep its result for ``dependency_results``. Stored as is and
        unpacked on first read, so a dependency edge costs no dicts unless the task looks."""
        arrived = self._arrived
        if arrived is None:
            self._arrived = result
        elif isinstance(arrived, list):
            arrived.append(result)
        else:
            self._arrived = [arrived, result]

    def _unpack_arrived(self) -> None:
        arrived = self._arrived
        self._arrived = None
        if self._dependency_results is None:
            self._dependency_results = {}
        if self._dependency_types is None:
            self._dependency_types = {}
        for done in arrived if isinstance(arrived, list) else (arrived,):
            assert done is not None
            self._dependency_results[done.task_id] = done.result
            self._dependency_types[done.task_id] = done.task_type

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _REPR_FIELDS)
        return f"ProcessingTask({shown})"

    def dependency_result(self, task_type: ProcessingType | str) -> Any | None:
        """The result of the last dependency (in ``depends_on`` order) of ``task_type``, or None."""
        wanted = type_name(task_type)
        found: Any | None = None
        for dep_id in self.depends_on:
            if self.dependency_types.get(dep_id) == wanted:
                found = self.dependency_results.get(dep_id)
        return found

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the task's fields only, never the processor's bookkeeping (futures, timers)."""
        return {name: getattr(self, name) for name in _TASK_FIELDS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._arrived = None
        for name, value in state.items():
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (payload values that JSON cannot hold are summarised)."""
        return {
            "id": self.id,
            "task_type": type_name(self.task_type),
            "payload": {str(k): describe_value(v) for k, v in self.payload.items()},
            "priority": int(self.priority),
            "priority_name": TaskPriority(self.priority).name,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "cpu_intensive": self.cpu_intensive,
            "memory_intensive": self.memory_intensive,
            "io_bound": self.io_bound,
            "tags": sorted(self.tags),
            "depends_on": list(self.depends_on),
            "created_at": self.created_at,
        }


#: the constructor's arguments, in order (what is pickled, and what repr shows but the last two)
_TASK_FIELDS = (
    "task_type",
    "payload",
    "priority",
    "timeout",
    "max_retries",
    "cpu_intensive",
    "memory_intensive",
    "io_bound",
    "tags",
    "depends_on",
    "id",
    "created_at",
    "retry_on_timeout",
    "dependency_results",
    "dependency_types",
)
_REPR_FIELDS = _TASK_FIELDS[:-2]


def describe_value(value: Any) -> Any:
    """``value`` if JSON can hold it as is, else a short readable summary."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [describe_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe_value(v) for k, v in value.items()}
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):  # a typed result (e.g. a stage's dataclass) that says how to be JSON
        return describe_value(to_dict())
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<{type(value).__name__} shape={tuple(shape)} dtype={getattr(value, 'dtype', '?')}>"
    if callable(value):
        return f"<callable {getattr(value, '__qualname__', type(value).__name__)}>"
    return f"<{type(value).__name__}>"


@dataclass(slots=True)
class TaskResult:
    """What a finished task produced. ``error`` is a readable message for non-completed tasks;
    ``caused_by`` names the root task when a dependency's failure cancelled this one."""

    task_id: str
    status: TaskStatus
    result: Any = None
    error: str | None = None
    execution_time: float = 0.0
    created_at: float = 0.0
    completed_at: float = 0.0
    attempts: int = 0
    task_type: str = ""
    caused_by: str | None = None
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status.value,
            "result": describe_value(self.result),
            "error": self.error,
            "execution_time": self.execution_time,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "attempts": self.attempts,
            "task_type": self.task_type,
            "caused_by": self.caused_by,
        }


def create_task(
    task_type: ProcessingType | str,
    payload: dict[str, Any],
    priority: TaskPriority = TaskPriority.NORMAL,
    **kwargs: Any,
) -> ProcessingTask:
    """The guide's shorthand: ``create_task(type, payload, priority, timeout=..., ...)``."""
    return ProcessingTask(task_type, payload, priority, **kwargs)
