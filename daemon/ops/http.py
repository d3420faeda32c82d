"""The daemon's HTTP endpoint: /healthz, /readyz, /status, /metrics (aiohttp), and the routes of
a mounted :class:`Site` (the parent page).

Runs inside the daemon's event loop (AppRunner + TCPSite): ``await server.start()`` /
``await server.stop()``. It binds 127.0.0.1:8765 by default and refuses to start on any other
address unless a token is configured (and the site, if any, agrees: the parent page wants a
password); with a token every health path requires ``Authorization: Bearer <token>``. A site's
own paths are guarded by the site (session or the same bearer token).
"""

from __future__ import annotations

import hmac
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web

from daemon.config.sections import is_loopback
from daemon.ops.health import HealthRegistry
from daemon.ops.metrics import CONTENT_TYPE, TeddyMetrics

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

StatusProvider = Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]
LatencyProvider = Callable[[], Mapping[str, Any]]


class Site(Protocol):
    """More routes on the same server, with their own access checks."""

    def install(self, app: web.Application) -> None: ...

    def owns(self, path: str) -> bool: ...

    def refuse_bind(self, host: str) -> str | None:
        """Why serving on ``host`` would be unsafe for this site, or None."""
        ...


class HealthServerError(RuntimeError):
    """The server cannot start as configured (unsafe bind, port in use, bad address)."""


class _OneLineBadRequests(logging.Filter):
    """A malformed request (a port scanner, TLS on the HTTP port) is the client's problem: one
    INFO line instead of aiohttp's ERROR with a full traceback, which would drown real errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and type(exc).__module__.startswith("aiohttp.http_exceptions"):
            text = str(getattr(exc, "message", "") or exc).strip()
            first = text.splitlines()[0].rstrip(":") if text else type(exc).__name__
            record.msg, record.args = (
                "%s: malformed HTTP request (%s)",
                (record.getMessage(), first),
            )
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_bad_requests() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _OneLineBadRequests) for f in server_log.filters):
        server_log.addFilter(_OneLineBadRequests())


def _json(data: Any, status: int = 200) -> web.Response:
    # default=str: processor metrics may carry datetimes or enums; never fail a health answer.
    body = json.dumps(data, default=str, sort_keys=False)
    return web.Response(text=body, status=status, content_type="application/json")


class HealthServer:
    def __init__(
        self,
        health: HealthRegistry,
        metrics: TeddyMetrics,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        token: str | None = None,
        processor_metrics: StatusProvider | None = None,
        latencies: LatencyProvider | None = None,
        extra_status: StatusProvider | None = None,
        site: Site | None = None,
    ) -> None:
        """``processor_metrics`` returns the processor's ``get_performance_metrics()`` (sync or
        async), ``latencies`` the per-stage p50/p95 (``LatencyTracker.summary``), ``extra_status``
        anything else the daemon wants in /status (capture, LLM state, ...)."""
        if not 0 <= port <= 65535:
            raise HealthServerError(f"health.port must be 0..65535, got {port}")
        self.health = health
        self.metrics = metrics
        self.host = host
        self._requested_port = port
        self._token = token or None
        self._processor_metrics = processor_metrics
        self._latencies = latencies
        self._extra_status = extra_status
        self._site = site
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def check_bind(self) -> None:
        """Raise HealthServerError if binding ``host`` would expose the endpoint without a token."""
        if not is_loopback(self.host) and self._token is None:
            raise HealthServerError(
                f"refusing to serve health on non-loopback address {self.host!r} without a token: "
                "set health.token (clients then send 'Authorization: Bearer <token>') "
                f"or bind health.host = {DEFAULT_HOST!r}"
            )
        why = self._site.refuse_bind(self.host) if self._site is not None else None
        if why is not None:
            raise HealthServerError(why)

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth_middleware])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/status", self._status)
        app.router.add_get("/metrics", self._metrics)
        if self._site is not None:
            self._site.install(app)
        return app

    async def start(self) -> None:
        if self._runner is not None:
            return
        self.check_bind()
        quiet_bad_requests()
        runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise HealthServerError(
                f"cannot listen on {self.host}:{self._requested_port}: {exc.strerror or exc} "
                "(another teddy running? change health.port)"
            ) from exc
        self._runner = runner
        addresses = runner.addresses  # (host, port, ...) of the listening sockets
        self.port = int(addresses[0][1]) if addresses else self._requested_port
        log.info("health endpoint on %s", self.url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if self.port is not None else self._requested_port}"

    # -- middleware and handlers --------------------------------------------------------------

    @web.middleware
    async def _auth_middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if self._token is not None and not (
            self._site is not None and self._site.owns(request.path)
        ):
            given = request.headers.get("Authorization", "").encode()
            wanted = f"Bearer {self._token}".encode()
            if not hmac.compare_digest(given, wanted):
                return web.json_response(
                    {"error": "unauthorized: send 'Authorization: Bearer <health.token>'"},
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="teddy"'},
                )
        return await handler(request)

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health.evaluate()
        return _json(report.to_dict(), status=503 if report.status == "unhealthy" else 200)

    async def _readyz(self, request: web.Request) -> web.Response:
        ready = self.health.ready
        body = {"ready": ready, "flags": self.health.flags}
        return _json(body, status=200 if ready else 503)

    async def _status(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {"ready": self.health.ready}
        body["processor"] = await _call_provider(self._processor_metrics, "processor metrics")
        latencies = await _call_provider(self._latencies, "latencies")
        body["latencies"] = latencies if latencies is not None else {}
        extra = await _call_provider(self._extra_status, "extra status")
        if extra:
            body.update({k: v for k, v in extra.items() if k not in body})
        return _json(body)

    async def _metrics(self, request: web.Request) -> web.Response:
        # CONTENT_TYPE carries parameters ("text/plain; version=0.0.4; charset=utf-8").
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def _call_provider(provider: StatusProvider | None, what: str) -> dict[str, Any] | None:
    if provider is None:
        return None
    try:
        value = provider()
        if inspect.isawaitable(value):
            value = await value
        return dict(value)
    except Exception as exc:
        # /status must answer even when one part cannot report.
        log.exception("status: %s unavailable", what)
        return {"error": f"{type(exc).__name__}: {exc}"}
