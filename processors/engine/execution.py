"""Execution contexts: the event loop, the thread pool, the process pool.

Coroutine processors are awaited inside the worker coroutines themselves (no asyncio.Task per job),
so a job that never suspends costs no Task, no timer and no loop turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import multiprocessing
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from processors.engine.errors import NotPicklable, ProcessPoolCrashed
from processors.engine.task import ProcessingTask

log = logging.getLogger(__name__)


def is_async_callable(fn: object) -> bool:
    """True for ``async def`` functions, partials of them, and objects with ``async def __call__``
    (``asyncio.iscoroutinefunction`` misses the latter, which is how stage processors look)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.iscoroutinefunction(fn):
        return True
    call = type(fn).__dict__.get("__call__") or getattr(type(fn), "__call__", None)  # noqa: B004
    return not inspect.isfunction(fn) and inspect.iscoroutinefunction(call)


@dataclass(frozen=True)
class Resolved:
    """A processor function and how to run it (detected once, not per task). ``source`` says
    where it came from; ``"payload"``: a CUSTOM task's own ``payload["processor"]``."""

    fn: Callable[..., Any]
    is_async: bool
    source: str


def resolved(fn: Callable[..., Any], source: str) -> Resolved:
    return Resolved(fn, is_async_callable(fn), source)


def _run_pickled(blob: bytes) -> Any:
    """Runs in a pool process: unpickle ``(fn, arg)`` and call it."""
    fn, arg = pickle.loads(blob)
    return fn(arg)


class ExecutionContexts:
    """The lazily created thread and process pools, with process-pool rebuild after a crash."""

    def __init__(
        self, max_thread_workers: int, max_process_workers: int, mp_start_method: str
    ) -> None:
        if max_thread_workers < 1 or max_process_workers < 1:
            raise ValueError("max_thread_workers and max_process_workers must be >= 1")
        self._max_threads = max_thread_workers
        self._max_processes = max_process_workers
        self._mp_method = mp_start_method
        self._threads: ThreadPoolExecutor | None = None
        self._processes: ProcessPoolExecutor | None = None
        self.pool_rebuilds = 0

    @property
    def thread_pool(self) -> ThreadPoolExecutor:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self._max_threads, thread_name_prefix="teddy-job")
        return self._threads

    def run_in_thread(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self.thread_pool, fn, arg)

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._processes is None:
            context = multiprocessing.get_context(self._mp_method)
            self._processes = ProcessPoolExecutor(self._max_processes, mp_context=context)
        return self._processes

    async def run_in_process(self, fn: Callable[[Any], Any], arg: Any, what: str) -> Any:
        """Run ``fn(arg)`` in the process pool. Pickles up front, so an unpicklable function or
        payload gets a clear error; a crashed worker fails this job and the pool is rebuilt."""
        try:
            blob = pickle.dumps((fn, arg), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise NotPicklable(
                f"{what} is cpu_intensive, so its processor function and task must be picklable "
                f"to run in the process pool, but pickling failed ({type(exc).__name__}: {exc}); "
                "use a module-level function and plain data, or mark the task io_bound"
            ) from exc
        pool = self._process_pool()
        try:
            future: Future[Any] = pool.submit(_run_pickled, blob)
        except BrokenProcessPool:  # broken by an earlier crash we have not noticed yet
            self._rebuild(pool)
            pool = self._process_pool()
            future = pool.submit(_run_pickled, blob)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._rebuild(pool)
            raise ProcessPoolCrashed(
                f"{what}: a process-pool worker died while running it ({exc}); pool rebuilt"
            ) from exc

    async def run(self, task: ProcessingTask, resolved: Resolved) -> Any:
        """Run ``task`` with its processor in its context: a coroutine on the loop, a
        ``cpu_intensive`` function in the process pool, any other function in a thread."""
        if resolved.is_async:
            return await resolved.fn(task)
        custom = resolved.source == "payload"
        target = task.payload["processor"] if custom else resolved.fn
        arg: Any = task.payload if custom else task
        if task.cpu_intensive:
            what = f"task {task.id} ({task.type_key})"
            value = await self.run_in_process(target, arg, what)
        else:
            value = await self.run_in_thread(target, arg)
        if inspect.isawaitable(value):  # a plain function that returned a coroutine
            value = await value
        return value

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        if self._processes is broken:
            log.warning("process pool broken (a worker process died); rebuilding it")
            self._processes = None
            self.pool_rebuilds += 1
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self, wait: bool) -> None:
        """Shut both pools down. With ``wait`` False, threads still running abandoned work are
        left to finish on their own (Python cannot kill a thread)."""
        threads, processes = self._threads, self._processes
        self._threads = self._processes = None
        if threads is not None:
            threads.shutdown(wait=wait, cancel_futures=True)
        if processes is not None:
            processes.shutdown(wait=wait, cancel_futures=True)

    async def aclose(self, wait: bool, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """``close`` without blocking the loop: joins happen in a helper thread. With
        ``timeout``, work still running after it is abandoned: pool processes are killed,
        threads (which Python cannot kill) are left behind and named in the log. True if
        everything stopped in time."""
        if self._threads is None and self._processes is None:
            return True
        threads, processes = self._threads, self._processes
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def _close() -> None:
            try:
                self.close(wait)
            finally:
                # abandoned after ``timeout``, this thread may outlive the event loop
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_set_done, done)

        helper = threading.Thread(target=_close, name="teddy-pool-close", daemon=True)
        helper.start()
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            _kill_workers(processes)
            stuck = _busy_threads(threads)
            log.error(
                "shutdown: abandoned %d thread(s) still running a synchronous processor "
                "after %.1f s (%s); they cannot be stopped and end with the process",
                len(stuck),
                timeout,
                ", ".join(stuck) or "-",
            )
            return False
        helper.join()
        return True


def _kill_workers(pool: ProcessPoolExecutor | None) -> None:
    """Kill a process pool's workers (a hung ``cpu_intensive`` job must not hold up exit)."""
    workers = getattr(pool, "_processes", None) or {}
    for process in list(workers.values()):
        with contextlib.suppress(Exception):
            process.kill()


def _busy_threads(pool: ThreadPoolExecutor | None) -> list[str]:
    threads = getattr(pool, "_threads", None) or set()
    return sorted(t.name for t in threads if t.is_alive())


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
