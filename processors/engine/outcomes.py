"""Outcomes of jobs: completion, failure and retries, timeouts, cancellation cascades.

``Outcomes`` is the base of the scheduler; it holds the bookkeeping every ending goes through, so
the worker loop in ``scheduler.py`` stays about running jobs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from processors.engine.hooks import Hooks
from processors.engine.retry import RetryPolicy

from processors.engine.graph import Job, TaskManager
from processors.engine.metrics import Metrics
from processors.engine.task import ProcessingType, TaskResult, TaskStatus

log = logging.getLogger("processors.engine.processor")

PENDING = TaskStatus.PENDING
RUNNING = TaskStatus.RUNNING
COMPLETED = TaskStatus.COMPLETED
FAILED = TaskStatus.FAILED
CANCELLED = TaskStatus.CANCELLED
TIMEOUT = TaskStatus.TIMEOUT


class Outcomes:
    task_manager: TaskManager
    metrics: Metrics
    hooks: Hooks
    retry_policy: RetryPolicy
    profiling: bool
    max_workers: int
    _idle: list[asyncio.Future[None]]
    _space_waiters: deque[asyncio.Future[None]]
    _stopping: bool
    _quiet: asyncio.Event | None
    _drain: bool
    #: running jobs with a deadline (at most one per worker) and the one watchdog timer for them
    _timed: set[Job]
    _watch: asyncio.TimerHandle | None
    _watch_at: float

    def _arm_deadline(self, job: Job, deadline: float) -> None:
        """One shared timer for all running jobs: re-armed only for an earlier deadline, so a
        job that finishes in time costs a set add/discard, not a timer."""
        job.deadline = deadline
        self._timed.add(job)
        if deadline < self._watch_at:
            self._set_watch(deadline)

    def _set_watch(self, when: float) -> None:
        if self._watch is not None:
            self._watch.cancel()
        self._watch_at = when
        delay = max(0.0, when - time.monotonic())
        self._watch = asyncio.get_running_loop().call_later(delay, self._watchdog)

    def _watchdog(self) -> None:
        self._watch = None
        self._watch_at = float("inf")
        now = time.monotonic()
        for job in [job for job in self._timed if job.deadline <= now]:
            self._on_timeout(job)
        if self._timed:
            self._set_watch(min(job.deadline for job in self._timed))

    def _clear_deadline(self, job: Job) -> None:
        job.deadline = 0.0
        self._timed.discard(job)

    def _wake(self) -> None:
        idle = self._idle
        while idle:
            waiter = idle.pop()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _space_freed(self) -> None:
        waiters = self._space_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # -- outcomes ---------------------------------------------------------------------------

    def _failed(self, job: Job, exc: Exception) -> None:
        task = job
        if job.attempts <= task.max_retries:
            log.info(
                "task %s (%s) attempt %d failed (%s: %s); retrying",
                job.id,
                job.type_key,
                job.attempts,
                type(exc).__name__,
                exc,
            )
            self._schedule_retry(job)
            return
        log.warning(
            "task %s (%s) failed after %d attempt(s): %s: %s",
            job.id,
            job.type_key,
            job.attempts,
            type(exc).__name__,
            exc,
            exc_info=exc if self.profiling else None,
        )
        if job.type_key not in _BUILTIN_TYPES:
            self.metrics.plugin_errors += 1
        self._finish(job, FAILED, error=f"{type(exc).__name__}: {exc}", exc=exc)

    def _schedule_retry(self, job: Job) -> None:
        if job.deadline:
            self._clear_deadline(job)
        self.task_manager.set_status(job, PENDING)
        self.metrics.retries += 1
        delay = self.retry_policy.delay(job.attempts)
        job.retry_handle = asyncio.get_running_loop().call_later(delay, self._requeue, job)

    def _requeue(self, job: Job) -> None:
        job.retry_handle = None
        if job.status is PENDING and not self._stopping:
            self.task_manager.push_ready(job)
            self._wake()

    def _on_timeout(self, job: Job) -> None:
        self._clear_deadline(job)
        task = job
        if job.status is not RUNNING:
            return
        worker = job.worker
        if task.retry_on_timeout and job.attempts <= task.max_retries:
            self._schedule_retry(job)
        else:
            log.warning("task %s (%s) timed out after %ss", job.id, job.type_key, task.timeout)
            self._finish(job, TIMEOUT, error=f"timed out after {task.timeout}s")
        self._interrupt(job, worker, "timeout")

    def _interrupt(self, job: Job, worker: asyncio.Task[None] | None, why: str) -> None:
        """Throw CancelledError into the running job (thread/process work is abandoned)."""
        if worker is not None and worker is not asyncio.current_task() and not worker.done():
            job.cancel_sent = worker.cancel(f"task {job.id}: {why}")

    def _finish(
        self,
        job: Job,
        status: TaskStatus,
        value: Any = None,
        *,
        error: str | None = None,
        exc: BaseException | None = None,
        caused_by: str | None = None,
    ) -> float:
        """Record the outcome, wake waiters, fire hooks, then release or cancel dependents.
        From here on ``TaskManager.jobs`` holds the result, not the task (nor its payload).
        Returns the monotonic time it was recorded at."""
        if job.deadline:
            job.deadline = 0.0
            self._timed.discard(job)
        if job.retry_handle is not None:
            job.retry_handle.cancel()
            job.retry_handle = None
        tm = self.task_manager
        was_pending = job.status is PENDING
        if was_pending:
            tm.queued.pop(job.key, None)
        counts = tm.counts
        counts[job.status] -= 1
        counts[status] += 1
        job.status = status
        now = time.monotonic()
        execution = now - job.clock if job.attempts else 0.0  # clock: the latest start
        if exc is not None:
            exc.__traceback__ = None  # keep the message, not the frames, for retained results
        result = tm.jobs[job.id] = TaskResult(
            job.id, status, value, error, execution, job.created_at, time.time(),
            job.attempts, job.type_key, caused_by, exc,
        )  # fmt: skip
        metrics = self.metrics  # inlined Metrics.finished_job: this runs once per task
        metrics.finished += 1
        stats = metrics.by_type[job.type_key]
        stats.counts[status] += 1
        if status is COMPLETED:
            metrics.completed += 1
        if execution > 0.0:
            metrics.total_execution += execution
            metrics.timed += 1
            if metrics.monitoring:
                metrics.execution.append(execution)
                stats.execution.append(execution)
        if int(now) != metrics.second:
            metrics.roll(int(now))
        metrics.buckets[-1] += 1
        if self.profiling:
            log.debug("task %s (%s) %s in %.6fs", job.id, job.type_key, status.value, execution)
        waiters = job.waiters
        if waiters:
            job.waiters = None
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(result)
        if was_pending and self._space_waiters:
            self._space_freed()
        worker = job.worker
        job.worker = None
        hooks = self.hooks
        for hook in hooks.finished:  # inlined Hooks.fire
            try:
                outcome = hook(job, result)
            except Exception:
                hooks.failed(hook)
                continue
            if outcome is not None:
                hooks.adopt(outcome)
        order = tm.finished_order  # inlined TaskManager.forget_old: this runs once per task
        order.append(job.id)
        if len(order) > tm.keep_finished:
            tm.forget_old()
        if job.dependents:
            if status is COMPLETED:
                released = tm.release(job, result)
                if worker is not None:
                    # Only the worker running a job completes it, and it then goes on to start
                    # the next ready job itself: one fewer to wake.
                    released -= 1
                if released > 0 and self._idle:
                    for _ in range(min(released, len(self._idle))):
                        self._wake()
            else:
                root = caused_by or job.id
                reason = cascade_reason(result, root) if caused_by is None else error
                for dep in tm.cascade(job):
                    self._finish(dep, CANCELLED, error=reason, caused_by=root)
        if self._quiet is not None:
            self._check_quiet()
        return now

    def _check_quiet(self) -> None:
        counts = self.task_manager.counts
        if self._quiet is not None and counts[RUNNING] == 0:
            if not self._drain or counts[PENDING] == 0:
                self._quiet.set()

    # -- shutdown helpers -------------------------------------------------------------------

    def _cancel_all(self, reason: str, running: bool) -> None:
        jobs = list(self.task_manager.pending_jobs())
        for job in jobs:
            if job.status is PENDING:
                self._finish(job, CANCELLED, error=f"cancelled: {reason}")
        if running:
            for job in self.task_manager.live_jobs():
                if job.status is RUNNING:
                    worker = job.worker
                    self._finish(job, CANCELLED, error=f"cancelled: {reason}")
                    self._interrupt(job, worker, reason)


_BUILTIN_TYPES = frozenset(t.value for t in ProcessingType)


def cascade_reason(failed: TaskResult, root: str) -> str:
    """Why the dependents of the task that ended with ``failed`` are cancelled."""
    what = {FAILED: "failed", TIMEOUT: "timed out", CANCELLED: "was cancelled"}.get(
        failed.status, str(failed.status)
    )
    if failed.caused_by is not None and failed.error:
        return failed.error  # already names the root
    return f"cancelled: dependency {root} ({failed.task_type}) {what}: {failed.error}"
