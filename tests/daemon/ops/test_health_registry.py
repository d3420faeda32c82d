"""HealthRegistry: aggregation, failing/hanging checks, readiness flags."""

from __future__ import annotations

import asyncio

import pytest

from daemon.ops.health import Check, HealthRegistry, worst


def test_worst_state_wins() -> None:
    assert worst([]) == "healthy"
    assert worst(["ok", "ok"]) == "healthy"
    assert worst(["ok", "degraded"]) == "degraded"
    assert worst(["degraded", "unhealthy", "ok"]) == "unhealthy"


def test_check_rejects_unknown_state() -> None:
    with pytest.raises(ValueError, match="state"):
        Check("fine")  # type: ignore[arg-type]


async def test_sync_and_async_checks_are_aggregated() -> None:
    registry = HealthRegistry()

    async def slow_ok() -> Check:
        await asyncio.sleep(0)
        return Check("ok", "fine", {"n": 1})

    registry.register("a", slow_ok)
    registry.register("b", lambda: Check("degraded", "no mic"))
    report = await registry.evaluate()
    assert report.status == "degraded"
    assert report.to_dict()["checks"] == {
        "a": {"state": "ok", "detail": "fine", "data": {"n": 1}},
        "b": {"state": "degraded", "detail": "no mic", "data": {}},
    }


async def test_raising_check_is_unhealthy_and_others_still_run() -> None:
    registry = HealthRegistry()

    def broken() -> Check:
        raise RuntimeError("boom")

    registry.register("broken", broken)
    registry.register("fine", lambda: Check("ok"))
    report = await registry.evaluate()
    assert report.status == "unhealthy"
    assert "RuntimeError: boom" in report.checks["broken"].detail
    assert report.checks["fine"].state == "ok"


async def test_hanging_check_times_out_as_unhealthy() -> None:
    registry = HealthRegistry()
    never = asyncio.Event()

    async def hangs() -> Check:
        await never.wait()
        return Check("ok")

    registry.register("hangs", hangs, timeout_s=0.01)
    report = await registry.evaluate()
    assert report.checks["hangs"].state == "unhealthy"
    assert "did not answer" in report.checks["hangs"].detail


async def test_non_check_return_is_unhealthy() -> None:
    registry = HealthRegistry()
    registry.register("odd", lambda: {"state": "ok"})  # type: ignore[arg-type,return-value]
    report = await registry.evaluate()
    assert report.checks["odd"].state == "unhealthy"


async def test_no_checks_is_healthy() -> None:
    assert (await HealthRegistry().evaluate()).status == "healthy"


def test_readiness_needs_every_required_flag() -> None:
    registry = HealthRegistry(ready_flags=("models", "capture"))
    assert not registry.ready
    registry.set_ready("models")
    assert not registry.ready
    registry.set_ready("capture")
    assert registry.ready
    registry.set_ready("capture", False)
    assert not registry.ready
    registry.waive("capture")
    assert registry.ready
    registry.require("db")
    assert not registry.ready
    assert registry.flags == {"models": True, "db": False}


def test_unregister_removes_check() -> None:
    registry = HealthRegistry()
    registry.register("x", lambda: Check("ok"))
    registry.unregister("x")
    registry.unregister("missing")
    assert registry.names == []
