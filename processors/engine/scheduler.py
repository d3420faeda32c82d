"""The scheduling core: worker coroutines that take ready jobs and run them.

A fixed set of worker coroutines pops jobs from one ready queue ordered by (priority, submission
order) and runs coroutine processors inline, so the hot path of a job that never suspends is a few
dict and deque operations: no asyncio.Task, no timer, no loop iteration per job. Workers yield to
the loop every ``SLICE`` seconds so a burst of quick jobs never starves the rest of the daemon.

The reserved lane: LOW and BATCH jobs may occupy at most ``max_workers - reserved_workers``
workers at once, so a CRITICAL/HIGH job (NORMAL too) finds a free worker at once instead of
waiting for background work to end. A worker that finds only lane work while the lane is full is
"held back" until non-lane work arrives.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from typing import Any

from processors.engine.admission import Admission
from processors.engine.execution import ExecutionContexts, Resolved
from processors.engine.graph import SEQ_BITS, Job, TaskManager
from processors.engine.hooks import Hooks
from processors.engine.metrics import Metrics, WorkerStats
from processors.engine.outcomes import (
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    TIMEOUT,
    Outcomes,
    cascade_reason,
)
from processors.engine.registry import ProcessorRegistry
from processors.engine.task import ProcessingTask, TaskPriority
from processors.engine.wakeups import Wakeups

log = logging.getLogger("processors.engine.processor")

#: longest a worker runs jobs back to back before letting the loop breathe
SLICE = 0.002
#: ready keys at or above this are LOW/BATCH jobs (``Job.key`` starts with the priority)
LANE_FLOOR = TaskPriority.LOW << SEQ_BITS
#: a key no job reaches: the floor when nothing is reserved
NO_LANE = 1 << 400


class Scheduler:
    """Workers and what they do with a job: admit, start, run in its context, record the end."""

    def __init__(
        self,
        *,
        max_workers: int,
        reserved_workers: int,
        task_manager: TaskManager,
        registry: ProcessorRegistry,
        contexts: ExecutionContexts,
        metrics: Metrics,
        hooks: Hooks,
        wakeups: Wakeups,
        outcomes: Outcomes,
        admission: Admission,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        if reserved_workers < 0:
            raise ValueError("reserved_workers must be >= 0")
        self.max_workers = max_workers
        self.task_manager = task_manager
        self.registry = registry
        self.contexts = contexts
        self.metrics = metrics
        self.hooks = hooks
        self.wakeups = wakeups
        self.outcomes = outcomes
        self.admission = admission
        # LOW/BATCH work always keeps one worker (so with one worker nothing is reserved).
        self.reserved_workers = min(reserved_workers, max_workers - 1)
        lane_on = self.reserved_workers > 0
        #: at most this many LOW/BATCH jobs run at once
        self.lane_cap = max_workers - self.reserved_workers
        self.lane_floor = LANE_FLOOR if lane_on else NO_LANE
        self.lane_running = 0
        self.workers: list[tuple[WorkerStats, asyncio.Task[None]]] = []
        self._seq = 0
        self._idle = wakeups.idle  # never replaced: see ``Wakeups``
        self._held_back = wakeups.held_back

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        for i in range(self.max_workers):
            stats = WorkerStats(f"worker-{i}")
            worker = loop.create_task(self._worker(stats), name=f"teddy-processor-{stats.name}")
            self.workers.append((stats, worker))

    # -- submission -------------------------------------------------------------------------

    def enqueue(self, job: ProcessingTask) -> None:
        """Take in a validated task: set its bookkeeping, link its dependencies, queue it."""
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
        if tm.awaiting:  # tasks submitted earlier may be waiting for this id
            tm.adopt(job)
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
        if job.memory_intensive and not self.admission.gated:
            self.admission.memory_task_seen()
        if job._depends_on:
            job.freeze_dependencies()
            bad = tm.link(job)
            if bad is not None:
                root = bad.caused_by or bad.task_id
                self.outcomes.finish(
                    job, CANCELLED, error=cascade_reason(bad, root), caused_by=root
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
            self.wakeups.wake()
        elif self._held_back and ready_key < self.lane_floor:
            self.wakeups.wake_held_back()

    # -- workers ------------------------------------------------------------------------------

    async def _worker(self, stats: WorkerStats) -> None:
        # Everything the loop touches per job, bound to locals once (attribute lookups add up).
        tm = self.task_manager
        levels, late, queued = tm.levels, tm.late, tm.queued
        heappop, heappush = heapq.heappop, heapq.heappush
        monotonic = time.monotonic
        explicit = self.registry.explicit
        wakeups = self.wakeups
        admission = self.admission
        finish = self.outcomes.finish
        start, end_job, conclude = self._start, self._end, self._conclude
        idle, held_back = self._idle, self._held_back
        lane_floor, lane_cap = self.lane_floor, self.lane_cap
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        assert me is not None
        #: this worker holds one of the lane's slots: kept while it goes on with lane jobs
        in_lane = False
        slice_end = monotonic() + SLICE
        try:
            while not wakeups.stopping:
                try:
                    if not queued:  # every queued job has its key in levels/late
                        if in_lane:
                            in_lane = False
                            self.lane_running -= 1
                        stats.status = "idle"
                        waiter = loop.create_future()
                        idle.append(waiter)
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
                    if key >= lane_floor:
                        if not in_lane:
                            if self.lane_running >= lane_cap:  # hold back: stay free for HIGH
                                queued[key] = job
                                heappush(late, key)
                                stats.status = "idle"
                                waiter = loop.create_future()
                                held_back.append(waiter)
                                await waiter
                                slice_end = monotonic() + SLICE
                                continue
                            in_lane = True
                            self.lane_running += 1
                    elif in_lane:  # give the lane slot back for a worker held back
                        in_lane = False
                        self.lane_running -= 1
                        if held_back:
                            wakeups.wake_held_back()
                    if admission.gated and not await admission.admit(job):
                        continue
                    resolved = explicit.get(job.type_key)
                    if resolved is not None and resolved.is_async:
                        # Hot path: a registered coroutine processor, awaited right here.
                        now = start(job, stats, me)
                        attempt = job.attempts
                        try:
                            value = await resolved.fn(job)
                        except BaseException as exc:
                            if conclude(job, attempt, None, exc, me):
                                end_job(job, stats, now)
                                raise
                            end = monotonic()
                        else:
                            if job.status is RUNNING and job.attempts == attempt:
                                if job.deadline and monotonic() > job.deadline:
                                    end = self._blocked_loop(job, now)  # no timer could fire
                                else:
                                    end = finish(job, COMPLETED, value)
                            elif job.cancel_sent:  # cancelled, but the coroutine swallowed it
                                conclude(job, attempt, value, None, me)
                                end = monotonic()
                            else:
                                end = monotonic()
                        stats.tasks_processed += 1
                        stats.total_execution_time += end - now
                        if admission.gated or wakeups.quiet is not None:
                            end_job(job, stats, now, counted=True)
                    else:
                        await self._run(job, stats, me, resolved)
                        end = monotonic()
                    if end > slice_end:
                        await asyncio.sleep(0)
                        slice_end = monotonic() + SLICE
                except asyncio.CancelledError:
                    if wakeups.stopping:
                        return
                    raise
                except Exception:  # a bug in bookkeeping must not silently kill a worker
                    log.exception("processor worker %s: internal error", stats.name)
        finally:
            if in_lane:
                self.lane_running -= 1

    def _start(self, job: Job, stats: WorkerStats, me: asyncio.Task[None]) -> float:
        counts = self.task_manager.counts
        counts[PENDING] -= 1
        counts[RUNNING] += 1
        job.status = RUNNING
        wakeups = self.wakeups
        if wakeups.space:
            wakeups.space_freed()
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
        if job.timeout is not None:  # one watchdog timer for all: re-armed only if earlier
            deadline = job.deadline = now + job.timeout
            outcomes = self.outcomes
            outcomes.timed.add(job)
            if deadline < outcomes.watch_at:
                outcomes.set_watch(deadline)
        return now

    def _end(self, job: Job, stats: WorkerStats, started: float, counted: bool = False) -> None:
        if not counted:
            stats.tasks_processed += 1
            stats.total_execution_time += time.monotonic() - started
        stats.task_id = None
        if job.held:
            self.admission.unslot(job)
        if self.wakeups.quiet is not None:
            self.wakeups.check_quiet(self.task_manager.counts)

    async def _run(
        self, job: Job, stats: WorkerStats, me: asyncio.Task[None], resolved: Resolved | None
    ) -> None:
        """Resolve ``job``'s processor (maybe importing a plug-in), run it, record the outcome."""
        found = resolved or await self.registry.for_task(job, self.contexts.thread_pool)
        if job.status is not PENDING:  # cancelled while its plug-in was loading
            self.admission.unslot(job)
            return
        if not isinstance(found, Resolved):
            self.metrics.plugin_errors += 1
            self.admission.unslot(job)
            self.outcomes.finish(job, FAILED, error=f"NoProcessorRegistered: {found}", exc=found)
            return
        now = self._start(job, stats, me)
        attempt = job.attempts
        try:
            value = await self.contexts.run(job, found)
        except BaseException as exc:
            if self._conclude(job, attempt, None, exc, me):
                raise
        else:
            if found.is_async and job.deadline and time.monotonic() > job.deadline:
                self._blocked_loop(job, now)  # no timer could fire: the loop was held
            else:
                self._conclude(job, attempt, value, None, me)
        finally:
            self._end(job, stats, now)

    def _blocked_loop(self, job: Job, started: float) -> float:
        """An async processor back after its deadline, the watchdog unrun: it held the loop."""
        self.outcomes.timed.discard(job)
        job.deadline, now = 0.0, time.monotonic()
        error = f"blocked the event loop for {now - started:.1f}s, over its {job.timeout}s timeout"
        error += ": an async processor must await (run blocking code with asyncio.to_thread)"
        log.warning("task %s (%s) %s", job.id, job.type_key, error)
        self.outcomes.finish(job, TIMEOUT, error=error)
        return now

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
        finish = self.outcomes.finish
        try:
            if exc is None:
                if current:
                    finish(job, COMPLETED, value)
                return False
            if isinstance(exc, asyncio.CancelledError):
                if job.cancel_sent:
                    return False  # ours: cancel_task, a timeout or shutdown already recorded it
                if current and not me.cancelling():
                    finish(job, CANCELLED, error="cancelled: the task raised CancelledError")
                    return False
                if current:
                    finish(job, CANCELLED, error="cancelled: processor worker stopped")
                return True
            if isinstance(exc, Exception):
                if current:
                    self.outcomes.failed(job, exc)
                return False
            if current:
                finish(job, FAILED, error=f"{type(exc).__name__}: {exc}", exc=exc)
            return True
        finally:
            if job.cancel_sent:
                job.cancel_sent = False
                me.uncancel()

    async def stop(self, grace: float) -> None:
        """Stop the workers at their next turn; one still unwinding after ``grace`` is cancelled."""
        wakeups = self.wakeups
        wakeups.stopping = True
        wakeups.wake_all()
        workers = [worker for _, worker in self.workers]
        if not workers:
            return
        _, late = await asyncio.wait(workers, timeout=grace)
        for worker in late:
            worker.cancel()
        if late:
            await asyncio.wait(late)
        for worker in workers:
            if not worker.cancelled() and worker.exception() is not None:
                log.error("processor worker ended with an error", exc_info=worker.exception())
