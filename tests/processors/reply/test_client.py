"""ClaudeClient over the real SDK with ``httpx2.MockTransport`` (no sockets): fast unit tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx2
import pytest

from processors.reply.llm.client import (
    API_ERROR,
    MALFORMED,
    TIMEOUT,
    UNAUTHORIZED,
    ClaudeClient,
    LLMError,
    classify_error,
)


def _sse(*texts: str, stop: bool = True) -> bytes:
    def event(name: str, data: dict[str, object]) -> str:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n"

    message: dict[str, object] = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 0},
    }  # fmt: skip
    parts = [
        event("message_start", {"type": "message_start", "message": message}),
        event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for text in texts:
        delta = {"type": "text_delta", "text": text}
        parts.append(
            event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        )
    if stop:
        parts.append(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        parts.append(event("message_stop", {"type": "message_stop"}))
    return "".join(parts).encode()


def _client(handler: Callable[[httpx2.Request], httpx2.Response], **kw: object) -> ClaudeClient:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return ClaudeClient(
        api_key="test-key",
        model="claude-test",
        max_tokens=64,
        http_client=http,
        **kw,  # type: ignore[arg-type]
    )


async def _collect(client: ClaudeClient) -> list[str]:
    try:
        return [d async for d in client.stream_text("sys", [{"role": "user", "content": "hi"}])]
    finally:
        await client.aclose()


async def test_streams_text_deltas_and_sends_the_request() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=_sse("Hi", " there!")
        )

    assert await _collect(_client(handler)) == ["Hi", " there!"]
    body = json.loads(seen[0].content)
    assert body["model"] == "claude-test" and body["stream"] is True and body["system"] == "sys"
    headers = seen[0].headers
    assert "test-key" in (headers.get("x-api-key", "") + headers.get("authorization", ""))


async def test_retry_after_is_capped() -> None:
    calls: list[float] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx2.Response(429, headers={"retry-after": "120"}, json={"type": "error"})
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=_sse("ok.")
        )

    client = _client(handler, max_retries=1, max_retry_after_s=0.05)
    assert await _collect(client) == ["ok."]
    assert len(calls) == 2 and calls[1] - calls[0] < 60  # not the 120 s asked for


@pytest.mark.parametrize(
    ("status", "reason"), [(401, UNAUTHORIZED), (403, UNAUTHORIZED), (400, API_ERROR)]
)
async def test_status_errors_are_classified(status: int, reason: str) -> None:
    client = _client(lambda r: httpx2.Response(status, json={"type": "error"}), max_retries=0)
    with pytest.raises(Exception) as caught:
        await _collect(client)
    assert classify_error(caught.value) == reason


async def test_a_stream_without_message_stop_is_malformed() -> None:
    client = _client(
        lambda r: httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=_sse("cut", stop=False)
        )
    )
    with pytest.raises(LLMError) as caught:
        await _collect(client)
    assert caught.value.reason == MALFORMED


async def test_transport_timeouts_are_timeouts() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=request)

    client = _client(handler, max_retries=0)
    with pytest.raises(Exception) as caught:
        await _collect(client)
    assert classify_error(caught.value) == TIMEOUT


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        ClaudeClient(api_key="", model="m", max_tokens=1)
