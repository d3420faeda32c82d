"""Ready-made health checks for the daemon's parts, wired by the daemon into a HealthRegistry.

Each factory returns a check callable; the parts are reached through small duck-typed protocols so
this module depends on no concrete class (processor, capture, LLM client, history).

States: a part that does not work at all but leaves the bear otherwise usable is ``degraded`` (no
microphone, offline replies); ``unhealthy`` is kept for what stops interactions altogether
(processor stopped, a model that failed to load, history not writable, a stalled loop).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from daemon.ops.health import Check, CheckState
from daemon.ops.looplag import LoopLagMonitor

SyncCheck = Callable[[], Check]
AsyncCheck = Callable[[], Awaitable[Check]]

# The guide's health thresholds (reference/async-processor-guide.md, "Health Checks").
MAX_QUEUE_SIZE = 1000
MIN_SUCCESS_RATE = 95.0


class PerformanceSource(Protocol):
    def get_performance_metrics(self) -> Awaitable[Mapping[str, Any]] | Mapping[str, Any]: ...


class CaptureState(Protocol):
    @property
    def present(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def overflows(self) -> int: ...


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def processor_running(processor: object) -> bool:
    """Whether the processor runs: ``is_running`` or ``running`` (attribute or method), else
    ``_running`` (what the guide's example reads)."""
    for name in ("is_running", "running", "_running"):
        value = getattr(processor, name, None)
        if value is None:
            continue
        return bool(value() if callable(value) else value)
    return False


def processor_check(
    processor: PerformanceSource,
    *,
    is_running: Callable[[], bool] | None = None,
    max_queue_size: int = MAX_QUEUE_SIZE,
    min_success_rate: float = MIN_SUCCESS_RATE,
) -> AsyncCheck:
    """Not running → unhealthy; queue_size > 1000, success_rate < 95 % or a task waiting past
    ``orphan_after_s`` for a dependency nobody submitted → degraded.

    The success rate only counts once at least one task finished (a fresh daemon is not degraded).
    """

    async def check() -> Check:
        running = is_running() if is_running is not None else processor_running(processor)
        metrics = dict(await _maybe_await(processor.get_performance_metrics()))
        queue = int(metrics.get("queue_size") or 0)
        rate = float(metrics.get("success_rate", 100.0) or 0.0)
        processed = int(metrics.get("tasks_processed") or 0)
        orphaned = int(metrics.get("orphaned_count") or 0)
        data = {
            "running": running,
            "queue_size": queue,
            "running_tasks": int(metrics.get("running_tasks") or 0),
            "success_rate": round(rate, 2),
            "tasks_processed": processed,
            "orphaned": orphaned,
        }
        if not running:
            return Check("unhealthy", "processor_stopped", data)
        problems = []
        if queue > max_queue_size:
            problems.append(f"high_queue_size ({queue} > {max_queue_size})")
        if processed > 0 and rate < min_success_rate:
            problems.append(f"low_success_rate ({rate:.1f} % < {min_success_rate:g} %)")
        if orphaned:
            shown = ", ".join(
                f"{o['id']} waits for {', '.join(o['missing'])}"
                for o in metrics.get("orphaned") or ()
            )
            problems.append(f"orphaned_tasks ({orphaned}: {shown})")
        if problems:
            return Check("degraded", "; ".join(problems), data)
        return Check("ok", "running", data)

    return check


def capture_check(
    source: CaptureState | Callable[[], CaptureState],
    *,
    overflow_window_s: float = 60.0,
    max_backlog_s: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
) -> SyncCheck:
    """No input device → degraded with its reason; overflows within the last minute, or a capture
    backlog (optional ``queue_age_s``) above ``max_backlog_s`` → degraded.

    ``source`` is the capture's live state object or a callable returning it; ``overflows`` is the
    running total, so the check remembers when it last grew.
    """
    seen = {"overflows": -1, "grew_at": float("-inf")}

    def check() -> Check:
        state = source() if callable(source) else source
        total = int(state.overflows)
        now = clock()
        if seen["overflows"] >= 0 and total > seen["overflows"]:
            seen["grew_at"] = now
        seen["overflows"] = total
        running = bool(getattr(state, "running", True))
        data: dict[str, Any] = {"present": bool(state.present), "overflows": total}
        if not state.present:
            return Check("degraded", f"no input device: {state.reason or 'unknown reason'}", data)
        if not running:
            return Check("degraded", f"capture stopped: {state.reason or 'unknown reason'}", data)
        if now - seen["grew_at"] <= overflow_window_s:
            return Check("degraded", f"input overflows in the last {overflow_window_s:g} s", data)
        backlog = float(getattr(state, "queue_age_s", 0.0) or 0.0)
        if backlog > max_backlog_s:
            data["queue_age_s"] = round(backlog, 3)
            return Check("degraded", f"capture backlog {backlog:.1f} s (consumer too slow)", data)
        return Check("ok", "capturing", data)

    return check


def model_check(models: Callable[[], Mapping[str, bool | str]]) -> SyncCheck:
    """``models()`` maps model name → True (loaded), False (still loading) or an error message.

    A failed model is unhealthy; one still loading is degraded.
    """

    def check() -> Check:
        status = dict(models())
        failed = {n: v for n, v in status.items() if isinstance(v, str)}
        loading = sorted(n for n, v in status.items() if v is False)
        data: dict[str, Any] = {
            n: ("loaded" if v is True else v or "loading") for n, v in status.items()
        }
        if failed:
            detail = "; ".join(f"{n} failed: {msg}" for n, msg in sorted(failed.items()))
            return Check("unhealthy", detail, data)
        if loading:
            return Check("degraded", f"loading: {', '.join(loading)}", data)
        return Check("ok", f"{len(status)} loaded", data)

    return check


def llm_check(state: Callable[[], str | tuple[str, str | None]]) -> SyncCheck:
    """``state()`` is ``"ok"``, ``"offline"``, ``"unauthorized"`` or ``"error"``, optionally with
    a reason. Anything but ok is degraded: the offline responder still answers the child."""

    def check() -> Check:
        value = state()
        name, reason = value if isinstance(value, tuple) else (value, None)
        data = {"state": name, "reason": reason}
        if name == "ok":
            return Check("ok", "online", data)
        why = {
            "offline": "offline replies",
            "unauthorized": "API key rejected; offline replies",
            "error": "API errors; offline replies",
        }.get(name, f"unknown state {name!r}")
        return Check("degraded", f"{why}: {reason}" if reason else why, data)

    return check


def probe_sqlite_writable(path: Path, busy_timeout_s: float = 1.0) -> Check:
    """Open an existing database read-write and take (then drop) the write lock."""
    data: dict[str, Any] = {"path": str(path)}
    if not path.exists():
        return Check("unhealthy", f"database {path} does not exist", data)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return Check("unhealthy", f"database {path} or its directory is not writable", data)
    try:
        conn = sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, timeout=busy_timeout_s, isolation_level=None
        )
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return Check("degraded", f"database busy: {exc}", data)
        return Check("unhealthy", f"database not writable: {exc}", data)
    except sqlite3.Error as exc:
        return Check("unhealthy", f"database error: {exc}", data)
    return Check("ok", "writable", data)


