"""Standard Webhooks signatures, checked the way a parent's receiver would: with the
``standardwebhooks`` library on the request a real local HTTP server received."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import time
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from processors.alerts.channels import WebhookChannel
from processors.alerts.channels.webhook import (
    ID_HEADER,
    SIGNATURE_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signing_key,
)
from processors.alerts.stage import AlertStage
from tests.processors.alerts.receiver import Received, webhook_receiver

KEY = bytes(range(32))
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
EVENT = {"id": "evt-42", "interaction_id": "i1", "alerts": [{"rule": "emotion:fear"}]}


def channel(url: str, secret: str | None, **kw: object) -> WebhookChannel:
    options: dict[str, object] = {"backoff_s": 0.01, "max_backoff_s": 0.05, "timeout_s": 2.0}
    options.update(kw)
    return WebhookChannel(url, secret, **options)  # type: ignore[arg-type]


async def deliver(secret: str | None, **kw: object) -> Received:
    async with webhook_receiver() as rx:
        assert (await channel(rx.url, secret, **kw).send(EVENT)).ok
    [request] = rx.requests
    return request


async def test_a_whsec_secret_verifies_with_the_standardwebhooks_library() -> None:
    request = await deliver(WHSEC)
    assert Webhook(WHSEC).verify(request.body, request.headers) == EVENT
    assert request.headers[ID_HEADER] == "evt-42"
    assert abs(int(request.headers[TIMESTAMP_HEADER]) - time.time()) < 300


async def test_a_plain_secret_verifies_when_passed_as_its_bytes() -> None:
    request = await deliver("parent-passphrase")
    assert Webhook(b"parent-passphrase").verify(request.body, request.headers) == EVENT
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another-passphrase").verify(request.body, request.headers)


async def test_a_tampered_body_is_rejected() -> None:
    request = await deliver(WHSEC)
    forged = json.loads(request.body)
    forged["alerts"] = []
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(WHSEC).verify(json.dumps(forged).encode(), request.headers)


async def test_a_replay_outside_the_tolerance_is_rejected() -> None:
    # what an eavesdropper would replay ten minutes later: the request as it was sent then
    request = await deliver(WHSEC, clock=lambda: time.time() - 600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(WHSEC).verify(request.body, request.headers)
    headers = dict(request.headers)  # nor can the replayer move the timestamp forward
    headers[TIMESTAMP_HEADER] = str(int(time.time()))
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(WHSEC).verify(request.body, headers)


async def test_retries_keep_the_id_and_are_each_signed_with_their_own_timestamp() -> None:
    stamps = iter([1_000.0, 1_005.0, 1_020.0])
    async with webhook_receiver() as rx:
        rx.statuses = [500, 503]
        delivery = await channel(rx.url, WHSEC, clock=lambda: next(stamps)).send(EVENT)
    assert delivery.ok and delivery.attempts == 3
    assert {r.headers[ID_HEADER] for r in rx.requests} == {"evt-42"}
    assert [r.headers[TIMESTAMP_HEADER] for r in rx.requests] == ["1000", "1005", "1020"]
    for request in rx.requests:  # each signature matches its own timestamp
        stamp = int(request.headers[TIMESTAMP_HEADER])
        when = dt.datetime.fromtimestamp(stamp, dt.UTC)
        expected = Webhook(WHSEC).sign("evt-42", when, request.body.decode())
        assert request.headers[STANDARD_SIGNATURE_HEADER] == expected


async def test_no_signature_headers_without_a_secret() -> None:
    request = await deliver(None)
    assert not {ID_HEADER, TIMESTAMP_HEADER, STANDARD_SIGNATURE_HEADER} & set(request.headers)
    assert SIGNATURE_HEADER not in request.headers


def test_secret_formats() -> None:
    assert signing_key(WHSEC) == KEY
    assert signing_key(WHSEC.rstrip("=")) == KEY  # unpadded base64 is common
    assert signing_key("plain words") == b"plain words"
    with pytest.raises(ValueError, match="whsec_ but the rest is not base64"):
        signing_key("whsec_not base64!")


async def test_a_bad_whsec_secret_is_one_line_and_a_failing_channel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = {"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "whsec_%%%"}
    with caplog.at_level(logging.WARNING):
        stage = AlertStage.from_config({**config, "desktop": False})
    [line] = [r.getMessage() for r in caplog.records]
    assert "alerts.webhook_secret starts with whsec_" in line and "%%%" not in line
    [delivery] = await stage.send_test()
    assert delivery.channel == "webhook" and not delivery.ok and delivery.attempts == 0


async def test_an_unreadable_secret_file_fails_the_webhook_not_the_stage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = {"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret_file": tmp_path / "gone"}
    with caplog.at_level(logging.WARNING):
        stage = AlertStage.from_config({**config, "desktop": False})
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"alerts.webhook_secret_file {tmp_path / 'gone'}:")
    [delivery] = await stage.send_test()
    assert not delivery.ok and delivery.error and "No such file" in delivery.error


async def test_a_secret_file_holding_a_whsec_key_signs_with_it(tmp_path: Path) -> None:
    (tmp_path / "key").write_text(WHSEC + "\n")
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config(
            {"webhook_url": rx.url, "webhook_secret_file": tmp_path / "key", "desktop": False}
        )
        assert [d.ok for d in await stage.send_test()] == [True]
    [request] = rx.requests
    assert Webhook(WHSEC).verify(request.body, request.headers)["type"] == "teddy.test"
