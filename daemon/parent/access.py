"""Access checks for every parent route: who is asking (session cookie or bearer token), whether a
change carries its CSRF token, and the login/logout handlers' cookie handling."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from daemon.parent.auth import LoginLimiter, PasswordFile, Session, Sessions

COOKIE = "teddy_parent"
CSRF_HEADER = "X-CSRF-Token"
CHANGES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class Access:
    kind: Literal["session", "token"]
    session: Session | None = None
    sid: str | None = None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session is not None else ""


class Gate:
    """The parent page's doorkeeper (one per server)."""

    def __init__(self, passwords: PasswordFile, token: Callable[[], str | None]) -> None:
        self.passwords = passwords
        self.sessions = Sessions()
        self.limiter = LoginLimiter()
        self._token = token
        self._one_at_a_time = asyncio.Lock()

    def who(self, request: web.Request) -> Access | None:
        """The caller's access, or None (not logged in, no valid token)."""
        token = self._token()
        header = request.headers.get("Authorization", "")
        if token and header:
            if hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
                return Access("token")
            return None
        sid = request.cookies.get(COOKIE)
        session = self.sessions.get(sid)
        return Access("session", session, sid) if session is not None else None

    async def csrf_ok(self, request: web.Request, access: Access) -> bool:
        """A change by a session must carry the session's CSRF token (header or form field);
        a bearer token is not sent by browsers on their own, so it needs none."""
        if request.method not in CHANGES or access.kind == "token":
            return True
        given = request.headers.get(CSRF_HEADER, "")
        if not given and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            given = str(form.get("csrf", ""))
        return bool(given) and hmac.compare_digest(given.encode(), access.csrf.encode())

    async def login(self, request: web.Request, password: str) -> tuple[str | None, float]:
        """(session id, 0) on success; (None, seconds to wait) otherwise."""
        addr = client_address(request)
        # one check at a time: parallel guesses would all pass the backoff before any failed
        async with self._one_at_a_time:
            wait = self.limiter.wait_s(addr)
            if wait > 0:
                return None, wait
            ok = await asyncio.to_thread(self.passwords.verify, password)
            if not ok:
                return None, self.limiter.failed(addr)
        self.limiter.succeeded(addr)
        sid, _ = self.sessions.create()
        return sid, 0.0


def client_address(request: web.Request) -> str:
    # The peer address, not X-Forwarded-For: a header is the attacker's to choose.
    return request.remote or "unknown"


def over_tls(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def set_session_cookie(response: web.StreamResponse, request: web.Request, sid: str) -> None:
    response.set_cookie(
        COOKIE,
        sid,
        httponly=True,
        samesite="Strict",
        secure=over_tls(request),
        path="/",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


Handler = Callable[[web.Request, Access], Awaitable[web.StreamResponse]]


def guarded(
    gate: Gate, handler: Handler, *, page: bool
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``handler`` behind the gate: pages redirect to /login, the API answers 401; a change
    without its CSRF token gets 403."""

    async def run(request: web.Request) -> web.StreamResponse:
        access = gate.who(request)
        if access is None:
            if page:
                raise web.HTTPSeeOther("/login")
            return web.json_response(
                {
                    "error": "unauthorized: log in on the parent page or send "
                    "'Authorization: Bearer <health.token>'"
                },
                status=401,
            )
        if not await gate.csrf_ok(request, access):
            return web.json_response(
                {
                    "error": f"forbidden: a change needs the page's CSRF token ({CSRF_HEADER} "
                    "header or csrf form field)"
                },
                status=403,
            )
        return await handler(request, access)

    return run
