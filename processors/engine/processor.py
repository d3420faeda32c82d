"""The public job processor: ``AdvancedAsyncProcessor`` and ``create_processor``.

API compatible with the async-processor guide; scheduling machinery lives in ``scheduler.py``.
No signal handling here: the daemon owns signals and calls ``shutdown``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

from processors.engine.errors import (
    DependencyCycle,
    InvalidTask,
    ProcessorShutDown,
    QueueFull,
    TaskNotFound,
    UnknownDependency,
)
from processors.engine.hooks import Hook
from processors.engine.retry import RetryPolicy

from processors.engine.admission import PermissionCheck
from processors.engine.limits import RateLimiter
from processors.engine.metrics import WorkerStats
from processors.engine.outcomes import PENDING, RUNNING
from processors.engine.scheduler import Scheduler
from processors.engine.snapshot import snapshot_tasks, tasks_from_snapshot
from processors.engine.task import ProcessingTask, ProcessingType, TaskResult, TaskStatus

log = logging.getLogger(__name__)


class AdvancedAsyncProcessor(Scheduler):
    """Priority job processor with dependencies, cancellation, retries and three execution
    contexts (event loop, thread pool, process pool)."""

    def __init__(
        self,
        max_workers: int = 10,
        max_thread_workers: int = 4,
        max_process_workers: int = 2,
        queue_size: int = 1000,
        enable_monitoring: bool = True,
        enable_profiling: bool = False,
        *,
        on_queue_full: Literal["raise", "wait"] = "raise",
        concurrency_limits: Mapping[ProcessingType | str, int] | None = None,
        rate_limit: tuple[int, float] | None = None,
        permission_check: PermissionCheck | None = None,
        permission_retries: int = 3,
        retry_policy: RetryPolicy | None = None,
        default_timeout: float | None = None,
        keep_finished: int = 10_000,
        mp_start_method: str = "forkserver",
        max_memory_intensive: int = 1,
    ) -> None:
        """``queue_size``: max pending tasks (0 = unbounded); ``on_queue_full``: what
        ``submit_task`` does then. ``concurrency_limits``: task type -> max running at once.
        ``rate_limit``: (starts, per seconds). ``default_timeout``: for tasks without one.
        ``keep_finished``: finished results kept for ``wait_for_task``/``get_task_result``; older
        ones are forgotten, so a long-running daemon does not keep every result (audio!) alive.
        ``max_memory_intensive``: how many ``memory_intensive`` tasks may run at once.
        ``mp_start_method``: process-pool start method; with the default (forkserver) a script
        that submits ``cpu_intensive`` tasks needs the usual ``if __name__ == "__main__":``."""
        if queue_size < 0:
            raise ValueError("queue_size must be >= 0 (0 = unbounded)")
        if on_queue_full not in ("raise", "wait"):
            raise ValueError("on_queue_full must be 'raise' or 'wait'")
        super().__init__(
            max_workers=max_workers,
            max_thread_workers=max_thread_workers,
            max_process_workers=max_process_workers,
            enable_monitoring=enable_monitoring,
            enable_profiling=enable_profiling,
            retry_policy=retry_policy or RetryPolicy(),
            concurrency_limits=dict(concurrency_limits or {}),
            rate_limit=RateLimiter(*rate_limit) if rate_limit else None,
            permission_check=permission_check,
            permission_retries=permission_retries,
            keep_finished=keep_finished,
            mp_start_method=mp_start_method,
            max_memory_intensive=max_memory_intensive,
        )
        self.queue_size = queue_size
        self.on_queue_full = on_queue_full
        self.default_timeout = default_timeout
        self._running = False
        self._accepting = True
        self._shutdown_done: asyncio.Future[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers (idempotent). Tasks submitted before ``start`` wait in the queue."""
        if self._running:
            return
        if self._shutdown_done is not None:
            raise ProcessorShutDown("this processor was shut down; create a new one")
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._running = True
        for i in range(self.max_workers):
            stats = WorkerStats(f"worker-{i}")
            worker = loop.create_task(self._worker(stats), name=f"teddy-processor-{stats.name}")
            self._workers.append((stats, worker))
        log.debug("processor started with %d workers", self.max_workers)

    async def shutdown(
        self,
        timeout: float = 30.0,  # noqa: ASYNC109 - the guide's API
        *,
        drain: bool = False,
    ) -> None:
        """Stop intake; cancel queued tasks (or, with ``drain``, keep starting them); let running
        tasks finish until ``timeout``; then cancel what is left and close the pools.
        Idempotent: later and concurrent calls wait for the first one to complete."""
        if self._shutdown_done is not None:
            await asyncio.shield(self._shutdown_done)
            return
        loop = asyncio.get_running_loop()
        self._shutdown_done = loop.create_future()
        try:
            await self._shutdown(loop, timeout, drain)
        finally:
            self._shutdown_done.set_result(None)

    async def _shutdown(self, loop: asyncio.AbstractEventLoop, grace: float, drain: bool) -> None:
        deadline = loop.time() + max(grace, 0.0)
        self._accepting = False
        self._running = False
        while self._space_waiters:
            waiter = self._space_waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ProcessorShutDown("the processor is shutting down"))
        self._drain = drain and bool(self._workers)
        if not self._drain:
            self._cancel_all("processor shutting down", running=False)
        self._quiet = asyncio.Event()
        self._check_quiet()
        try:
            await asyncio.wait_for(self._quiet.wait(), max(deadline - loop.time(), 0.0))
        except TimeoutError:
            log.warning("shutdown: grace period over, cancelling unfinished tasks")
        self._cancel_all("processor shut down before the task finished", running=True)
        self._stopping = True
        for waiter in self._idle:
            if not waiter.done():
                waiter.set_result(None)
        self._idle.clear()
        workers = [worker for _, worker in self._workers]
        if workers:  # workers unwinding a cancelled job get a short grace, then are cancelled
            _, late = await asyncio.wait(workers, timeout=max(deadline - loop.time(), 1.0))
            for worker in late:
                worker.cancel()
            if late:
                await asyncio.wait(late)
        for worker in workers:
            if not worker.cancelled() and worker.exception() is not None:
                log.error("processor worker ended with an error", exc_info=worker.exception())
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        await self.hooks.drain(max(deadline - loop.time(), 1.0))
        await self.contexts.aclose(wait=True)
        log.debug("processor shut down")

    async def __aenter__(self) -> AdvancedAsyncProcessor:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    # -- submission ---------------------------------------------------------------------------

    async def submit_task(self, task: ProcessingTask, *, wait: bool | None = None) -> str:
        """Queue ``task``; returns its id. Raises ``UnknownDependency`` / ``DependencyCycle`` /
        ``InvalidTask`` for bad input and ``QueueFull`` when the queue is full (unless waiting:
        ``wait`` overrides the processor's ``on_queue_full``)."""
        if not self._accepting:
            raise ProcessorShutDown("the processor is shut down; it accepts no new tasks")
        if not isinstance(task, ProcessingTask):
            raise InvalidTask(f"submit_task expects a ProcessingTask, got {type(task).__name__}")
        tm = self.task_manager
        if task.id in tm.jobs:
            raise InvalidTask(f"task id {task.id} was already submitted")
        for dep in task.dependency_ids():
            if dep not in tm.jobs and dep not in task.dependency_results:
                if dep == task.id:
                    raise DependencyCycle(f"task {task.id} depends on itself")
                raise UnknownDependency(
                    f"task {task.id} ({task.task_type}) depends on unknown task id {dep!r}; "
                    "submit dependencies first (or together with submit_tasks)"
                )
        if self.queue_size and tm.counts[PENDING] >= self.queue_size:
            await self._make_room(1, wait)
        if task.timeout is None and self.default_timeout is not None:
            task.timeout = self.default_timeout
        self._enqueue(task)
        return task.id

    async def submit_tasks(
        self, tasks: Sequence[ProcessingTask], *, wait: bool | None = None
    ) -> list[str]:
        """Submit tasks that may depend on each other in any order. The batch is validated as a
        whole (unknown ids, cycles) before anything is queued; returns ids in submission order."""
        if not self._accepting:
            raise ProcessorShutDown("the processor is shut down; it accepts no new tasks")
        ordered = self.task_manager.check_batch(tasks)
        if self.queue_size:
            await self._make_room(len(ordered), wait)
        for task in ordered:
            if task.timeout is None and self.default_timeout is not None:
                task.timeout = self.default_timeout
            self._enqueue(task)
        return [task.id for task in tasks]

    async def _make_room(self, needed: int, wait: bool | None) -> None:
        counts = self.task_manager.counts
        if needed > self.queue_size:
            raise QueueFull(f"{needed} tasks can never fit in a queue of {self.queue_size}")
        should_wait = wait if wait is not None else self.on_queue_full == "wait"
        while counts[PENDING] + needed > self.queue_size:
            if not should_wait:
                raise QueueFull(
                    f"processor queue is full ({counts[PENDING]} pending, queue_size="
                    f"{self.queue_size}); retry later or submit with wait=True"
                )
            waiter = asyncio.get_running_loop().create_future()
            self._space_waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
            if not self._accepting:
                raise ProcessorShutDown("the processor is shutting down")
        if self._space_waiters:  # room may be left for the next waiter too
            self._space_freed()

    # -- control and queries ----------------------------------------------------------------

    async def cancel_task(self, task_id: str, reason: str = "cancelled by user") -> bool:
        """Cancel a pending or running task and, transitively, its dependents. A running
        coroutine gets CancelledError; thread/process work is abandoned (its result discarded).
        Returns False if the task is unknown or already finished."""
        return self.cancel_task_nowait(task_id, reason)

    def cancel_task_nowait(self, task_id: str, reason: str = "cancelled by user") -> bool:
        job = self.task_manager.jobs.get(task_id)
        if job is None or type(job) is TaskResult or job.status.is_terminal:
            return False
        assert isinstance(job, ProcessingTask)
        worker = job.worker if job.status is RUNNING else None
        self._finish(job, TaskStatus.CANCELLED, error=f"cancelled: {reason}")
        self._interrupt(job, worker, reason)
        return True

    async def wait_for_task(
        self,
        task_id: str,
        timeout: float | None = None,  # noqa: ASYNC109 - the guide's API
    ) -> TaskResult:
        """The task's result once it has finished (any terminal status). Raises
        ``asyncio.TimeoutError`` if ``timeout`` passes first (the task keeps running)."""
        job = self.task_manager.jobs.get(task_id)
        if job is None:
            raise TaskNotFound(f"no task with id {task_id!r}")
        if type(job) is TaskResult:
            return job
        assert isinstance(job, ProcessingTask)
        waiter: asyncio.Future[TaskResult] = asyncio.get_running_loop().create_future()
        if job.waiters is None:
            job.waiters = [waiter]
        else:
            job.waiters.append(waiter)
        try:
            if timeout is None:
                return await waiter
            async with asyncio.timeout(timeout):
                return await waiter
        finally:
            if not waiter.done():
                waiter.cancel()

    async def get_task_status(self, task_id: str) -> TaskStatus | None:
        job = self.task_manager.jobs.get(task_id)
        return None if job is None else job.status

    async def get_task_result(self, task_id: str) -> TaskResult | None:
        """The result of a finished task; None while it is pending/running or if unknown."""
        job = self.task_manager.jobs.get(task_id)
        return job if type(job) is TaskResult else None  # type: ignore[return-value]

    def status_counts(self) -> dict[str, int]:
        """Tasks per status, O(1)."""
        return {status.value: n for status, n in self.task_manager.counts.items()}

    async def get_performance_metrics(self) -> dict[str, Any]:
        now = time.monotonic()
        out = self.metrics.summary(now)
        counts = self.task_manager.counts
        out.update(
            queue_size=counts[PENDING],
            running_tasks=counts[RUNNING],
            status_counts=self.status_counts(),
            worker_stats={stats.name: stats.as_dict() for stats, _ in self._workers},
            process_pool_rebuilds=self.contexts.pool_rebuilds,
            rate_limited=self.rate_limit.throttled if self.rate_limit else 0,
            concurrency_limits=dict(self.limits.limits),
            running=self._running,
        )
        out["hook_errors"] = self.hooks.errors
        return out

    # -- registry, limits and hooks -------------------------------------------------------------

    def register_processor(self, task_type: ProcessingType | str, fn: Callable[..., Any]) -> None:
        """Use ``fn(task)`` for tasks of ``task_type`` (a ``ProcessingType`` or any string)."""
        self.registry.register(task_type, fn)

    def load_plugins(self, mapping: Mapping[str, str]) -> None:
        """Config ``[plugins]``: task type -> ``"pkg.module:function"`` (imported on first use)."""
        self.registry.load_plugins(mapping)

    def set_concurrency_limit(self, task_type: ProcessingType | str, limit: int | None) -> None:
        """At most ``limit`` tasks of ``task_type`` run at once (None removes the limit)."""
        self.limits.set(task_type, limit)
        self._update_gate()

    def add_hook(self, event: str, hook: Hook) -> Callable[[], None]:
        """``event`` is ``submitted`` (task), ``started`` (task) or ``finished`` (task, result).
        Hooks may be sync or async; returns a function that removes the hook."""
        return self.hooks.add(event, hook)

    def on_task_submitted(self, hook: Hook) -> Callable[[], None]:
        return self.hooks.add("submitted", hook)

    def on_task_started(self, hook: Hook) -> Callable[[], None]:
        return self.hooks.add("started", hook)

    def on_task_finished(self, hook: Hook) -> Callable[[], None]:
        return self.hooks.add("finished", hook)

    # -- crash recovery -------------------------------------------------------------------------

    def snapshot(
        self, *, include_running: bool = True, skip_unserializable: bool = False
    ) -> dict[str, Any]:
        """JSON-serializable state of unfinished tasks (see ``processors.engine.snapshot``)."""
        jobs = [
            job
            for job in self.task_manager.live_jobs()
            if job.status is PENDING or (include_running and job.status is RUNNING)
        ]
        return snapshot_tasks(jobs, skip_unserializable=skip_unserializable)

    async def restore(self, snapshot: Mapping[str, Any], *, wait: bool | None = None) -> list[str]:
        """Re-submit the tasks of a ``snapshot()`` (same ids, dependencies kept)."""
        tasks = tasks_from_snapshot(snapshot, known=self.task_manager.jobs)
        return await self.submit_tasks(tasks, wait=wait)

    def pending_task_ids(self) -> Iterable[str]:
        return (job.id for job in self.task_manager.pending_jobs())


async def create_processor(**kwargs: Any) -> AdvancedAsyncProcessor:
    """An ``AdvancedAsyncProcessor(**kwargs)``, already started."""
    processor = AdvancedAsyncProcessor(**kwargs)
    await processor.start()
    return processor
