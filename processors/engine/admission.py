"""Admission: what a ready job must get before it starts.

Per-type concurrency slots, the memory-intensive gate, the rate limit and the permission check.
Checked only when one of them is configured (``gated``), so an ungated processor's hot path never
enters here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable

from processors.engine.errors import PermissionDenied
from processors.engine.graph import HELD_MEMORY, HELD_TYPE, Job, TaskManager
from processors.engine.limits import MemoryGate, RateLimiter, TypeLimits
from processors.engine.outcomes import FAILED, PENDING, Outcomes
from processors.engine.task import ProcessingTask
from processors.engine.wakeups import Wakeups

log = logging.getLogger("processors.engine.processor")

#: ``permission_check=``: may a task start now? (sync or async)
PermissionCheck = Callable[[ProcessingTask], "bool | Awaitable[bool]"]
#: what admission calls: the processor's ``request_permission`` (overridable in a subclass)
AskPermission = Callable[[ProcessingTask], Awaitable[bool]]


async def ask_check(check: PermissionCheck, task: ProcessingTask) -> bool:
    """Call a ``permission_check`` that may be sync or async."""
    verdict = check(task)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return bool(verdict)


class Admission:
    """Start-time gates of the scheduler: its workers call ``admit`` for each job while
    ``gated``; a job refused here is parked, deferred or failed by admission itself."""

    def __init__(
        self,
        task_manager: TaskManager,
        outcomes: Outcomes,
        wakeups: Wakeups,
        *,
        limits: TypeLimits,
        memory_gate: MemoryGate,
        rate_limit: RateLimiter | None,
        ask: AskPermission | None,
        permission_retries: int,
    ) -> None:
        self.task_manager = task_manager
        self.outcomes = outcomes
        self.wakeups = wakeups
        self.limits = limits
        self.memory_gate = memory_gate
        self.rate_limit = rate_limit
        #: None: every task may start (no ``permission_check`` and no overridden
        #: ``request_permission``), so nobody is asked
        self.ask = ask
        self.permission_retries = permission_retries
        self._memory_seen = False
        #: True when starts must go through ``admit`` (checked once per job by the workers)
        self.gated = False
        self.update_gate()

    def update_gate(self) -> None:
        """Recompute whether starts need ``admit`` (kept as a flag: checked once per job)."""
        self.gated = (
            bool(self.limits.limits)
            or self.rate_limit is not None
            or self.ask is not None
            or self._memory_seen
        )

    def memory_task_seen(self) -> None:
        """The first ``memory_intensive`` task was submitted: from now on starts are gated."""
        self._memory_seen = self.gated = True

    async def admit(self, job: Job) -> bool:
        """Per-type limit, rate limit and permission. False: the job was parked or deferred."""
        task = job
        limits = self.limits
        if limits and job.type_key in limits.limits:
            if not limits.try_acquire(job, task.priority):
                return False
            job.held |= HELD_TYPE
        if task.memory_intensive:
            if not self.memory_gate.try_acquire(job, task.priority):
                self.unslot(job)
                return False
            job.held |= HELD_MEMORY
        rate = self.rate_limit
        if rate is not None:
            wait = rate.try_acquire(time.monotonic())
            if wait > 0.0:
                self.unslot(job)
                self.task_manager.push_ready(job)
                await asyncio.sleep(wait)
                return False
        if self.ask is None:
            return True
        error: Exception | None = None
        try:
            allowed = await self.ask(task)
        except Exception as exc:
            log.exception("request_permission failed for task %s", job.id)
            allowed, error = False, exc
        if job.status is not PENDING:  # cancelled while we asked
            self.unslot(job)
            return False
        if allowed:
            return True
        self.unslot(job)
        job.denials += 1
        if job.denials > self.permission_retries or error is not None:
            reason = f"{type(error).__name__}: {error}" if error else f"{job.denials} times"
            self.outcomes.finish(
                job,
                FAILED,
                error=f"PermissionDenied: request_permission refused the task ({reason})",
                exc=PermissionDenied(reason),
            )
        else:
            delay = self.outcomes.retry_policy.delay(job.denials)
            loop = asyncio.get_running_loop()
            job.retry_handle = loop.call_later(delay, self.outcomes.requeue, job)
        return False

    def unslot(self, job: Job) -> None:
        """Give back the admission slots ``job`` holds; the next parked job becomes ready."""
        held, job.held = job.held, 0
        for flag in (HELD_TYPE, HELD_MEMORY):
            if held & flag:
                nxt = self.limits.release(job) if flag == HELD_TYPE else self.memory_gate.release()
                if nxt is not None:
                    self.task_manager.push_ready(nxt)
                    self.wakeups.wake()
