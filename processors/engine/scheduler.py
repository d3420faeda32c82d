"""The scheduling core: worker coroutines, job execution, completion, retries, cascades.

A fixed set of worker coroutines pops jobs from one ready queue ordered by (priority, submission
order) and runs coroutine processors inline, so the hot path of a job that never suspends is a few
dict and deque operations: no asyncio.Task, no timer, no loop iteration per job. Workers yield to
the loop every ``SLICE`` seconds so a burst of quick jobs never starves the rest of the daemon.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import logging
import time
from collections import deque
from typing import Any

from processors.engine.errors import NoProcessorRegistered
from processors.engine.hooks import Hooks
from processors.engine.retry import RetryPolicy

from processors.engine.admission import Admission, PermissionCheck
from processors.engine.execution import ExecutionContexts, is_async_callable
from processors.engine.graph import SEQ_BITS, Job, TaskManager
from processors.engine.limits import MemoryGate, RateLimiter, TypeLimits
from processors.engine.metrics import Metrics, WorkerStats
from processors.engine.outcomes import (
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    cascade_reason,
)
from processors.engine.registry import ProcessorRegistry, Resolved
from processors.engine.task import ProcessingTask, ProcessingType

log = logging.getLogger("processors.engine.processor")

CUSTOM = ProcessingType.CUSTOM.value

#: longest a worker runs jobs back to back before letting the loop breathe
SLICE = 0.002


class Scheduler(Admission):
    """State and machinery shared by the public processor API (see ``processor.py``)."""

    def __init__(
        self,
        *,
        max_workers: int,
        max_thread_workers: int,
        max_process_workers: int,
        enable_monitoring: bool,
        enable_profiling: bool,
        retry_policy: RetryPolicy,
        concurrency_limits: dict[ProcessingType | str, int] | None,
        rate_limit: RateLimiter | None,
        permission_check: PermissionCheck | None,
        permission_retries: int,
        keep_finished: int,
        mp_start_method: str,
        max_memory_intensive: int = 1,
    ) -> None:
        if max_workers < 1 or max_thread_workers < 1 or max_process_workers < 1:
            raise ValueError("max_workers, max_thread_workers and max_process_workers must be >= 1")
        self.max_workers = max_workers
        self.task_manager = TaskManager(keep_finished)
        self.registry = ProcessorRegistry()
        self.contexts = ExecutionContexts(max_thread_workers, max_process_workers, mp_start_method)
        self.metrics = Metrics(enable_monitoring)
        self.hooks = Hooks()
        self.limits = TypeLimits(concurrency_limits)
        self.rate_limit = rate_limit
        self.retry_policy = retry_policy
        self.profiling = enable_profiling
        self._permission = permission_check
        self._permission_retries = permission_retries
        self._seq = 0
        self._idle: list[asyncio.Future[None]] = []
        self._space_waiters: deque[asyncio.Future[None]] = deque()
        self._workers: list[tuple[WorkerStats, asyncio.Task[None]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._quiet: asyncio.Event | None = None
        self._drain = False
        self._timed: set[Job] = set()
        self._watch: asyncio.TimerHandle | None = None
        self._watch_at = float("inf")
        self.memory_gate = MemoryGate(max_memory_intensive)
        self._memory_seen = False
        self.gated = False
        self._update_gate()

    # -- submission -------------------------------------------------------------------------

    def _enqueue(self, job: ProcessingTask) -> None:
        seq = self._seq = self._seq + 1
        tm = self.task_manager
        # the processor's bookkeeping slots (see ``JobState``), set here rather than in a method
        job.type_key = str(job.task_type)
        job.key = (job.priority << SEQ_BITS) | seq  # ready-queue order: priority, then submission
        job.status = PENDING
        job.clock = time.monotonic()
        job.deadline = 0.0
        job.attempts = job.denials = job.remaining = job.held = 0
        job.dependents = job.waiters = job.retry_handle = job.worker = None
        job.cancel_sent = False
        tm.jobs[job.id] = job
        tm.counts[PENDING] += 1
        key = job.type_key
        stats = self.metrics.by_type.get(key) or self.metrics.type_stats(key)
        stats.counts["submitted"] += 1
        hooks = self.hooks
        for hook in hooks.submitted:  # inlined Hooks.fire
            try:
                outcome = hook(job)
            except Exception:
                hooks.failed(hook)
                continue
            if outcome is not None:
                hooks.adopt(outcome)
        if job.memory_intensive and not self._memory_seen:
            self._memory_seen = self.gated = True
        if job._depends_on:
            job.freeze_dependencies()
            bad = tm.link(job)
            if bad is not None:
                root = bad.caused_by or bad.task_id
                self._finish(
                    job,
                    CANCELLED,
                    error=cascade_reason(bad, root),
                    caused_by=root,
                )
                return
            if job.remaining:
                return
        ready_key = job.key  # inlined TaskManager.push_ready
        level = job.priority - 1
        fifo = tm.levels[level] if 0 <= level < 5 else None
        if fifo is not None and (not fifo or fifo[-1] < ready_key):
            fifo.append(ready_key)
        else:
            heapq.heappush(tm.late, ready_key)
        tm.queued[ready_key] = job
        if self._idle:
            self._wake()

    # -- workers ------------------------------------------------------------------------------

    async def _worker(self, stats: WorkerStats) -> None:
        levels = self.task_manager.levels
        late = self.task_manager.late
        queued = self.task_manager.queued
        heappop = heapq.heappop
        monotonic = time.monotonic
        explicit = self.registry.explicit
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        assert me is not None
        slice_end = monotonic() + SLICE
        while not self._stopping:
            try:
                if not queued:  # every queued job has its key in levels/late
                    stats.status = "idle"
                    waiter = loop.create_future()
                    self._idle.append(waiter)
                    await waiter
                    slice_end = monotonic() + SLICE
                    continue
                for fifo in levels:  # inlined TaskManager.pop_ready
                    if fifo:
                        key = heappop(late) if late and late[0] < fifo[0] else fifo.popleft()
                        break
                else:
                    key = heappop(late)
                job = queued.pop(key, None)
                if job is None or job.status is not PENDING:
                    continue  # cancelled while queued: its key is dropped here
                if self.gated and not await self._admit(job):
                    continue
                resolved = explicit.get(job.type_key)
                if resolved is not None and resolved.is_async:
                    # Hot path: a registered coroutine processor, awaited right here.
                    now = self._start(job, stats, me)
                    attempt = job.attempts
                    try:
                        value = await resolved.fn(job)
                    except BaseException as exc:
                        if self._conclude(job, attempt, None, exc, me):
                            self._end(job, stats, now)
                            raise
                        end = monotonic()
                    else:
                        if job.status is RUNNING and job.attempts == attempt:
                            end = self._finish(job, COMPLETED, value)
                        elif job.cancel_sent:  # cancelled, but the coroutine swallowed it
                            self._conclude(job, attempt, value, None, me)
                            end = monotonic()
                        else:
                            end = monotonic()
                    stats.tasks_processed += 1
                    stats.total_execution_time += end - now
                    if self.gated or self._quiet is not None:
                        self._end(job, stats, now, counted=True)
                else:
                    await self._run(job, stats, me, resolved)
                    end = monotonic()
                if end > slice_end:
                    await asyncio.sleep(0)
                    slice_end = monotonic() + SLICE
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except Exception:  # a bug in bookkeeping must not silently kill a worker
                log.exception("processor worker %s: internal error", stats.name)

    async def _resolve(self, job: Job) -> Resolved | NoProcessorRegistered:
        task = job
        key = job.type_key
        if key == CUSTOM:
            fn = task.payload.get("processor")
            if callable(fn):
                return Resolved(lambda t: fn(t.payload), is_async_callable(fn), "payload")
        found = self.registry.lookup(key)
        if found is None:
            found = await self.registry.resolve(key, self.contexts.thread_pool)
        if key == CUSTOM and isinstance(found, NoProcessorRegistered):
            return NoProcessorRegistered(
                "CUSTOM task needs payload['processor'] to be a callable taking the payload"
            )
        return found

    def _start(self, job: Job, stats: WorkerStats, me: asyncio.Task[None]) -> float:
        counts = self.task_manager.counts
        counts[PENDING] -= 1
        counts[RUNNING] += 1
        job.status = RUNNING
        if self._space_waiters:
            self._space_freed()
        job.attempts += 1
        now = time.monotonic()
        job.worker = me
        stats.status = "busy"
        stats.task_id = job.id
        metrics = self.metrics
        if metrics.monitoring:  # inlined Metrics.started_job: this runs once per task
            waited = now - job.clock
            metrics.wait.append(waited)
            metrics.by_type[job.type_key].wait.append(waited)
        job.clock = now
        hooks = self.hooks
        for hook in hooks.started:  # inlined Hooks.fire
            try:
                outcome = hook(job)
            except Exception:
                hooks.failed(hook)
                continue
            if outcome is not None:
                hooks.adopt(outcome)
        if job.timeout is not None:  # inlined _arm_deadline
            deadline = job.deadline = now + job.timeout
            self._timed.add(job)
            if deadline < self._watch_at:
                self._set_watch(deadline)
        return now

    def _end(self, job: Job, stats: WorkerStats, started: float, counted: bool = False) -> None:
        if not counted:
            stats.tasks_processed += 1
            stats.total_execution_time += time.monotonic() - started
        stats.task_id = None
        if job.held:
            self._unslot(job)
        if self._quiet is not None:
            self._check_quiet()

    async def _run(
        self, job: Job, stats: WorkerStats, me: asyncio.Task[None], resolved: Resolved | None
    ) -> None:
        """Run ``job`` to its end: resolve its processor (importing a plug-in if needed), start it
        in its execution context, and record the outcome."""
        task = job
        found = await self._resolve(job) if resolved is None else resolved
        if job.status is not PENDING:  # cancelled while its plug-in was loading
            self._unslot(job)
            return
        if not isinstance(found, Resolved):
            self.metrics.plugin_errors += 1
            self._unslot(job)
            self._finish(job, FAILED, error=f"NoProcessorRegistered: {found}", exc=found)
            return
        now = self._start(job, stats, me)
        attempt = job.attempts
        try:
            value = await self._execute(job, task, found)
        except BaseException as exc:
            if self._conclude(job, attempt, None, exc, me):
                raise
        else:
            self._conclude(job, attempt, value, None, me)
        finally:
            self._end(job, stats, now)

    def _conclude(
        self,
        job: Job,
        attempt: int,
        value: Any,
        exc: BaseException | None,
        me: asyncio.Task[None],
    ) -> bool:
        """Record how an attempt ended; True if ``exc`` must propagate (the worker itself is
        being cancelled, or KeyboardInterrupt/SystemExit)."""
        current = job.status is RUNNING and job.attempts == attempt
        try:
            if exc is None:
                if current:
                    self._finish(job, COMPLETED, value)
                return False
            if isinstance(exc, asyncio.CancelledError):
                if job.cancel_sent:
                    return False  # ours: cancel_task, a timeout or shutdown already recorded it
                if current and not me.cancelling():
                    self._finish(job, CANCELLED, error="cancelled: the task raised CancelledError")
                    return False
                if current:
                    self._finish(job, CANCELLED, error="cancelled: processor worker stopped")
                return True
            if isinstance(exc, Exception):
                if current:
                    self._failed(job, exc)
                return False
            if current:
                self._finish(job, FAILED, error=f"{type(exc).__name__}: {exc}", exc=exc)
            return True
        finally:
            if job.cancel_sent:
                job.cancel_sent = False
                me.uncancel()

    async def _execute(self, job: Job, task: ProcessingTask, resolved: Resolved) -> Any:
        if resolved.is_async:
            return await resolved.fn(task)
        custom = resolved.source == "payload"
        target = task.payload["processor"] if custom else resolved.fn
        arg: Any = task.payload if custom else task
        if task.cpu_intensive:
            what = f"task {job.id} ({job.type_key})"
            value = await self.contexts.run_in_process(target, arg, what)
        else:
            value = await self.contexts.run_in_thread(target, arg)
        if inspect.isawaitable(value):  # a plain function that returned a coroutine
            value = await value
        return value
