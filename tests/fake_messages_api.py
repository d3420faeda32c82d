"""A local Messages-API server (POST /v1/messages, JSON and SSE) for tests and benchmarks.

Loaded as a pytest plug-in by ``tests/conftest.py``: the ``messages_api`` fixture is a started
``FakeMessagesAPI`` on 127.0.0.1. Script it per test::

    messages_api.reply("Hello! How are you?", chunk_size=4, chunk_delay_s=0.01)
    messages_api.enqueue(Behaviour(status=429, retry_after="120"))   # the next request only
    ... run the code under test with base_url=messages_api.base_url ...
    assert messages_api.requests[-1].json["model"] == "claude-test"

A request that offers ``tools`` (non-streaming) is answered with a ``tool_use`` block calling
its forced (or first) tool with ``tool_input`` (``messages_api.tool_input = {"facts": [...]}``).

Standalone (a daemon subprocess pointed at it via ``llm.base_url``)::

    python -m tests.fake_messages_api --port 8999 --reply "Hello there!"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest_asyncio
from aiohttp import web

DEFAULT_REPLY = "Hello, friend! I'm so happy to talk with you. What shall we play today?"


@dataclass(frozen=True)
class Behaviour:
    """How the server answers one request."""

    reply: str = DEFAULT_REPLY
    #: explicit text deltas; default: ``reply`` cut into ``chunk_size``-character pieces
    chunks: tuple[str, ...] | None = None
    chunk_size: int = 12
    chunk_delay_s: float = 0.0
    initial_delay_s: float = 0.0
    status: int = 200
    retry_after: str | None = None
    #: "none" | "garbage" (not SSE/JSON) | "malformed_json" (bad JSON in an event) |
    #: "empty" (a complete stream with no text) | "truncated" (no message_stop) |
    #: "disconnect" (the connection drops after ``disconnect_after`` text deltas) |
    #: "error_event" (an SSE ``error`` event, e.g. overloaded, after ``disconnect_after`` deltas)
    fault: str = "none"
    disconnect_after: int = 1
    #: after this many text deltas, wait until the test calls ``open_gate()`` (None: no gate)
    gate_after: int | None = None
    ping: bool = True

    def deltas(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        size = max(1, self.chunk_size)
        return [self.reply[i : i + size] for i in range(0, len(self.reply), size)]


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    json: Any
    received_at: float


@dataclass
class _Timing:
    """Monotonic times of the last streamed response (benchmarks read these)."""

    first_byte_at: float | None = None
    first_delta_at: float | None = None
    done_at: float | None = None


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class FakeMessagesAPI:
    """An aiohttp server implementing enough of POST /v1/messages for the real SDK."""

    def __init__(self, default: Behaviour | None = None) -> None:
        self.default = default or Behaviour()
        self.requests: list[RecordedRequest] = []
        self.timing = _Timing()
        self._queue: deque[Behaviour] = deque()
        self._arrived: asyncio.Condition | None = None
        self._gate: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._host = "127.0.0.1"
        #: the ``input`` of the tool call answering a request that offers tools
        self.tool_input: dict[str, Any] = {}

    # -- scripting ---------------------------------------------------------------------------
    def reply(self, text: str, **kw: Any) -> None:
        """Set the default behaviour for every following request."""
        self.default = Behaviour(reply=text, **kw)

    def behave(self, **kw: Any) -> None:
        """Change fields of the default behaviour."""
        self.default = replace(self.default, **kw)

    def enqueue(self, *behaviours: Behaviour) -> None:
        """Answer the next requests with these, in order, then fall back to the default."""
        self._queue.extend(behaviours)

    def fail(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        self.enqueue(*[Behaviour(status=status, retry_after=retry_after)] * times)

    async def wait_for_requests(self, count: int = 1) -> None:
        """Return once at least ``count`` requests have arrived (synchronisation for tests)."""
        arrived = self._condition()
        async with arrived:
            await arrived.wait_for(lambda: len(self.requests) >= count)

    def open_gate(self) -> None:
        """Let streams held by ``Behaviour.gate_after`` go on."""
        self._gate_event().set()

    def _gate_event(self) -> asyncio.Event:
        if self._gate is None:
            self._gate = asyncio.Event()
        return self._gate

    def _condition(self) -> asyncio.Condition:
        if self._arrived is None:
            self._arrived = asyncio.Condition()
        return self._arrived

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeMessagesAPI:
        app = web.Application()
        app.router.add_post("/v1/messages", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host, self._port = host, int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeMessagesAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- handling ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(
            RecordedRequest(request.path, dict(request.headers), body, time.monotonic())
        )
        arrived = self._condition()
        async with arrived:
            arrived.notify_all()
        behaviour = self._queue.popleft() if self._queue else self.default
        if behaviour.initial_delay_s:
            await asyncio.sleep(behaviour.initial_delay_s)
        if behaviour.status != 200:
            return self._error(behaviour)
        if behaviour.fault == "garbage":
            return web.Response(
                status=200,
                body=b"<html>\x00\xffnot an API</html>",
                content_type="text/event-stream",
            )
        if not isinstance(body, dict):
            return self._error(Behaviour(status=400))
        if body.get("stream"):
            return await self._stream(request, body, behaviour)
        return self._json(body, behaviour)

    @staticmethod
    def _error(behaviour: Behaviour) -> web.Response:
        headers = {"retry-after": behaviour.retry_after} if behaviour.retry_after else {}
        kind = _ERROR_TYPES.get(behaviour.status, "api_error")
        payload = {"type": "error", "error": {"type": kind, "message": f"scripted {kind}"}}
        return web.json_response(payload, status=behaviour.status, headers=headers)

    def _message(self, body: dict[str, Any], text: str | None) -> dict[str, Any]:
        return {
            "id": f"msg_fake_{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": [] if text is None else [{"type": "text", "text": text}],
            "stop_reason": None if text is None else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 0 if text is None else 20},
        }

    def _json(self, body: dict[str, Any], behaviour: Behaviour) -> web.Response:
        if behaviour.fault == "malformed_json":
            return web.Response(
                status=200, text='{"type": "message", "content": [', content_type="application/json"
            )
        if body.get("tools"):
            return web.json_response(self._tool_message(body))
        text = None if behaviour.fault == "empty" else "".join(behaviour.deltas())
        return web.json_response(self._message(body, text))

    def _tool_message(self, body: dict[str, Any]) -> dict[str, Any]:
        choice = body.get("tool_choice") or {}
        name = choice.get("name") or body["tools"][0]["name"]
        message = self._message(body, "")
        message["content"] = [
            {
                "type": "tool_use",
                "id": f"toolu_fake_{len(self.requests)}",
                "name": name,
                "input": self.tool_input,
            }
        ]
        message["stop_reason"] = "tool_use"
        return message

    async def _stream(
        self, request: web.Request, body: dict[str, Any], behaviour: Behaviour
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.timing = _Timing()
        sent = 0
        async for frame in self._frames(body, behaviour):
            if frame is None:  # disconnect: drop the connection mid-body
                assert request.transport is not None
                request.transport.close()
                return response
            if self.timing.first_byte_at is None:
                self.timing.first_byte_at = time.monotonic()
            await response.write(frame)
            sent += 1
        self.timing.done_at = time.monotonic()
        await response.write_eof()
        return response

    async def _frames(
        self, body: dict[str, Any], behaviour: Behaviour
    ) -> AsyncIterator[bytes | None]:
        start = self._message(body, None)
        yield _sse("message_start", {"type": "message_start", "message": start})
        block = {"type": "text", "text": ""}
        yield _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        if behaviour.ping:
            yield _sse("ping", {"type": "ping"})
        deltas = [] if behaviour.fault == "empty" else behaviour.deltas()
        for n, text in enumerate(deltas):
            if behaviour.gate_after is not None and n == behaviour.gate_after:
                await self._gate_event().wait()
            if behaviour.chunk_delay_s:
                await asyncio.sleep(behaviour.chunk_delay_s)
            if behaviour.fault == "disconnect" and n >= behaviour.disconnect_after:
                yield None
                return
            if behaviour.fault == "error_event" and n >= behaviour.disconnect_after:
                error = {"type": "overloaded_error", "message": "Overloaded"}
                yield _sse("error", {"type": "error", "error": error})
                return
            if behaviour.fault == "malformed_json" and n >= 1:
                yield b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
                continue
            delta = {"type": "text_delta", "text": text}
            if self.timing.first_delta_at is None:
                self.timing.first_delta_at = time.monotonic()
            yield _sse(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        if behaviour.fault == "truncated":
            return
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 20},
            },
        )
        yield _sse("message_stop", {"type": "message_stop"})


@pytest_asyncio.fixture
async def messages_api() -> AsyncIterator[FakeMessagesAPI]:
    """A started local Messages-API server; ``.base_url`` for the SDK, ``.requests`` to inspect."""
    server = FakeMessagesAPI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _serve(args: argparse.Namespace) -> None:
    server = FakeMessagesAPI(
        Behaviour(reply=args.reply, chunk_size=args.chunk_size, chunk_delay_s=args.chunk_delay_s)
    )
    await server.start(args.host, args.port)
    print(f"fake Messages API on {server.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Anthropic Messages API locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--chunk-size", type=int, default=12)
    parser.add_argument("--chunk-delay-s", type=float, default=0.0)
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
