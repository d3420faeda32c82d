"""The HTTP endpoint on a real aiohttp server (127.0.0.1, port 0)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon.hearing.state import CaptureState
from daemon.ops.health import Check, HealthRegistry
from daemon.ops.health_checks import capture_check, db_check, loop_lag_check, processor_check
from daemon.ops.http import HealthServer, HealthServerError, is_loopback
from daemon.ops.looplag import LoopLagMonitor
from daemon.ops.metrics import TeddyMetrics
from processors import create_processor

ServerFactory = Callable[..., Any]


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    servers: list[HealthServer] = []

    async def factory(**kw: Any) -> HealthServer:
        health = kw.pop("health", None) or HealthRegistry()
        server = HealthServer(health, kw.pop("metrics", None) or TeddyMetrics(), port=0, **kw)
        await server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.stop()


async def get(url: str, token: str | None = None) -> tuple[int, str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def test_binds_an_ephemeral_port_on_loopback(serve: ServerFactory) -> None:
    server = await serve()
    assert server.port and server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


async def test_healthz_healthy_degraded_unhealthy(serve: ServerFactory) -> None:
    health = HealthRegistry()
    state = {"value": "ok"}
    health.register("part", lambda: Check(state["value"], "why"))  # type: ignore[arg-type]
    server = await serve(health=health)
    status, body, headers = await get(server.url + "/healthz")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert '"status": "healthy"' in body
    state["value"] = "degraded"
    status, body, _ = await get(server.url + "/healthz")
    assert status == 200
    assert '"status": "degraded"' in body
    assert '"detail": "why"' in body
    state["value"] = "unhealthy"
    status, body, _ = await get(server.url + "/healthz")
    assert status == 503
    assert '"status": "unhealthy"' in body


async def test_readyz_follows_flags(serve: ServerFactory) -> None:
    health = HealthRegistry(ready_flags=("models",))
    server = await serve(health=health)
    assert (await get(server.url + "/readyz"))[0] == 503
    health.set_ready("models")
    status, body, _ = await get(server.url + "/readyz")
    assert status == 200
    assert '"ready": true' in body


async def test_status_has_processor_metrics_and_latencies(serve: ServerFactory) -> None:
    async def perf() -> dict[str, Any]:
        return {"tasks_processed": 3, "success_rate": 100.0, "queue_size": 0, "running_tasks": 1}

    latencies = {"tts_first_audio": {"count": 2, "p50_s": 0.5, "p95_s": 0.7, "max_s": 0.7}}
    server = await serve(
        processor_metrics=perf, latencies=lambda: latencies, extra_status=lambda: {"llm": "ok"}
    )
    status, body, _ = await get(server.url + "/status")
    data = json.loads(body)
    assert status == 200
    assert data["processor"]["tasks_processed"] == 3
    assert data["latencies"] == latencies
    assert data["llm"] == "ok"


async def test_status_survives_a_failing_provider(serve: ServerFactory) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("processor gone")

    server = await serve(processor_metrics=broken)
    status, body, _ = await get(server.url + "/status")
    assert status == 200
    assert "processor gone" in body


async def test_metrics_text_parses(serve: ServerFactory) -> None:
    metrics = TeddyMetrics()
    metrics.set_audio_overflows(4)
    server = await serve(metrics=metrics)
    status, body, headers = await get(server.url + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    assert families["teddy_audio_overflows"].samples[0].value == 4
    assert "teddy_interaction_latency_seconds" in families


async def test_token_required_on_every_path(serve: ServerFactory) -> None:
    server = await serve(token="s3cret")
    for path in ("/healthz", "/readyz", "/status", "/metrics"):
        status, _, headers = await get(server.url + path)
        assert status == 401, path
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert (await get(server.url + path, token="wrong"))[0] == 401
    assert (await get(server.url + "/healthz", token="s3cret"))[0] == 200
    assert (await get(server.url + "/metrics", token="s3cret"))[0] == 200


async def test_refuses_non_loopback_without_token() -> None:
    server = HealthServer(HealthRegistry(), TeddyMetrics(), host="0.0.0.0", port=0)
    with pytest.raises(HealthServerError, match=r"health\.token"):
        await server.start()
    assert server.port is None


async def test_non_loopback_with_token_starts() -> None:
    server = HealthServer(HealthRegistry(), TeddyMetrics(), host="0.0.0.0", port=0, token="t")
    await server.start()
    try:
        assert (await get(f"http://127.0.0.1:{server.port}/healthz", token="t"))[0] == 200
    finally:
        await server.stop()


async def test_port_in_use_is_a_clear_error(serve: ServerFactory) -> None:
    first = await serve()
    second = HealthServer(HealthRegistry(), TeddyMetrics(), port=first.port or 0)
    with pytest.raises(HealthServerError, match="cannot listen"):
        await second.start()


def test_bad_port_rejected() -> None:
    with pytest.raises(HealthServerError, match=r"health\.port"):
        HealthServer(HealthRegistry(), TeddyMetrics(), port=70000)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("teddy.local", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_stop_is_idempotent_and_restartable(serve: ServerFactory) -> None:
    server = await serve()
    await server.stop()
    await server.stop()
    await server.start()
    assert (await get(server.url + "/healthz"))[0] == 200


async def test_daemon_without_microphone_is_up_and_degraded_saying_why(
    serve: ServerFactory, tmp_path: Path
) -> None:
    processor = await create_processor(max_workers=1)
    monitor = LoopLagMonitor(interval_s=10)
    monitor.start()
    db = tmp_path / "history.sqlite3"
    sqlite3.connect(db).close()
    capture = CaptureState(present=False, reason="no input device found")
    health = HealthRegistry(ready_flags=("models", "capture"))
    health.register("processor", processor_check(processor))
    health.register("capture", capture_check(capture))
    health.register("loop", loop_lag_check(monitor))
    health.register("db", db_check(db))
    health.set_ready("models")
    try:
        server = await serve(health=health, processor_metrics=processor.get_performance_metrics)
        status, body, _ = await get(server.url + "/healthz")
        data = json.loads(body)
        assert status == 200
        assert data["status"] == "degraded"
        assert data["checks"]["capture"]["detail"] == "no input device: no input device found"
        assert {name for name, c in data["checks"].items() if c["state"] != "ok"} == {"capture"}
        assert (await get(server.url + "/readyz"))[0] == 503
        status, body, _ = await get(server.url + "/status")
        assert json.loads(body)["processor"]["running"] is True
    finally:
        await monitor.stop()
        await processor.shutdown()
