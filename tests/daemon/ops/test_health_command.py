"""`teddy health` against a real test server: exit 0 only when healthy."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from daemon.commands import health as health_cmd
from daemon.ops.health import Check, CheckState, HealthRegistry
from daemon.ops.http import HealthServer
from daemon.ops.metrics import TeddyMetrics


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="teddy")
    health_cmd.register(parser.add_subparsers())
    return parser.parse_args(["health", *argv])


class Daemon:
    def __init__(self, token: str | None = None) -> None:
        self.state: CheckState = "ok"
        registry = HealthRegistry()
        registry.register("part", lambda: Check(self.state, "because"))
        self.server = HealthServer(registry, TeddyMetrics(), port=0, token=token)


@pytest.fixture
async def daemon() -> AsyncIterator[Daemon]:
    d = Daemon()
    await d.server.start()
    yield d
    await d.server.stop()


async def run_cmd(*argv: str) -> int:
    # The command blocks (urllib) and the server runs on this loop: run it in a thread.
    return await asyncio.to_thread(health_cmd.run, parse(*argv))


async def test_healthy_exits_0_and_prints_json(
    daemon: Daemon, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cmd("--url", daemon.server.url) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "healthy"
    assert printed["checks"]["part"]["detail"] == "because"


@pytest.mark.parametrize("state", ["degraded", "unhealthy"])
async def test_not_healthy_exits_1(
    daemon: Daemon, state: CheckState, capsys: pytest.CaptureFixture[str]
) -> None:
    daemon.state = state
    assert await run_cmd("--url", daemon.server.url + "/healthz") == 1
    assert json.loads(capsys.readouterr().out)["status"] == state


async def test_unreachable_exits_1_with_message(capsys: pytest.CaptureFixture[str]) -> None:
    server = HealthServer(HealthRegistry(), TeddyMetrics(), port=0)
    await server.start()
    url = server.url
    await server.stop()  # the port is now closed
    assert await run_cmd("--url", url, "--timeout", "2") == 1
    assert "no daemon answering" in capsys.readouterr().err


async def test_token(capsys: pytest.CaptureFixture[str]) -> None:
    d = Daemon(token="s3cret")
    await d.server.start()
    try:
        assert await run_cmd("--url", d.server.url) == 1
        assert "unauthorized" in capsys.readouterr().err
        assert await run_cmd("--url", d.server.url, "--token", "s3cret") == 0
    finally:
        await d.server.stop()


@pytest.mark.parametrize(
    ("url", "host", "port", "expected"),
    [
        (None, "127.0.0.1", 8765, "http://127.0.0.1:8765/healthz"),
        (None, "0.0.0.0", 9000, "http://127.0.0.1:9000/healthz"),
        (None, "::1", 9000, "http://[::1]:9000/healthz"),
        ("localhost:1234", "x", 1, "http://localhost:1234/healthz"),
        ("http://h:1/", "x", 1, "http://h:1/healthz"),
        ("http://h:1/readyz", "x", 1, "http://h:1/readyz"),
    ],
)
def test_healthz_url(url: str | None, host: str, port: int, expected: str) -> None:
    assert health_cmd.healthz_url(url, host, port) == expected


async def test_default_url_comes_from_config(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TEDDY_HEALTH__PORT", str(daemon.server.port))
    assert await run_cmd() == 0
    assert json.loads(capsys.readouterr().out)["status"] == "healthy"
