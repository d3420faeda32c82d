"""The public job processor: ``AdvancedAsyncProcessor`` and ``create_processor``.

API compatible with the async-processor guide. The processor is assembled from parts it owns,
each handed the others it uses (see ``__init__``): the task graph (``graph.py``), the outcome
bookkeeping (``outcomes.py``), the start-time gates (``admission.py``) and the workers
(``scheduler.py``). No signal handling here: the daemon owns signals and calls ``shutdown``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from processors.engine.admission import Admission, AskPermission, PermissionCheck, ask_check
from processors.engine.errors import InvalidTask, ProcessorShutDown, TaskNotFound
from processors.engine.execution import ExecutionContexts
from processors.engine.graph import TaskManager
from processors.engine.hooks import Hook, Hooks
from processors.engine.limits import MemoryGate, RateLimiter, TypeLimits
from processors.engine.metrics import Metrics
from processors.engine.outcomes import PENDING, RUNNING, Outcomes
from processors.engine.registry import ProcessorRegistry
from processors.engine.retry import RetryPolicy
from processors.engine.scheduler import Scheduler
from processors.engine.snapshot import snapshot_tasks, tasks_from_snapshot
from processors.engine.task import ProcessingTask, ProcessingType, TaskResult, TaskStatus
from processors.engine.wakeups import Wakeups

log = logging.getLogger(__name__)


class AdvancedAsyncProcessor:
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
        on_queue_full: Literal["raise", "wait"] = "wait",
        reserved_workers: int = 1,
        orphan_after_s: float = 30.0,
        concurrency_limits: Mapping[ProcessingType | str, int] | None = None,
        rate_limit: tuple[int, float] | None = None,
        permission_check: PermissionCheck | None = None,
        permission_retries: int = 3,
        retry_policy: RetryPolicy | None = None,
        default_timeout: float | None = None,
        keep_finished: int = 10_000,
        mp_start_method: str = "forkserver",
        max_memory_intensive: int = 1,
        registry: ProcessorRegistry | None = None,
    ) -> None:
        """``queue_size``: max pending tasks (0 = unbounded); ``on_queue_full``: what a submit
        does then, ``"wait"`` for room (like ``asyncio.Queue.put``) or ``"raise"`` ``QueueFull``.
        ``reserved_workers``: workers LOW/BATCH tasks never take, so CRITICAL/HIGH tasks start at
        once (0: none; at most ``max_workers - 1``). ``orphan_after_s``: a task waiting
        this long for a task id never submitted is reported as ``orphaned`` in the metrics.
        ``concurrency_limits``: task type -> max running at once. ``rate_limit``: (starts, per
        seconds). ``default_timeout``: for tasks without one. ``keep_finished``: finished results
        kept for ``wait_for_task``/``get_task_result`` (older ones are forgotten: a long-running
        daemon must not keep every result, audio!, alive). ``max_memory_intensive``: how many
        ``memory_intensive`` tasks run at once. ``mp_start_method``: process-pool start method
        (with forkserver, a script submitting ``cpu_intensive`` tasks needs the usual ``if
        __name__ == "__main__":``). ``registry``: where processor functions are looked up."""
        if queue_size < 0:
            raise ValueError("queue_size must be >= 0 (0 = unbounded)")
        if on_queue_full not in ("raise", "wait"):
            raise ValueError("on_queue_full must be 'raise' or 'wait'")
        if orphan_after_s < 0:
            raise ValueError("orphan_after_s must be >= 0")
        self.max_workers = max_workers
        self.queue_size = queue_size
        self.on_queue_full = on_queue_full
        self.default_timeout = default_timeout
        self.orphan_after_s = orphan_after_s
        self._permission = permission_check
        # The parts, each given what it uses.
        tm = self.task_manager = TaskManager(keep_finished)
        self.registry = registry if registry is not None else ProcessorRegistry()
        self.contexts = ExecutionContexts(max_thread_workers, max_process_workers, mp_start_method)
        self.metrics = Metrics(enable_monitoring)
        self.hooks = Hooks()
        self.limits = TypeLimits(dict(concurrency_limits or {}))
        self.memory_gate = MemoryGate(max_memory_intensive)
        self.rate_limit = RateLimiter(*rate_limit) if rate_limit else None
        wakeups = self._wakeups = Wakeups()
        retry_policy = retry_policy or RetryPolicy()
        self.outcomes = Outcomes(
            tm, self.metrics, self.hooks, wakeups, retry_policy, enable_profiling
        )
        self.admission = Admission(
            tm,
            self.outcomes,
            wakeups,
            limits=self.limits,
            memory_gate=self.memory_gate,
            rate_limit=self.rate_limit,
            ask=self._permission_asker(),
            permission_retries=permission_retries,
        )
        self.scheduler = Scheduler(
            max_workers=max_workers,
            reserved_workers=reserved_workers,
            task_manager=tm,
            registry=self.registry,
            contexts=self.contexts,
            metrics=self.metrics,
            hooks=self.hooks,
            wakeups=wakeups,
            outcomes=self.outcomes,
            admission=self.admission,
        )
        self._enqueue = self.scheduler.enqueue
        #: True between ``start`` and ``shutdown`` (read by the guide's examples; see ``running``)
        self._running = False
        self._accepting = True
        self._shutdown_done: asyncio.Future[None] | None = None

    def _permission_asker(self) -> AskPermission | None:
        """``request_permission`` if a ``permission_check`` or a subclass may refuse, else None."""
        overridden = type(self).request_permission is not AdvancedAsyncProcessor.request_permission
        return self.request_permission if overridden or self._permission is not None else None

    async def request_permission(self, task: ProcessingTask) -> bool:
        """Gate every start (rate limits, quotas...). Override in a subclass or pass
        ``permission_check``; a denied task is retried with backoff, then fails."""
        return True if self._permission is None else await ask_check(self._permission, task)

    @property
    def running(self) -> bool:
        """Started and not shut down."""
        return self._running

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.outcomes.retry_policy

    @retry_policy.setter
    def retry_policy(self, policy: RetryPolicy) -> None:
        self.outcomes.retry_policy = policy

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers (idempotent). Tasks submitted before ``start`` wait in the queue."""
        if self._running:
            return
        if self._shutdown_done is not None:
            raise ProcessorShutDown("this processor was shut down; create a new one")
        self._running = True
        self.scheduler.start(asyncio.get_running_loop())
        log.debug("processor started with %d workers", self.max_workers)

    async def shutdown(
        self,
        timeout: float = 30.0,  # noqa: ASYNC109 - the guide's API
        *,
        drain: bool = False,
    ) -> None:
        """Stop intake; cancel queued tasks (or, with ``drain``, keep starting them) and tasks
        waiting for ids never submitted; let running tasks finish until ``timeout``; then cancel
        what is left and close the pools.
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
        wakeups, outcomes, counts = self._wakeups, self.outcomes, self.task_manager.counts
        self._accepting = False
        self._running = False
        wakeups.close()
        # No task can be submitted any more, so what waits for an unknown id waits forever.
        outcomes.cancel_parked("its dependency was never submitted before shutdown")
        wakeups.drain = drain and bool(self.scheduler.workers)
        if not wakeups.drain:
            outcomes.cancel_all("processor shutting down", running=False)
        quiet = wakeups.quiet = asyncio.Event()
        wakeups.check_quiet(counts)
        try:
            await asyncio.wait_for(quiet.wait(), max(deadline - loop.time(), 0.0))
        except TimeoutError:
            log.warning("shutdown: grace period over, cancelling unfinished tasks")
        outcomes.cancel_all("processor shut down before the task finished", running=True)
        # workers unwinding a cancelled job get a short grace, then are cancelled
        await self.scheduler.stop(max(deadline - loop.time(), 1.0))
        outcomes.stop_watch()
        await self.hooks.drain(max(deadline - loop.time(), 1.0))
        await self.contexts.aclose(wait=True, timeout=max(deadline - loop.time(), 1.0))  # bounded
        log.debug("processor shut down")

    async def __aenter__(self) -> AdvancedAsyncProcessor:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    # -- submission ---------------------------------------------------------------------------

    async def submit_task(self, task: ProcessingTask, *, wait: bool | None = None) -> str:
        """Queue ``task``; returns its id. A dependency not submitted yet is waited for (the
        task starts once it has been submitted and completed). Raises ``DependencyCycle`` /
        ``InvalidTask`` for bad input. On a full queue waits for room, or raises ``QueueFull``
        with ``on_queue_full="raise"`` (``wait`` overrides ``on_queue_full``)."""
        if not self._accepting:
            raise ProcessorShutDown("the processor is shut down; it accepts no new tasks")
        if not isinstance(task, ProcessingTask):
            raise InvalidTask(f"submit_task expects a ProcessingTask, got {type(task).__name__}")
        tm = self.task_manager
        # True if tasks wait for this one: it then gets in even when the queue is full, since
        # it is what unblocks them
        awaited = tm.check_new(task)
        if self.queue_size and tm.counts[PENDING] >= self.queue_size and not awaited:
            await self._wakeups.room(tm.counts, 1, self.queue_size, self._waits(wait))
            if task.id in tm.jobs:  # submitted by someone else while we waited
                raise InvalidTask(f"task id {task.id} was already submitted")
        if task.timeout is None and self.default_timeout is not None:
            task.timeout = self.default_timeout
        self._enqueue(task)  # bound once: called per submitted task
        return task.id

    async def submit_tasks(
        self, tasks: Sequence[ProcessingTask], *, wait: bool | None = None
    ) -> list[str]:
        """Submit tasks that may depend on each other in any order. The batch is validated as a
        whole (unknown ids, cycles) before anything is queued; returns ids in submission order."""
        return await self._submit_batch(tasks, wait, park=False)

    async def _submit_batch(
        self, tasks: Sequence[ProcessingTask], wait: bool | None, *, park: bool
    ) -> list[str]:
        if not self._accepting:
            raise ProcessorShutDown("the processor is shut down; it accepts no new tasks")
        tm = self.task_manager
        ordered = tm.check_batch(tasks, park=park)
        if self.queue_size:
            needed = sum(1 for task in ordered if task.id not in tm.awaiting)
            if needed and tm.counts[PENDING] + needed > self.queue_size:
                await self._wakeups.room(tm.counts, needed, self.queue_size, self._waits(wait))
                ordered = tm.check_batch(tasks, park=park)  # the graph may have changed meanwhile
        for task in ordered:
            if task.timeout is None and self.default_timeout is not None:
                task.timeout = self.default_timeout
            self._enqueue(task)
        return [task.id for task in tasks]

    def _waits(self, wait: bool | None) -> bool:
        return self.on_queue_full == "wait" if wait is None else wait

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
        self.outcomes.cancel(job, reason)
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
        waiter = self.outcomes.waiter(job)
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
        """The guide's metrics, plus ``waiting_for_unknown`` (tasks waiting for an id never
        submitted) and ``orphaned_count``/``orphaned`` (waiting ``orphan_after_s`` or more)."""
        now = time.monotonic()
        out = self.metrics.summary(now)
        counts = self.task_manager.counts
        waiting, orphaned, shown = self.task_manager.waiting_for_unknown(now, self.orphan_after_s)
        scheduler = self.scheduler
        out.update(
            queue_size=counts[PENDING],
            running_tasks=counts[RUNNING],
            status_counts=self.status_counts(),
            worker_stats={stats.name: stats.as_dict() for stats, _ in scheduler.workers},
            process_pool_rebuilds=self.contexts.pool_rebuilds,
            rate_limited=self.rate_limit.throttled if self.rate_limit else 0,
            concurrency_limits=dict(self.limits.limits),
            running=self._running,
            reserved_workers=scheduler.reserved_workers,
            low_priority_running=scheduler.lane_running,
            waiting_for_unknown=waiting,
            orphaned_count=orphaned,
            orphaned=shown,
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
        self.admission.update_gate()

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
        return snapshot_tasks(
            self.task_manager,
            include_running=include_running,
            skip_unserializable=skip_unserializable,
        )

    async def restore(self, snapshot: Mapping[str, Any], *, wait: bool | None = None) -> list[str]:
        """Re-submit the tasks of a ``snapshot()`` (same ids, dependencies kept; a task that was
        waiting for an id never submitted waits for it again)."""
        tasks = tasks_from_snapshot(snapshot, known=self.task_manager.jobs)
        return await self._submit_batch(tasks, wait, park=True)

    def pending_task_ids(self) -> Iterable[str]:
        return (job.id for job in self.task_manager.pending_jobs())


async def create_processor(**kwargs: Any) -> AdvancedAsyncProcessor:
    """An ``AdvancedAsyncProcessor(**kwargs)``, already started."""
    processor = AdvancedAsyncProcessor(**kwargs)
    await processor.start()
    return processor
