"""The road to one Wyoming server, as the STT and TTS stages use it.

Each exchange opens its own connection (Wyoming's speech servers close after every answer), runs
under one deadline, and is called from a worker thread (the stages decode in threads). After a
failure the server is skipped for a backoff interval (1 s doubling to 30 s), so while it is down
the local engine answers at once instead of every utterance waiting for a timeout; the first
exchange after the interval is the reconnect attempt. ``state()`` feeds health.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from wyoming.client import AsyncClient
from wyoming.event import Event
from wyoming.info import Describe, Info

T = TypeVar("T")

#: what a broken, refused, closed or too slow exchange raises; all mean "use the local engine"
NETWORK_ERRORS = (OSError, TimeoutError, ConnectionError, EOFError, ValueError)


class RemoteUnavailable(Exception):
    """The Wyoming server did not answer (down, refused, closed early, too slow, backing off)."""


class Backoff:
    """Thread-safe failure memory: when the next attempt may go, and why the last one failed."""

    def __init__(
        self,
        first_s: float = 1.0,
        max_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first_s, self.max_s, self._clock = first_s, max_s, clock
        self._lock = threading.Lock()
        self.failures = 0  # consecutive
        self.reason: str | None = None
        self._retry_at = float("-inf")

    def ready(self) -> bool:
        with self._lock:
            return self._clock() >= self._retry_at

    def wait_s(self) -> float:
        with self._lock:
            return max(0.0, self._retry_at - self._clock())

    def failed(self, reason: str) -> None:
        with self._lock:
            self.failures += 1
            self.reason = reason
            delay = min(self.max_s, self.first_s * 2 ** (self.failures - 1))
            self._retry_at = self._clock() + delay

    def succeeded(self) -> None:
        with self._lock:
            self.failures, self.reason, self._retry_at = 0, None, float("-inf")


class WyomingLink:
    """One server address with a deadline per exchange and a backoff after failures."""

    def __init__(
        self, uri: str, timeout_s: float, connect_timeout_s: float = 2.0, role: str = "wyoming"
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, not {timeout_s}")
        self.uri, self.timeout_s, self.connect_timeout_s, self.role = (
            uri,
            timeout_s,
            connect_timeout_s,
            role,
        )
        self.backoff = Backoff()
        self.exchanges = 0
        self.fallbacks = 0

    def state(self) -> tuple[str, str | None]:
        """("ok", None), or ("degraded", why) while the last exchange failed."""
        if self.backoff.failures == 0:
            return "ok", None
        return "degraded", f"{self.role} {self.uri}: {self.backoff.reason}"

    def run(
        self, exchange: Callable[[AsyncClient], Awaitable[T]], timeout_s: float | None = None
    ) -> T:
        """Blocking (call it from a worker thread): connect, run ``exchange``, disconnect.

        Raises RemoteUnavailable at once while backing off, or when the exchange fails.
        """
        if not self.backoff.ready():
            self.fallbacks += 1
            raise RemoteUnavailable(
                f"{self.uri} is skipped for {self.backoff.wait_s():.1f} s more "
                f"after: {self.backoff.reason}"
            )
        self.exchanges += 1
        try:
            result = asyncio.run(self._connected(exchange, timeout_s or self.timeout_s))
        except NETWORK_ERRORS as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.backoff.failed(reason)
            self.fallbacks += 1
            raise RemoteUnavailable(f"{self.uri}: {reason}") from exc
        self.backoff.succeeded()
        return result

    async def _connected(
        self, exchange: Callable[[AsyncClient], Awaitable[T]], timeout_s: float
    ) -> T:
        client = AsyncClient.from_uri(self.uri)
        async with asyncio.timeout(timeout_s):
            await asyncio.wait_for(client.connect(), self.connect_timeout_s)
            try:
                return await exchange(client)
            finally:
                await _hang_up(client)


#: how long a close may wait for unsent bytes to drain before the connection is dropped
HANG_UP_S = 0.5


async def _hang_up(client: AsyncClient) -> None:
    """Close the connection without trusting the server to read.

    A graceful close waits until everything written has drained; a server that accepted and then
    stopped reading would hold the decoding thread forever (the deadline above has already fired,
    so nothing would cancel that wait). After HANG_UP_S the transport is aborted instead.
    """
    # wyoming keeps the writer private; it is needed to abort a close that waits forever
    writer: asyncio.StreamWriter | None = getattr(client, "_writer", None)
    try:
        await asyncio.wait_for(client.disconnect(), HANG_UP_S)
    except (TimeoutError, OSError):
        if writer is not None:
            writer.transport.abort()


async def read_until(client: AsyncClient, accept: Callable[[str], bool]) -> Event:
    """The next event ``accept`` takes by type; EOFError if the server closes first."""
    while True:
        event = await client.read_event()
        if event is None:
            raise EOFError("the server closed the connection before answering")
        if accept(event.type):
            return event


async def describe_exchange(client: AsyncClient) -> Info:
    """Describe -> Info on an open connection."""
    await client.write_event(Describe().event())
    return Info.from_event(await read_until(client, Info.is_type))


async def describe(uri: str, timeout_s: float = 3.0) -> Info:
    """Describe -> Info on a connection of its own (what `teddy doctor` asks each server)."""
    client = AsyncClient.from_uri(uri)
    async with asyncio.timeout(timeout_s):
        await client.connect()
        try:
            return await describe_exchange(client)
        finally:
            await _hang_up(client)
