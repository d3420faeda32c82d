"""History never silences the bear: every history write goes through here, and none raises.

A write that fails (disk full, I/O error, database locked or damaged) is kept, in order, in a
bounded in-memory backlog and the database check turns ``unhealthy`` with the reason. While the
backlog is not empty, later writes queue behind it instead of running, so a row's updates can
never land before its insert. A background loop retries the backlog; once it is written the
check is healthy again. When the backlog is full the oldest write is discarded and counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Write = Callable[[], Awaitable[Any]]


@dataclass
class _Held:
    what: str
    write: Write


class HistoryGuard:
    """``await guard.write("what", lambda: store.finish(...))`` → True if written now."""

    def __init__(self, *, max_held: int = 2000, retry_s: float = 1.0) -> None:
        self.max_held = max_held
        self.retry_s = retry_s
        self._held: deque[_Held] = deque()
        self._lock = asyncio.Lock()
        self.error: str | None = None  # why the last write failed, while writes are held
        self.failed_at: float | None = None
        self.written_late = 0
        self.discarded = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def healthy(self) -> bool:
        return not self._held and self.error is None

    async def write(self, what: str, write: Write) -> bool:
        async with self._lock:  # one writer at a time keeps the order of held writes
            if self._held:
                self._hold(what, write)
                return False
            try:
                await write()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(what, exc)
                self._hold(what, write)
                return False
            return True

    async def read(self, what: str, read: Callable[[], Awaitable[Any]], default: Any) -> Any:
        """A read that must not stop an interaction: ``default`` (and a log line) on failure."""
        try:
            return await read()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("history: %s failed (%s: %s); going on without it", what, _name(exc), exc)
            return default

    def _hold(self, what: str, write: Write) -> None:
        if len(self._held) >= self.max_held:
            lost = self._held.popleft()
            self.discarded += 1
            log.error("history backlog full (%d): discarded %s", self.max_held, lost.what)
        self._held.append(_Held(what, write))

    def _failed(self, what: str, exc: BaseException) -> None:
        self.failures += 1
        first = self.error is None
        self.error = f"{what} failed: {_name(exc)}: {exc}"
        self.failed_at = time.monotonic()
        if first:
            log.error(
                "history: %s; keeping writes in memory (at most %d) and retrying every %g s",
                self.error,
                self.max_held,
                self.retry_s,
            )

    async def flush(self) -> bool:
        """Write what is held, in order, until one fails; True once nothing is held."""
        async with self._lock:
            while self._held:
                item = self._held[0]
                try:
                    await item.write()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.error = f"{item.what} failed: {_name(exc)}: {exc}"
                    return False
                self._held.popleft()
                self.written_late += 1
            if self.error is not None:
                log.warning(
                    "history writable again: %d held write(s) saved, %d discarded",
                    self.written_late,
                    self.discarded,
                )
            self.error = None
            return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._retry(), name="teddy-history-retry")

    async def _retry(self) -> None:
        while True:
            await asyncio.sleep(self.retry_s)
            if self._held:
                await self.flush()

    async def stop(self, grace_s: float = 2.0) -> None:
        """Stop retrying; one last bounded attempt to save what is held."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._held:
            try:
                await asyncio.wait_for(self.flush(), grace_s)
            except TimeoutError:
                pass
        if self._held:
            log.error(
                "history: %d write(s) could not be saved before exit (%s)",
                len(self._held),
                self.error,
            )

    def snapshot(self) -> dict[str, Any]:
        return {
            "held": len(self._held),
            "max_held": self.max_held,
            "written_late": self.written_late,
            "discarded": self.discarded,
            "failures": self.failures,
            "error": self.error,
        }


def _name(exc: BaseException) -> str:
    return type(exc).__name__
