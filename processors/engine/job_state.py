"""The processor's bookkeeping slots of a submitted task (the base class of ``ProcessingTask``).

Typed with ``Self`` so that it needs nothing from ``task.py`` (which imports this module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from processors.engine.enums import TaskStatus


class JobState:
    """The processor's private bookkeeping of a submitted task, kept in slots of the task itself:
    one object per queued task instead of two, which the garbage collector pays for at 100k tasks.
    Set by the processor when the task is submitted; not part of the public API, not
    pickled, and a task object is in one processor at a time."""

    # Hidden from mypy: its dataclass plugin would otherwise see only ProcessingTask's own fields
    # as the slots of a task and reject every assignment to these.
    if not TYPE_CHECKING:
        __slots__ = (
            "attempts",
            "cancel_sent",
            "clock",
            "deadline",
            "denials",
            "dependents",
            "held",
            "key",
            "remaining",
            "retry_handle",
            "status",
            "type_key",
            "waiters",
            "worker",
        )

    attempts: int
    cancel_sent: bool
    #: monotonic time a running attempt times out at (0.0: no timeout)
    deadline: float
    denials: int
    #: tasks waiting on this one: a lone dependent is stored bare (no list per chain link)
    dependents: Self | list[Self] | None
    #: admission slots taken: HELD_TYPE | HELD_MEMORY (see ``processors.engine.graph``)
    held: int
    #: ready-heap key: priority first, then submission order (a plain int keeps the heap cheap)
    key: int
    #: unfinished dependencies, unknown ids included (-1: visited by a cancellation cascade)
    remaining: int
    retry_handle: Any
    #: monotonic time: of submission until the first start, then of the latest start (one
    #: slot for both keeps queued tasks small for the garbage collector)
    clock: float
    status: TaskStatus
    type_key: str
    waiters: list[Any] | None
    worker: Any
