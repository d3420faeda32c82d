"""The apprise channel against a real local receiver: apprise's ``json://`` target POSTs to an
aiohttp server on 127.0.0.1 that the test runs in the same event loop. A channel that blocked the
loop could never get its answer, so these also show that sending stays off the loop."""

from __future__ import annotations

import asyncio
import logging
import socket
from types import SimpleNamespace
from typing import Any

import pytest

from processors.alerts.channels.apprise import AppriseChannel, apprise_channels, redact
from processors.alerts.stage import AlertStage
from tests.processors.alerts.receiver import webhook_receiver


def json_url(http_url: str, secret: str = "") -> str:
    """apprise's JSON target for an http:// URL (``json://host:port/path``)."""
    rest = http_url.removeprefix("http://")
    return f"json://{secret}@{rest}" if secret else f"json://{rest}"


def fear_task(text: str = "there is a monster under my bed") -> Any:
    payload = {"interaction_id": "i-7", "text": text, "emotion": "fear", "scores": {"fear": 0.9}}
    return SimpleNamespace(id="t-1", payload=payload, dependency_result=lambda _kind: None)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_fear_alert_reaches_a_real_apprise_receiver() -> None:
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config({"urls": [json_url(rx.url)], "desktop": False})
        result = await stage(fear_task())
    [request] = rx.requests
    body = request.json
    assert body["title"] == "Teddy: a message about your child"
    assert "afraid" in body["message"] and "monster under my bed" in body["message"]
    assert body["type"] == "warning"
    [delivery] = result.deliveries
    assert delivery == {
        "channel": "apprise:json",
        "ok": True,
        "attempts": 1,
        "skipped": False,
        "error": None,
    }
    assert all("apprise:json" in alert.channels for alert in result.alerts)


async def test_urgent_alerts_map_to_apprise_failure_type() -> None:
    event = {"alerts": [{"severity": "warning", "message": "a"}, {"severity": "urgent"}]}
    async with webhook_receiver() as rx:
        assert (await AppriseChannel(json_url(rx.url)).send(event)).ok
    assert rx.requests[0].json["type"] == "failure"


async def test_a_failing_destination_is_retried_by_default() -> None:
    async with webhook_receiver() as rx:
        rx.statuses = [500]
        delivery = await AppriseChannel(json_url(rx.url)).send({"alerts": [{"message": "x"}]})
    assert delivery.ok and delivery.attempts == 2
    assert len(rx.requests) == 2


async def test_the_url_may_turn_retries_off() -> None:
    async with webhook_receiver() as rx:
        rx.statuses = [500]
        channel = AppriseChannel(json_url(rx.url) + "?retry=0")
        delivery = await channel.send({"alerts": [{"message": "x"}]})
    assert not delivery.ok and delivery.attempts == 1
    assert delivery.error is not None and "500" in delivery.error


async def test_each_url_gets_its_own_delivery_and_names_carry_no_secret() -> None:
    async with webhook_receiver() as failing, webhook_receiver() as working:
        failing.statuses = [500] * 3
        urls = [json_url(failing.url, "user:topsecret"), json_url(working.url)]
        stage = AlertStage.from_config({"urls": urls, "desktop": False})
        deliveries = await stage.send_test()
    assert [(d.channel, d.ok, d.attempts) for d in deliveries] == [
        ("apprise:json#1", False, 3),
        ("apprise:json#2", True, 1),
    ]
    assert all("topsecret" not in repr(d) for d in deliveries)
    assert failing.requests[0].headers["Authorization"].startswith("Basic ")


async def test_an_unreachable_destination_fails_without_leaking_its_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"json://parent:hunter22@127.0.0.1:{closed_port()}/hook?retry=0"
    with caplog.at_level(logging.DEBUG):
        delivery = await AppriseChannel(url).send({"alerts": [{"message": "x"}]})
    assert not delivery.ok and delivery.error
    assert "hunter22" not in caplog.text and "hunter22" not in repr(delivery)


def test_a_bad_url_is_one_clear_line_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        stage = AlertStage.from_config(
            {"urls": ["ntfy://ntfy.sh/kids", "fooo://user:pw123@example.org/x"], "desktop": False}
        )
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    line = lines[0].getMessage()
    assert line.startswith("alerts.urls[1] fooo://…: apprise does not know the scheme fooo://")
    assert "ntfy://" in line and "pover://" in line and "json://" in line
    assert "pw123" not in caplog.text
    assert [c.name for c in stage.channels] == ["apprise:ntfy", "apprise:fooo"]


def test_a_known_scheme_with_a_bad_form_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        [channel] = apprise_channels(["pover://only-a-user-key-secret"])
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.startswith("alerts.urls[0] pover://…: not a valid pover:// URL for apprise")
    assert "only-a-user-key-secret" not in caplog.text
    assert channel.problem is not None


async def test_a_bad_url_channel_fails_each_send_and_the_others_still_deliver(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with webhook_receiver() as rx:
        with caplog.at_level(logging.WARNING):
            stage = AlertStage.from_config(
                {"urls": ["a-pasted-token-x9", json_url(rx.url)], "desktop": False}
            )
        result = await stage(fear_task())
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("processors")]
    assert line.startswith("alerts.urls[0] (not a URL): not a URL; write scheme://")
    assert "a-pasted-token-x9" not in caplog.text
    bad, good = result.deliveries
    assert bad["channel"] == "apprise:invalid" and not bad["ok"] and bad["attempts"] == 0
    assert "not a URL" in bad["error"]
    assert good["ok"] and len(rx.requests) == 1


def test_redact_keeps_only_schemes() -> None:
    text = "failed: mailto://me:pw@gmail.com and https://api.telegram.org/bot123:abc/send"
    assert redact(text) == "failed: mailto://… and https://…"


async def test_the_daemon_config_builds_the_channels_and_a_reload_applies_new_urls() -> None:
    from daemon.config import plan_reload, validate_config

    async with webhook_receiver() as rx:
        old = validate_config({"alerts": {"desktop": False, "digest_at": "19:30"}})
        new = validate_config(
            {"alerts": {"desktop": False, "digest_at": "19:30", "urls": [json_url(rx.url)]}}
        )
        plan = plan_reload(old, new)
        assert plan.live == ("alerts.urls",) and plan.restart == ()
        # what Stages.apply_live does with the reloaded config
        stage = AlertStage.from_config(plan.config.alerts.model_dump())
        [delivery] = await stage.send_test()
    assert delivery.channel == "apprise:json" and delivery.ok
    assert rx.requests[0].json["type"] == "info"


async def test_a_destination_that_never_answers_times_out_as_a_failed_delivery() -> None:
    from aiohttp import web

    release = asyncio.Event()

    async def hang(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_post("/hook", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        channel = AppriseChannel(f"json://127.0.0.1:{port}/hook?retry=0", timeout_s=0.5)
        delivery = await channel.send({"alerts": [{"message": "x"}]})
    finally:
        release.set()
        await runner.cleanup()
    assert not delivery.ok and delivery.attempts == 1
    assert delivery.error is not None and "did not finish within" in delivery.error
