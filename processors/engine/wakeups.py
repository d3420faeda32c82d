"""Who waits on the scheduler: idle workers, held-back workers, submitters waiting for queue room,
and shutdown waiting for quiet. One object shared by the parts that wake them.

The lists and the deque are created once and never replaced, so the parts may keep direct
references to them (the hot paths do: an attribute lookup per task adds up at 100k tasks/s).
"""

from __future__ import annotations

import asyncio
from collections import deque

from processors.engine.enums import TaskStatus
from processors.engine.errors import ProcessorShutDown, QueueFull

PENDING = TaskStatus.PENDING
RUNNING = TaskStatus.RUNNING


class Wakeups:
    def __init__(self) -> None:
        #: workers with nothing to run
        self.idle: list[asyncio.Future[None]] = []
        #: workers that found only LOW/BATCH work while those may not take more workers (the
        #: reserved lane): woken for CRITICAL/HIGH/NORMAL work only
        self.held_back: list[asyncio.Future[None]] = []
        #: submitters waiting for room in a full queue, oldest first
        self.space: deque[asyncio.Future[None]] = deque()
        #: set by shutdown: fires once nothing runs (and, when draining, nothing is queued)
        self.quiet: asyncio.Event | None = None
        self.drain = False
        #: workers return at their next iteration
        self.stopping = False
        #: shutdown began: submitters waiting for room give up
        self.closed = False

    def wake(self) -> None:
        """A job became ready: wake one idle worker, else one held back (it re-checks the lane)."""
        for waiters in (self.idle, self.held_back):
            while waiters:
                waiter = waiters.pop()
                if not waiter.done():
                    waiter.set_result(None)
                    return

    def wake_held_back(self) -> None:
        held = self.held_back
        while held:
            waiter = held.pop()
            if not waiter.done():
                waiter.set_result(None)
                return

    def wake_all(self) -> None:
        for waiters in (self.idle, self.held_back):
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            waiters.clear()

    def space_freed(self) -> None:
        """A pending task started or ended: let the oldest waiting submitter re-check."""
        waiters = self.space
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def room(
        self, counts: dict[TaskStatus, int], needed: int, queue_size: int, wait: bool
    ) -> None:
        """Return once ``needed`` more pending tasks fit in ``queue_size``; raise ``QueueFull``
        instead of waiting if ``wait`` is false (like ``asyncio.Queue.put_nowait``)."""
        if needed > queue_size:
            raise QueueFull(f"{needed} tasks can never fit in a queue of {queue_size}")
        while counts[PENDING] + needed > queue_size:
            if not wait:
                raise QueueFull(
                    f"processor queue is full ({counts[PENDING]} pending, queue_size="
                    f"{queue_size}); retry later, or submit with wait=True to wait for room"
                )
            waiter = asyncio.get_running_loop().create_future()
            self.space.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
            if self.closed:  # shutdown began while we waited
                raise ProcessorShutDown("the processor is shutting down")
        if self.space:  # room may be left for the next waiter too
            self.space_freed()

    def close(self) -> None:
        """Shutdown began: submitters waiting for room get ``ProcessorShutDown``."""
        self.closed = True
        while self.space:
            waiter = self.space.popleft()
            if not waiter.done():
                waiter.set_exception(ProcessorShutDown("the processor is shutting down"))

    def check_quiet(self, counts: dict[TaskStatus, int]) -> None:
        quiet = self.quiet
        if quiet is not None and counts[RUNNING] == 0:
            if not self.drain or counts[PENDING] == 0:
                quiet.set()
