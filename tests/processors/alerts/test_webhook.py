"""The webhook channel against a real local HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import pytest

from processors.alerts.channels import WebhookChannel, sign, verify
from processors.alerts.channels.webhook import DELIVERY_HEADER, SIGNATURE_HEADER
from tests.processors.alerts.receiver import webhook_receiver

EVENT = {"id": "evt-1", "interaction_id": "i1", "alerts": [{"rule": "emotion:fear"}]}


def channel(url: str, **kw: object) -> WebhookChannel:
    options: dict[str, object] = {"backoff_s": 0.01, "max_backoff_s": 0.05, "timeout_s": 2.0}
    options.update(kw)
    return WebhookChannel(url, **options)  # type: ignore[arg-type]


async def test_posts_json_signed_with_the_secret() -> None:
    async with webhook_receiver() as rx:
        delivery = await channel(rx.url, secret="s3cret").send(EVENT)
    assert delivery.ok and delivery.attempts == 1
    [request] = rx.requests
    assert request.json == EVENT
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers[DELIVERY_HEADER] == "evt-1"
    assert verify("s3cret", request.body, request.headers[SIGNATURE_HEADER])
    assert not verify("other", request.body, request.headers[SIGNATURE_HEADER])


async def test_no_signature_header_without_a_secret() -> None:
    async with webhook_receiver() as rx:
        assert (await channel(rx.url).send(EVENT)).ok
    assert SIGNATURE_HEADER not in rx.requests[0].headers


async def test_retries_on_500_then_succeeds_with_the_same_signed_body() -> None:
    async with webhook_receiver() as rx:
        rx.statuses = [500, 503]
        delivery = await channel(rx.url, secret="k").send(EVENT)
    assert delivery.ok and delivery.attempts == 3
    assert len(rx.requests) == 3
    assert len({r.body for r in rx.requests}) == 1
    assert all(verify("k", r.body, r.headers[SIGNATURE_HEADER]) for r in rx.requests)


async def test_gives_up_after_max_attempts() -> None:
    async with webhook_receiver() as rx:
        rx.statuses = [500] * 10
        delivery = await channel(rx.url, max_attempts=3).send(EVENT)
    assert not delivery.ok and delivery.attempts == 3 and delivery.error == "HTTP 500"
    assert len(rx.requests) == 3


async def test_429_is_retried_and_retry_after_is_capped() -> None:
    async with webhook_receiver() as rx:
        rx.statuses, rx.retry_after = [429], "120"
        delivery = await channel(rx.url, max_backoff_s=0.05).send(EVENT)
    assert delivery.ok and delivery.attempts == 2


async def test_client_error_is_not_retried() -> None:
    async with webhook_receiver() as rx:
        rx.statuses = [400]
        delivery = await channel(rx.url).send(EVENT)
    assert not delivery.ok and delivery.attempts == 1 and len(rx.requests) == 1


async def test_connection_refused_is_reported_not_raised() -> None:
    async with webhook_receiver() as rx:
        url = rx.url
    delivery = await channel(url, max_attempts=2).send(EVENT)  # the receiver is gone now
    assert not delivery.ok and delivery.attempts == 2
    assert delivery.error and "Connect" in delivery.error


def test_signature_is_hmac_sha256_of_the_body() -> None:
    # RFC 4231 test case 2
    assert sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@pytest.mark.parametrize("url", ["ftp://example/x", "127.0.0.1:8000/hook", ""])
def test_bad_url_is_rejected_clearly(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookChannel(url)
