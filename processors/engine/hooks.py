"""Task lifecycle hooks: submitted / started / finished callbacks, sync or async.

A hook that raises is logged and counted; it never breaks the processor or the task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Hook = Callable[..., Any]
EVENTS = ("submitted", "started", "finished")


class Hooks:
    def __init__(self) -> None:
        self.submitted: list[Hook] = []
        self.started: list[Hook] = []
        self.finished: list[Hook] = []
        self.errors = 0
        self._pending: set[asyncio.Task[Any]] = set()

    def add(self, event: str, hook: Hook) -> Callable[[], None]:
        """Register ``hook`` for ``event``; returns a function that removes it."""
        if event not in EVENTS:
            raise ValueError(f"unknown hook event {event!r}; expected one of {EVENTS}")
        if not callable(hook):
            raise TypeError(f"hook for {event!r} must be callable, got {hook!r}")
        hooks: list[Hook] = getattr(self, event)
        hooks.append(hook)

        def remove() -> None:
            if hook in hooks:
                hooks.remove(hook)

        return remove

    def fire(self, hooks: list[Hook], *args: Any) -> None:
        for hook in hooks:
            try:
                outcome = hook(*args)
            except Exception:
                self.failed(hook)
                continue
            if outcome is not None:
                self.adopt(outcome)

    # The processor's hot path inlines ``fire`` (a call per event per task adds up at 100k/s)
    # and calls these two for the rare cases.

    def failed(self, hook: Hook) -> None:
        """``hook`` raised (call from inside the ``except`` block)."""
        self.errors += 1
        log.exception("task hook %r failed", hook)

    def adopt(self, outcome: object) -> None:
        """A hook returned ``outcome``: if it is a coroutine, run it as a tracked task."""
        if asyncio.iscoroutine(outcome):
            task = asyncio.get_running_loop().create_task(outcome)
            self._pending.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.errors += 1
            log.error("async task hook failed", exc_info=exc)

    async def drain(self, limit: float) -> None:
        """Wait (bounded) for async hooks still running, then cancel the rest."""
        if not self._pending:
            return
        pending = set(self._pending)
        _, late = await asyncio.wait(pending, timeout=max(limit, 0.0))
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
