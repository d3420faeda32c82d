"""Built-in health checks: processor, capture, models, LLM, database, loop lag."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from daemon.hearing.state import CaptureState
from daemon.ops.health import Check
from daemon.ops.health_checks import (
    capture_check,
    db_check,
    llm_check,
    loop_lag_check,
    model_check,
    processor_check,
    processor_running,
)
from daemon.ops.looplag import LoopLagMonitor


class FakeProcessor:
    def __init__(self, running: bool = True, **metrics: Any) -> None:
        self._running = running
        self.metrics: dict[str, Any] = {
            "tasks_processed": 0,
            "success_rate": 0.0,
            "queue_size": 0,
            "running_tasks": 0,
        }
        self.metrics.update(metrics)

    async def get_performance_metrics(self) -> dict[str, Any]:
        return self.metrics


async def run(check: Any) -> Check:
    outcome = check()
    result = await outcome if asyncio.iscoroutine(outcome) else outcome
    assert isinstance(result, Check)
    return result


async def test_processor_ok_when_running_and_fresh() -> None:
    result = await run(processor_check(FakeProcessor()))
    assert result.state == "ok"
    assert result.data["running"] is True


async def test_processor_stopped_is_unhealthy() -> None:
    result = await run(processor_check(FakeProcessor(running=False)))
    assert (result.state, result.detail) == ("unhealthy", "processor_stopped")


async def test_processor_queue_over_1000_is_degraded() -> None:
    result = await run(processor_check(FakeProcessor(queue_size=1001)))
    assert result.state == "degraded"
    assert "high_queue_size" in result.detail
    assert (await run(processor_check(FakeProcessor(queue_size=1000)))).state == "ok"


async def test_processor_low_success_rate_is_degraded() -> None:
    low = FakeProcessor(tasks_processed=100, success_rate=94.9)
    assert "low_success_rate" in (await run(processor_check(low))).detail
    fine = FakeProcessor(tasks_processed=100, success_rate=95.0)
    assert (await run(processor_check(fine))).state == "ok"


async def test_a_task_waiting_for_a_dependency_nobody_submitted_degrades_health() -> None:
    from processors import AdvancedAsyncProcessor, create_task

    processor = AdvancedAsyncProcessor(orphan_after_s=0.0)
    await processor.start()
    try:
        await processor.submit_task(create_task("later", {}, depends_on=["never-submitted"]))
        result = await run(processor_check(processor))
    finally:
        await processor.shutdown(timeout=1)
    assert result.state == "degraded"
    assert "orphaned_tasks (1:" in result.detail and "never-submitted" in result.detail
    assert result.data["orphaned"] == 1


def test_processor_running_prefers_public_attribute() -> None:
    class Public:
        _running = False

        def is_running(self) -> bool:
            return True

    assert processor_running(Public())
    assert not processor_running(object())


@dataclass
class Capture:
    present: bool = True
    reason: str | None = None
    overflows: int = 0


async def test_capture_without_device_is_degraded_with_reason() -> None:
    result = await run(capture_check(Capture(present=False, reason="no input device found")))
    assert result.state == "degraded"
    assert "no input device found" in result.detail


async def test_capture_overflows_degrade_for_a_window() -> None:
    state = Capture(overflows=3)
    now = [100.0]
    check = capture_check(state, overflow_window_s=60, clock=lambda: now[0])
    assert (await run(check)).state == "ok"  # overflows before the daemon looked: history
    state.overflows = 5
    now[0] = 110.0
    result = await run(check)
    assert result.state == "degraded"
    assert result.data["overflows"] == 5
    now[0] = 171.0
    assert (await run(check)).state == "ok"


async def test_capture_with_the_real_state_object() -> None:
    state = CaptureState()
    check = capture_check(state)
    result = await run(check)
    assert (result.state, result.detail) == ("degraded", "no input device: not started")
    state.present, state.reason = True, None
    assert (await run(check)).state == "ok"
    state.queue_age_s = 3.0
    assert "backlog" in (await run(check)).detail


async def test_capture_accepts_a_callable_source() -> None:
    assert (await run(capture_check(lambda: Capture()))).state == "ok"


async def test_models_loading_failed_and_loaded() -> None:
    status: dict[str, bool | str] = {"stt": False, "tts": True}
    check = model_check(lambda: status)
    assert (await run(check)).state == "degraded"
    status["stt"] = "file not found"
    failed = await run(check)
    assert failed.state == "unhealthy"
    assert "stt failed: file not found" in failed.detail
    status["stt"] = True
    assert (await run(check)).state == "ok"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ok", "ok"),
        (("offline", "no_api_key"), "degraded"),
        (("unauthorized", "401 from API"), "degraded"),
        ("error", "degraded"),
    ],
)
async def test_llm_states(state: Any, expected: str) -> None:
    result = await run(llm_check(lambda: state))
    assert result.state == expected
    if isinstance(state, tuple):
        assert state[1] in result.detail


def _make_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.close()


async def test_db_writable(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    _make_db(db)
    assert (await run(db_check(db))).state == "ok"


async def test_db_missing_is_unhealthy_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "missing.sqlite3"
    result = await run(db_check(lambda: db))
    assert result.state == "unhealthy"
    assert not db.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
async def test_db_read_only_is_unhealthy(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    _make_db(db)
    db.chmod(0o400)
    assert (await run(db_check(db))).state == "unhealthy"


async def test_db_locked_is_degraded(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    _make_db(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        from daemon.ops.health_checks import probe_sqlite_writable

        result = await asyncio.to_thread(probe_sqlite_writable, db, 0.01)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.state == "degraded"


async def test_loop_lag_check_thresholds() -> None:
    # The background task sleeps 10 s: only the samples taken below count.
    monitor = LoopLagMonitor(interval_s=10)
    check = loop_lag_check(monitor, degraded_s=0.1, unhealthy_s=1.0)
    assert (await run(check)).state == "degraded"  # monitor not started
    monitor.start()
    try:
        await monitor.sample(0.001)
        assert (await run(check)).state == "ok"

        async def block() -> None:
            time.sleep(0.2)  # noqa: ASYNC251 - blocking the loop is what is measured

        await asyncio.gather(monitor.sample(0.001), block())
        result = await run(check)
        assert result.state == "degraded"
        assert result.data["max_s"] >= 0.19
    finally:
        await monitor.stop()
