"""Admission: what a ready job must get before it starts.

Per-type concurrency slots, the memory-intensive gate, the rate limit and the
``request_permission`` hook. Checked only when one of them is configured (``gated``), so an
ungated processor's hot path never enters here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable

from processors.engine.errors import PermissionDenied

from processors.engine.graph import HELD_MEMORY, HELD_TYPE, Job
from processors.engine.limits import MemoryGate, RateLimiter, TypeLimits
from processors.engine.outcomes import FAILED, PENDING, Outcomes
from processors.engine.task import ProcessingTask

log = logging.getLogger("processors.engine.processor")

PermissionCheck = Callable[[ProcessingTask], "bool | Awaitable[bool]"]


class Admission(Outcomes):
    """Start-time gates of the scheduler (a base class: the workers call ``_admit``)."""

    limits: TypeLimits
    memory_gate: MemoryGate
    rate_limit: RateLimiter | None
    _permission: PermissionCheck | None
    _permission_retries: int
    #: True when starts must go through ``_admit`` (checked once per job by the workers)
    gated: bool

    async def request_permission(self, task: ProcessingTask) -> bool:
        """Gate every start (rate limits, quotas...). Override in a subclass or pass
        ``permission_check``; a denied task is retried with backoff, then fails."""
        if self._permission is None:
            return True
        verdict = self._permission(task)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        return bool(verdict)

    def _update_gate(self) -> None:
        """Recompute whether starts need ``_admit`` (kept as a flag: checked once per job)."""
        self.gated = (
            bool(self.limits.limits) or self.rate_limit is not None or self._asks_permission
        )

    @property
    def _asks_permission(self) -> bool:
        return (
            self._permission is not None
            or type(self).request_permission is not Admission.request_permission
        )

    async def _admit(self, job: Job) -> bool:
        """Per-type limit, rate limit and permission. False: the job was parked or deferred."""
        task = job
        limits = self.limits
        if limits and job.type_key in limits.limits:
            if not limits.try_acquire(job, task.priority):
                return False
            job.held |= HELD_TYPE
        if task.memory_intensive:
            if not self.memory_gate.try_acquire(job, task.priority):
                self._unslot(job)
                return False
            job.held |= HELD_MEMORY
        rate = self.rate_limit
        if rate is not None:
            wait = rate.try_acquire(time.monotonic())
            if wait > 0.0:
                self._unslot(job)
                self.task_manager.push_ready(job)
                await asyncio.sleep(wait)
                return False
        if not self._asks_permission:
            return True
        error: Exception | None = None
        try:
            allowed = await self.request_permission(task)
        except Exception as exc:
            log.exception("request_permission failed for task %s", job.id)
            allowed, error = False, exc
        if job.status is not PENDING:  # cancelled while we asked
            self._unslot(job)
            return False
        if allowed:
            return True
        self._unslot(job)
        job.denials += 1
        if job.denials > self._permission_retries or error is not None:
            reason = f"{type(error).__name__}: {error}" if error else f"{job.denials} times"
            self._finish(
                job,
                FAILED,
                error=f"PermissionDenied: request_permission refused the task ({reason})",
                exc=PermissionDenied(reason),
            )
        else:
            delay = self.retry_policy.delay(job.denials)
            job.retry_handle = asyncio.get_running_loop().call_later(delay, self._requeue, job)
        return False

    def _unslot(self, job: Job) -> None:
        """Give back the admission slots ``job`` holds; the next parked job becomes ready."""
        held, job.held = job.held, 0
        for flag in (HELD_TYPE, HELD_MEMORY):
            if held & flag:
                nxt = self.limits.release(job) if flag == HELD_TYPE else self.memory_gate.release()
                if nxt is not None:
                    self.task_manager.push_ready(nxt)
                    self._wake()
