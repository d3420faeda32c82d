"""The parent page as a :class:`daemon.ops.http.Site`: its routes on the daemon's HTTP server, the
paths it guards itself, security headers, and the bind rule (off loopback only with a password)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from daemon.config.sections import is_loopback
from daemon.parent.access import Gate
from daemon.parent.auth import PasswordFile
from daemon.parent.context import ParentContext
from daemon.parent.routes.api import Api
from daemon.parent.routes.pages import Pages

STATIC = Path(__file__).resolve().parent / "static"
_PREFIXES = ("/api/", "/static/", "/conversations", "/feelings", "/alerts", "/memory", "/settings")
_EXACT = frozenset({"/", "/login", "/logout", "/now/extend", "/privacy", "/privacy/delete"})
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class ParentSite:
    def __init__(self, ctx: ParentContext, token: Callable[[], str | None]) -> None:
        self.ctx = ctx
        self.gate = Gate(PasswordFile(ctx.password_path), token)
        self.api = Api(ctx, self.gate)
        self.pages = Pages(self.api, self.gate)

    def owns(self, path: str) -> bool:
        return path in _EXACT or path.startswith(_PREFIXES)

    def refuse_bind(self, host: str) -> str | None:
        if is_loopback(host) or self.gate.passwords.is_set():
            return None
        return (
            f"refusing to serve the parent page on non-loopback address {host!r} without a "
            f"parent password: run 'teddy parent set-password' (it is kept in "
            f"{self.ctx.password_path}) or bind health.host = '127.0.0.1'"
        )

    def install(self, app: web.Application) -> None:
        self.api.install(app)
        self.pages.install(app)
        app.router.add_static("/static/", STATIC)
        app.on_response_prepare.append(self._headers)

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if not self.owns(request.path):
            return
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
