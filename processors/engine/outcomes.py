"""Outcomes of jobs: completion, failure and retries, timeouts, cancellation cascades.

``Outcomes`` holds the bookkeeping every ending goes through, so the worker loop in
``scheduler.py`` stays about running jobs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from processors.engine.graph import Job, TaskManager
from processors.engine.hooks import Hooks
from processors.engine.metrics import Metrics
from processors.engine.retry import RetryPolicy
from processors.engine.task import ProcessingType, TaskResult, TaskStatus
from processors.engine.wakeups import Wakeups

log = logging.getLogger("processors.engine.processor")

PENDING = TaskStatus.PENDING
RUNNING = TaskStatus.RUNNING
COMPLETED = TaskStatus.COMPLETED
FAILED = TaskStatus.FAILED
CANCELLED = TaskStatus.CANCELLED
TIMEOUT = TaskStatus.TIMEOUT


class Outcomes:
    """Records how jobs end. Shared by the scheduler (which starts jobs), the admission gates
    and the public API (``cancel_task``, shutdown); every ending goes through ``finish``."""

    def __init__(
        self,
        task_manager: TaskManager,
        metrics: Metrics,
        hooks: Hooks,
        wakeups: Wakeups,
        retry_policy: RetryPolicy,
        profiling: bool,
    ) -> None:
        self.task_manager = task_manager
        self.metrics = metrics
        self.hooks = hooks
        self.wakeups = wakeups
        self.retry_policy = retry_policy
        self.profiling = profiling
        # Direct references to the waiter lists (never replaced): ``finish`` runs once per task.
        self._idle = wakeups.idle
        self._space = wakeups.space
        #: running jobs with a deadline (at most one per worker) and the one watchdog timer
        self.timed: set[Job] = set()
        self.watch: asyncio.TimerHandle | None = None
        self.watch_at = float("inf")

    # -- deadlines ---------------------------------------------------------------------------

    def set_watch(self, when: float) -> None:
        """(Re-)arm the one watchdog timer of all running jobs; the scheduler calls this only for
        a deadline earlier than ``watch_at``, so a job that ends in time costs no timer."""
        if self.watch is not None:
            self.watch.cancel()
        self.watch_at = when
        delay = max(0.0, when - time.monotonic())
        self.watch = asyncio.get_running_loop().call_later(delay, self._watchdog)

    def _watchdog(self) -> None:
        self.watch = None
        self.watch_at = float("inf")
        now = time.monotonic()
        for job in [job for job in self.timed if job.deadline <= now]:
            self.on_timeout(job)
        if self.timed:
            self.set_watch(min(job.deadline for job in self.timed))

    def stop_watch(self) -> None:
        if self.watch is not None:
            self.watch.cancel()
            self.watch = None

    # -- outcomes ---------------------------------------------------------------------------

    def failed(self, job: Job, exc: Exception) -> None:
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
            self.schedule_retry(job)
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
        self.finish(job, FAILED, error=f"{type(exc).__name__}: {exc}", exc=exc)

    def schedule_retry(self, job: Job) -> None:
        if job.deadline:
            job.deadline = 0.0
            self.timed.discard(job)
        self.task_manager.set_status(job, PENDING)
        self.metrics.retries += 1
        delay = self.retry_policy.delay(job.attempts)
        job.retry_handle = asyncio.get_running_loop().call_later(delay, self.requeue, job)

    def requeue(self, job: Job) -> None:
        """A retry's (or a denied permission's) backoff is over: the job is ready again."""
        job.retry_handle = None
        if job.status is PENDING and not self.wakeups.stopping:
            self.task_manager.push_ready(job)
            self.wakeups.wake()

    def on_timeout(self, job: Job) -> None:
        job.deadline = 0.0
        self.timed.discard(job)
        task = job
        if job.status is not RUNNING:
            return
        worker = job.worker
        if task.retry_on_timeout and job.attempts <= task.max_retries:
            self.schedule_retry(job)
        else:
            log.warning("task %s (%s) timed out after %ss", job.id, job.type_key, task.timeout)
            self.finish(job, TIMEOUT, error=f"timed out after {task.timeout}s")
        self.interrupt(job, worker, "timeout")

    def waiter(self, job: Job) -> asyncio.Future[TaskResult]:
        """A future that ``finish`` resolves with ``job``'s result."""
        waiter: asyncio.Future[TaskResult] = asyncio.get_running_loop().create_future()
        if job.waiters is None:
            job.waiters = [waiter]
        else:
            job.waiters.append(waiter)
        return waiter

    def cancel(self, job: Job, reason: str) -> None:
        """Cancel a pending or running job (``cancel_task``); its dependents are cancelled too."""
        worker = job.worker if job.status is RUNNING else None
        self.finish(job, CANCELLED, error=f"cancelled: {reason}")
        self.interrupt(job, worker, reason)

    def interrupt(self, job: Job, worker: asyncio.Task[None] | None, why: str) -> None:
        """Throw CancelledError into the running job (thread/process work is abandoned)."""
        if worker is not None and worker is not asyncio.current_task() and not worker.done():
            job.cancel_sent = worker.cancel(f"task {job.id}: {why}")

    def finish(
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
            self.timed.discard(job)
        if job.retry_handle is not None:
            job.retry_handle.cancel()
            job.retry_handle = None
        tm = self.task_manager
        was_pending = job.status is PENDING
        if was_pending:
            tm.queued.pop(job.key, None)
            if tm.awaiting:
                tm.unpark(job)
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
        if was_pending and self._space:
            self.wakeups.space_freed()
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
                if released > 0:
                    idle = self._idle
                    for _ in range(min(released, len(idle))):
                        self.wakeups.wake()
                    if self.wakeups.held_back:  # a released job may be for the reserved lane
                        self.wakeups.wake_held_back()
            else:
                root = caused_by or job.id
                reason = cascade_reason(result, root) if caused_by is None else error
                for dep in tm.cascade(job):
                    self.finish(dep, CANCELLED, error=reason, caused_by=root)
        if self.wakeups.quiet is not None:
            self.wakeups.check_quiet(tm.counts)
        return now

    # -- shutdown helpers -------------------------------------------------------------------

    def cancel_all(self, reason: str, running: bool) -> None:
        jobs = list(self.task_manager.pending_jobs())
        for job in jobs:
            if job.status is PENDING:
                self.finish(job, CANCELLED, error=f"cancelled: {reason}")
        if running:
            for job in self.task_manager.live_jobs():
                if job.status is RUNNING:
                    worker = job.worker
                    self.finish(job, CANCELLED, error=f"cancelled: {reason}")
                    self.interrupt(job, worker, reason)

    def cancel_parked(self, why: str) -> None:
        """Cancel every job waiting for a task id not submitted (and, by cascade, their
        dependents)."""
        awaiting = self.task_manager.awaiting
        for missing, jobs in list(awaiting.items()):
            for job in list(jobs):
                if job.status is PENDING:
                    error = f"cancelled: {why} (waiting for task id {missing!r})"
                    self.finish(job, CANCELLED, error=error)
        awaiting.clear()


_BUILTIN_TYPES = frozenset(t.value for t in ProcessingType)


def cascade_reason(failed: TaskResult, root: str) -> str:
    """Why the dependents of the task that ended with ``failed`` are cancelled."""
    what = {FAILED: "failed", TIMEOUT: "timed out", CANCELLED: "was cancelled"}.get(
        failed.status, str(failed.status)
    )
    if failed.caused_by is not None and failed.error:
        return failed.error  # already names the root
    return f"cancelled: dependency {root} ({failed.task_type}) {what}: {failed.error}"
