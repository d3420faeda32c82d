"""Task bookkeeping: the job records, the ready queue and the dependency graph.

Releasing dependents costs O(number of dependents): every job keeps the list of jobs waiting on it
and a count of its own unfinished dependencies; nothing ever scans all tasks. Cancelled jobs stay in
the ready queue and are skipped when popped, so cancelling is O(1) too.

A job may depend on an id not submitted yet: it is parked in ``awaiting`` under that id (counted in
its ``remaining``) and becomes that task's dependent when the task is submitted.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from processors.engine.errors import DependencyCycle, InvalidTask, UnknownDependency
from processors.engine.task import ProcessingTask, TaskResult, TaskStatus, type_name

HELD_TYPE = 1
HELD_MEMORY = 2

#: ``Job.key`` is (priority << SEQ_BITS) | submission number: one int orders the ready queue
SEQ_BITS = 48
SEQ_MASK = (1 << SEQ_BITS) - 1

PENDING = TaskStatus.PENDING
RUNNING = TaskStatus.RUNNING
COMPLETED = TaskStatus.COMPLETED

#: the priority levels that get their own FIFO (any other priority value goes to the heap)
LEVELS = range(1, 6)


#: a submitted task: its bookkeeping lives in the task's own ``JobState`` slots
Job = ProcessingTask
#: what ``TaskManager.jobs`` holds: the live task, then (once finished) only its result, so the
#: payload (audio) of a finished task is not kept alive by the processor
Record = ProcessingTask | TaskResult


class TaskManager:
    """Jobs by id, the priority heap of ready jobs, dependency edges, and O(1) status counts."""

    def __init__(self, keep_finished: int = 10_000) -> None:
        self.jobs: dict[str, Record] = {}
        # Ready jobs, as Job.key (priority, then submission order): one FIFO per priority level
        # for keys that arrive in order (new submissions: O(1) each), and a heap for the rest
        # (released dependents, retries); the next job is the smallest key of both.
        self.levels: list[deque[int]] = [deque() for _ in LEVELS]
        self.late: list[int] = []
        self.queued: dict[int, Job] = {}  # Job.key -> job, for keys in levels/late
        self.counts: dict[TaskStatus, int] = dict.fromkeys(TaskStatus, 0)
        self.finished_order: deque[str] = deque()
        self.keep_finished = keep_finished
        #: id not submitted yet -> the pending jobs that depend on it
        self.awaiting: dict[str, list[Job]] = {}

    # -- validation -------------------------------------------------------------------------

    def check_batch(
        self, tasks: Sequence[ProcessingTask], *, park: bool = False
    ) -> list[ProcessingTask]:
        """Validate ids and dependencies of tasks submitted together; return them in an order where
        every dependency comes before its dependents (Kahn's algorithm). Raises on duplicates and
        cycles (parked jobs included), and on unknown ids unless ``park`` (then they wait),
        naming them."""
        batch: dict[str, ProcessingTask] = {}
        for task in tasks:
            if task.id in batch or task.id in self.jobs:
                raise InvalidTask(f"task id {task.id} was already submitted")
            batch[task.id] = task
        indegree: dict[str, int] = {}
        children: dict[str, list[str]] = {}
        for task in tasks:
            inside = 0
            for dep in task.dependency_ids():
                if dep == task.id:
                    raise DependencyCycle(f"task {task.id} depends on itself")
                if dep in batch:
                    inside += 1
                    children.setdefault(dep, []).append(task.id)
                elif not park and dep not in self.jobs and dep not in task.dependency_results:
                    raise UnknownDependency(
                        f"task {task.id} ({type_name(task.task_type)}) depends on unknown task "
                        f"id {dep!r}; submit dependencies first"
                    )
            indegree[task.id] = inside
        order = [tid for tid, n in indegree.items() if n == 0]
        for tid in order:  # grows while iterating: a breadth-first topological sort
            for child in children.get(tid, ()):
                indegree[child] -= 1
                if indegree[child] == 0:
                    order.append(child)
        if len(order) != len(batch):
            stuck = sorted(tid for tid, n in indegree.items() if n > 0)
            raise DependencyCycle(f"dependency cycle among tasks {stuck}")
        if self.awaiting:
            for task in tasks:
                self.check_closes_cycle(task, batch)
        return [batch[tid] for tid in order]

    def check_new(self, task: ProcessingTask) -> bool:
        """Validate a task submitted alone (duplicate id, depending on itself, closing a cycle
        with tasks parked waiting for its id); True if such parked tasks exist."""
        if task.id in self.jobs:
            raise InvalidTask(f"task id {task.id} was already submitted")
        for dep in task.dependency_ids():
            if dep == task.id:
                raise DependencyCycle(f"task {task.id} depends on itself")
        if self.awaiting and task.id in self.awaiting:
            self.check_closes_cycle(task)
            return True
        return False

    def check_closes_cycle(
        self, task: ProcessingTask, batch: Mapping[str, ProcessingTask] | None = None
    ) -> None:
        """Raise ``DependencyCycle`` if parked jobs wait for ``task`` while ``task`` (transitively,
        through unfinished jobs or the rest of ``batch``) depends on one of them."""
        parked = self.awaiting.get(task.id)
        if not parked:
            return
        targets = {job.id for job in parked}
        seen: set[str] = set()
        stack = list(task.dependency_ids())
        while stack:
            tid = stack.pop()
            if tid in targets:
                raise DependencyCycle(
                    f"dependency cycle: task {task.id} depends (transitively) on task {tid}, "
                    f"which waits for {task.id}"
                )
            if tid in seen:
                continue
            seen.add(tid)
            node: Record | None = batch.get(tid) if batch else None
            if node is None:
                node = self.jobs.get(tid)
            if isinstance(node, ProcessingTask):
                stack.extend(node.dependency_ids())

    # -- graph ------------------------------------------------------------------------------

    def link(self, job: Job) -> TaskResult | None:
        """Wire ``job`` to its dependencies. Returns the result of the first dependency that
        already ended badly (the job must then be cancelled in its name), else None."""
        jobs = self.jobs
        restored = job._dependency_results  # set only by a snapshot restore (or by the caller)
        deps = job._depends_on  # inlined dependency_ids(): this runs once per submitted task
        for dep_id in (deps,) if isinstance(deps, str) else deps or ():
            if restored and dep_id in restored:  # restored from a snapshot: already satisfied
                continue
            dep = jobs.get(dep_id)
            if dep is None:  # not submitted yet: park until it is (see ``adopt``)
                parked = self.awaiting.get(dep_id)
                if parked is None:
                    self.awaiting[dep_id] = [job]
                else:
                    parked.append(job)
                job.remaining += 1
                continue
            if isinstance(dep, TaskResult):  # finished already
                if dep.status is not COMPLETED:
                    return dep
                job.dependency_results[dep_id] = dep.result
                job.dependency_types[dep_id] = dep.task_type
                continue
            waiting = dep.dependents
            if waiting is None:
                dep.dependents = job
            elif type(waiting) is list:
                waiting.append(job)
            else:
                dep.dependents = [waiting, job]  # type: ignore[list-item]
            job.remaining += 1
        return None

    def adopt(self, job: Job) -> None:
        """``job`` was just submitted: the jobs parked waiting for its id become its dependents
        (their ``remaining`` already counts it)."""
        parked = self.awaiting.pop(job.id, None)
        if not parked:
            return
        waiting = job.dependents
        group = [] if waiting is None else waiting if type(waiting) is list else [waiting]
        group.extend(parked)  # type: ignore[union-attr]
        job.dependents = group[0] if len(group) == 1 else group  # type: ignore[assignment]

    def unpark(self, job: Job) -> None:
        """``job`` ended while pending: it no longer waits for any unknown id."""
        awaiting = self.awaiting
        for dep_id in job.dependency_ids():
            parked = awaiting.get(dep_id)
            if parked and job in parked:
                parked.remove(job)
                if not parked:
                    del awaiting[dep_id]

    def waiting_for_unknown(
        self, now: float, orphan_after_s: float, limit: int = 20
    ) -> tuple[int, int, list[dict[str, Any]]]:
        """(jobs waiting for ids never submitted, how many of them for ``orphan_after_s`` or more,
        the longest-waiting of those: at most ``limit``). ``now`` is ``time.monotonic()``."""
        parked = {id(job): job for jobs in self.awaiting.values() for job in jobs}
        orphans = [job for job in parked.values() if now - job.clock >= orphan_after_s]
        orphans.sort(key=lambda job: job.clock)
        shown = [
            {
                "id": job.id,
                "task_type": job.type_key,
                "missing": [d for d in job.dependency_ids() if d in self.awaiting],
                "waiting_s": round(now - job.clock, 3),
            }
            for job in orphans[:limit]
        ]
        return len(parked), len(orphans), shown

    def release(self, job: Job, result: TaskResult) -> int:
        """``job`` completed with ``result``: hand it to its dependents and queue those now
        ready (in the order they depend on it); returns how many were queued."""
        dependents = job.dependents
        if dependents is None:
            return 0
        job.dependents = None
        released = 0
        group = dependents if isinstance(dependents, list) else (dependents,)
        for dep in group:
            if dep.status is not PENDING:
                continue
            dep.deliver(result)
            remaining = dep.remaining = dep.remaining - 1
            if remaining == 0:  # inlined push_ready
                key = dep.key
                level = dep.priority - 1
                fifo = self.levels[level] if 0 <= level < 5 else None
                if fifo is not None and (not fifo or fifo[-1] < key):
                    fifo.append(key)
                else:
                    heapq.heappush(self.late, key)
                self.queued[key] = dep
                released += 1
        return released

    def cascade(self, root: Job) -> list[Job]:
        """Every still-pending job that (transitively) depends on ``root``, dependencies first.
        Iterative: a 100k-long chain must not hit the recursion limit."""
        out: list[Job] = []
        stack = [root]
        while stack:
            job = stack.pop()
            dependents = job.dependents
            job.dependents = None
            if dependents is None:
                continue
            if type(dependents) is not list:
                dependents = [dependents]  # type: ignore[list-item]
            for dep in dependents:
                if dep.status is PENDING and dep.remaining >= 0:
                    dep.remaining = -1  # mark as visited: a job may be reached by two paths
                    out.append(dep)
                    stack.append(dep)
        return out

    # -- ready queue --------------------------------------------------------------------------

    def push_ready(self, job: Job) -> None:
        key = job.key
        level = job.priority - 1
        if 0 <= level < 5:
            fifo = self.levels[level]
            if not fifo or fifo[-1] < key:
                fifo.append(key)
            else:
                heapq.heappush(self.late, key)
        else:
            heapq.heappush(self.late, key)
        self.queued[key] = job

    def pop_ready(self) -> int:
        """The smallest ready key (the caller checks ``queued`` is not empty first)."""
        late = self.late
        for fifo in self.levels:
            if fifo:
                return heapq.heappop(late) if late and late[0] < fifo[0] else fifo.popleft()
        return heapq.heappop(late)

    def ready_ids(self) -> list[str]:
        queued = self.queued
        keys = sorted([*self.late, *(key for fifo in self.levels for key in fifo)])
        return [queued[key].id for key in keys if key in queued and queued[key].status is PENDING]

    async def get_ready_tasks(self) -> list[str]:
        """Ids of pending tasks whose dependencies are all done, in the order they will start."""
        return self.ready_ids()

    # -- statuses -------------------------------------------------------------------------------

    def set_status(self, job: Job, status: TaskStatus) -> None:
        counts = self.counts
        counts[job.status] -= 1
        counts[status] += 1
        job.status = status

    def forget_old(self) -> None:
        """Forget the oldest finished jobs beyond ``keep_finished`` (``finished_order`` holds the
        finished ids, oldest first). Status counts stay cumulative."""
        order = self.finished_order
        while len(order) > self.keep_finished:
            self.jobs.pop(order.popleft(), None)

    def unqueue(self, job: Job) -> None:
        """Forget a cancelled job's heap entry (its key is skipped when popped)."""
        self.queued.pop(job.key, None)

    def pending_jobs(self) -> Iterable[Job]:
        return (job for job in self.jobs.values() if job.status is PENDING)  # type: ignore[misc]

    def live_jobs(self) -> list[Job]:
        """Submitted tasks not finished yet (pending or running)."""
        return [job for job in self.jobs.values() if type(job) is not TaskResult]  # type: ignore[misc]