def db_check(path: Path | str | Callable[[], Path | str]) -> AsyncCheck:
    """History database writable (probed off the loop)."""

    async def check() -> Check:
        target = Path(path() if callable(path) else path)
        return await asyncio.to_thread(probe_sqlite_writable, target)

    return check


class HistoryWrites(Protocol):
    """What :func:`history_check` reads (``daemon.history.guard.HistoryGuard``)."""

    @property
    def error(self) -> str | None: ...
    @property
    def held(self) -> int: ...
    def snapshot(self) -> dict[str, Any]: ...


def history_check(writes: HistoryWrites, path: Path | str | Callable[[], Path | str]) -> AsyncCheck:
    """Unhealthy while history writes fail (with the reason and how many are held in memory);
    otherwise the writability probe of :func:`db_check`."""
    probe = db_check(path)

    async def check() -> Check:
        data = writes.snapshot()
        if writes.error is not None or writes.held:
            return Check(
                "unhealthy",
                f"history writes failing, {writes.held} held in memory: {writes.error}",
                data,
            )
        result = await probe()
        return Check(result.state, result.detail, {**result.data, **data})

    return check


class Backlog(Protocol):
    """What :func:`backlog_check` reads (``daemon.interaction.intake.Intake``)."""

    @property
    def dropped(self) -> int: ...
    @property
    def last_drop_at(self) -> float | None: ...
    @property
    def pending(self) -> int: ...
    @property
    def resumed(self) -> int: ...


def backlog_check(backlog: Backlog, recent_s: float = 300.0) -> SyncCheck:
    """Degraded for ``recent_s`` after an utterance was dropped on a full backlog."""

    def check() -> Check:
        data = {
            "pending": backlog.pending,
            "dropped": backlog.dropped,
            "resumed": backlog.resumed,
        }
        last = backlog.last_drop_at
        if last is not None and time.monotonic() - last < recent_s:
            ago = time.monotonic() - last
            return Check(
                "degraded",
                f"{backlog.dropped} utterance(s) dropped on a full backlog, last {ago:.0f} s ago",
                data,
            )
        return Check("ok", f"{backlog.pending} pending", data)

    return check


def loop_lag_check(
    monitor: LoopLagMonitor,
    *,
    degraded_s: float = 0.25,
    unhealthy_s: float = 2.0,
) -> SyncCheck:
    """Worst recent loop lag: above ``degraded_s`` degraded, above ``unhealthy_s`` unhealthy."""

    def check() -> Check:
        data = monitor.snapshot()
        if not monitor.running:
            return Check("degraded", "loop-lag monitor not running", data)
        lag = monitor.max_s
        state: CheckState = "ok"
        if lag > unhealthy_s:
            state = "unhealthy"
        elif lag > degraded_s:
            state = "degraded"
        return Check(state, f"max lag {lag * 1000:.0f} ms", data)

    return check


class RemoteLink(Protocol):
    """What :func:`wyoming_check` reads (``processors.wyoming_link.WyomingLink``)."""

    uri: str
    exchanges: int
    fallbacks: int

    def state(self) -> tuple[str, str | None]: ...


def wyoming_check(links: Callable[[], list[RemoteLink]]) -> SyncCheck:
    """Degraded while a Wyoming server's last exchange failed (the local engine answers then)."""

    def check() -> Check:
        found = links()
        data = {
            link.uri: {
                "state": link.state()[0],
                "exchanges": link.exchanges,
                "fallbacks": link.fallbacks,
            }
            for link in found
        }
        down = [reason for link in found for state, reason in [link.state()] if state != "ok"]
        if down:
            return Check(
                "degraded",
                "; ".join(r or "unreachable" for r in down) + "; local engine answers",
                data,
            )
        return Check("ok", f"{len(found)} server(s) answering", data)

    return check
