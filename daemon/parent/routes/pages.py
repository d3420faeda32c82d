"""The parent page's HTML: Now, Conversations, Feelings, Alerts, Memory (what the bear remembers:
correct, forget), Settings, Privacy (export and delete), and login/logout. Rendered on the server
with Jinja2 (autoescaped); forms post back with the session's CSRF token and redirect
(post/redirect/get), so no script is needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aiohttp import web

from daemon.config.overlay import OverlayError
from daemon.history import profile, queries
from daemon.parent import chart, export, memory, settings
from daemon.parent.access import (
    Access,
    Gate,
    clear_session_cookie,
    guarded,
    set_session_cookie,
)
from daemon.parent.params import BadParam, bounded_int, optional_when, parse_when
from daemon.parent.routes.api import Api
from processors.memory.privacy import MAX_VALUE_CHARS

if TYPE_CHECKING:
    import jinja2

PAGE_SIZE = 50
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
Page = Callable[[web.Request, Access], Awaitable[web.StreamResponse]]
NAV = (
    ("/", "Now"),
    ("/conversations", "Conversations"),
    ("/feelings", "Feelings"),
    ("/alerts", "Alerts"),
    ("/memory", "Memory"),
    ("/settings", "Settings"),
    ("/privacy", "Privacy"),
)


def _env() -> jinja2.Environment:
    import jinja2  # on the first page, not at start: ~9 MiB a bear whose parent never looks

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = _local_time
    env.filters["source"] = memory.source_label
    return env


def _local_time(iso: str | None) -> str:
    if not iso:
        return ""
    when = dt.datetime.fromisoformat(iso).astimezone()
    return when.strftime("%a %d %b %H:%M")


def _back(path: str, message: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{path}?msg={quote(message)}")


class Pages:
    def __init__(self, api: Api, gate: Gate) -> None:
        self.api = api
        self.ctx = api.ctx
        self.gate = gate

    @cached_property
    def jinja(self) -> jinja2.Environment:
        return _env()

    def install(self, app: web.Application) -> None:
        app.router.add_get("/login", self.login_form)
        app.router.add_post("/login", self.login)
        pages: list[tuple[str, str, Page]] = [
            ("POST", "/logout", self.logout),
            ("GET", "/", self.now),
            ("POST", "/now/extend", self.extend),
            ("GET", "/conversations", self.conversations),
            ("GET", "/feelings", self.feelings),
            ("GET", "/alerts", self.alerts),
            ("POST", "/alerts/{id}/ack", self.ack),
            ("GET", "/memory", self.memory_page),
            ("POST", "/memory/forget-all", self.forget_everything),
            ("POST", "/memory/{id}/forget", self.forget_fact),
            ("POST", "/memory/{id}/correct", self.correct_fact),
            ("GET", "/settings", self.settings_page),
            ("POST", "/settings", self.save_settings),
            ("POST", "/settings/reset", self.reset_settings),
            ("POST", "/settings/test-alert", self.test_alert),
            ("GET", "/privacy", self.privacy),
            ("POST", "/privacy/delete", self.delete),
        ]
        for method, path, handler in pages:
            app.router.add_route(method, path, guarded(self.gate, handler, page=True))

    def render(
        self, request: web.Request, name: str, access: Access | None, **values: Any
    ) -> web.Response:
        template = self.jinja.get_template(name)
        html = template.render(
            nav=NAV,
            here=request.path,
            csrf=access.csrf if access else "",
            logged_in=access is not None,
            message=request.query.get("msg", ""),
            child=self.ctx.config().child.name,
            **values,
        )
        return web.Response(text=html, content_type="text/html")

    # -- login ---------------------------------------------------------------------------------

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        if self.gate.who(request) is not None:
            raise web.HTTPSeeOther("/")
        return self.render(
            request,
            "login.html",
            None,
            password_set=self.gate.passwords.is_set(),
            error="",
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        sid, wait = await self.gate.login(request, str(form.get("password", "")))
        if sid is None:
            error = "Wrong password."
            if wait > 0:
                error = f"Too many tries: wait {int(wait + 0.999)} s and try again."
            response = self.render(
                request,
                "login.html",
                None,
                password_set=self.gate.passwords.is_set(),
                error=error,
            )
            response.set_status(429 if wait > 0 else 401)
            if wait > 0:
                response.headers["Retry-After"] = str(int(wait + 0.999))
            return response
        redirect = web.HTTPSeeOther("/")
        set_session_cookie(redirect, request, sid)
        raise redirect

    async def logout(self, request: web.Request, access: Access) -> web.StreamResponse:
        self.gate.sessions.drop(access.sid)
        redirect = web.HTTPSeeOther("/login")
        clear_session_cookie(redirect)
        raise redirect

    # -- pages ---------------------------------------------------------------------------------

    async def now(self, request: web.Request, access: Access) -> web.StreamResponse:
        status = dict(await self.ctx.status())
        can_extend = self.ctx.extend_today is not None and bool(status.get("limit_min"))
        unseen = await queries.list_alerts(self.api.store(), unacked_only=True)
        return self.render(
            request, "now.html", access, status=status, can_extend=can_extend, unseen=len(unseen)
        )

    async def extend(self, request: web.Request, access: Access) -> web.StreamResponse:
        if self.ctx.extend_today is None:
            raise _back("/", "Extending today's time is not available.")
        form = await request.post()
        try:
            minutes = bounded_int({"minutes": str(form.get("minutes", ""))}, "minutes", 15, 1, 240)
        except BadParam as exc:
            raise _back("/", str(exc)) from None
        try:
            await self.ctx.extend_today(minutes)
        except ValueError as exc:  # e.g. a headless daemon has no parental gate
            raise _back("/", str(exc)) from None
        raise _back("/", f"Added {minutes} minutes for today.")

    async def conversations(self, request: web.Request, access: Access) -> web.StreamResponse:
        q = request.query
        tz = self.ctx.local_tz()
        error, rows, offset = "", [], 0
        try:
            day = optional_when(q, "date", tz)
            offset = bounded_int(q, "offset", 0, 0, 10**9)
            rows = await queries.search_interactions(
                self.api.store(),
                since=day,
                until=day + dt.timedelta(days=1) if day else None,
                q=q.get("q", ""),
                limit=PAGE_SIZE + 1,  # one more: is there an older page?
                offset=offset,
                interaction_id=q.get("id") or None,
            )
        except BadParam as exc:
            error = str(exc)
        older = None
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            older = "/conversations?" + urlencode(
                {"q": q.get("q", ""), "date": q.get("date", ""), "offset": offset + PAGE_SIZE}
            )
        return self.render(
            request,
            "conversations.html",
            access,
            rows=rows,
            q=q.get("q", ""),
            date=q.get("date", ""),
            error=error,
            older=older,
            store_audio=self.ctx.config().history.store_audio,
        )

    async def feelings(self, request: web.Request, access: Access) -> web.StreamResponse:
        try:
            data = await self.api.feelings_data(request.query)
        except BadParam as exc:
            raise _back("/feelings", str(exc)) from None
        return self.render(
            request,
            "feelings.html",
            access,
            svg=chart.render(data),
            legend=chart.legend(data),
            data=data,
            days=data["days"],
            bucket=data["bucket"],
        )

    async def alerts(self, request: web.Request, access: Access) -> web.StreamResponse:
        rows = await queries.list_alerts(self.api.store(), limit=200)
        return self.render(request, "alerts.html", access, alerts=rows)

    async def ack(self, request: web.Request, access: Access) -> web.StreamResponse:
        text = request.match_info["id"]
        if text.isdigit():
            await queries.acknowledge_alert(self.api.store(), int(text))
        raise _back("/alerts", "Alert marked as seen.")

    async def memory_page(
        self, request: web.Request, access: Access, **extra: Any
    ) -> web.StreamResponse:
        facts = await profile.facts(self.api.store())
        return self.render(
            request,
            "memory.html",
            access,
            facts=facts,
            memory=memory.state(self.ctx),
            max_chars=MAX_VALUE_CHARS,
            **extra,
        )

    async def forget_fact(self, request: web.Request, access: Access) -> web.StreamResponse:
        try:
            fact = memory.fact_id(request.match_info["id"])
        except BadParam as exc:
            raise _back("/memory", str(exc)) from None
        if not await profile.forget(self.api.store(), fact):
            raise _back("/memory", "That fact was already forgotten.")
        raise _back("/memory", "The bear has forgotten that.")

    async def correct_fact(self, request: web.Request, access: Access) -> web.StreamResponse:
        form = await request.post()
        try:
            fact = memory.fact_id(request.match_info["id"])
            row = await memory.correct(self.api.store(), fact, str(form.get("value", "")))
        except BadParam as exc:
            response = await self.memory_page(request, access, error=str(exc))
            response.set_status(400)
            return response
        if row is None:
            raise _back("/memory", "That fact was forgotten meanwhile; nothing to correct.")
        raise _back("/memory", f"Saved: the bear now remembers \u201c{row['value']}\u201d.")

    async def forget_everything(self, request: web.Request, access: Access) -> web.StreamResponse:
        form = await request.post()
        if str(form.get("confirm", "")) != "yes":
            raise _back("/memory", "Tick the box to confirm forgetting everything.")
        forgot = await profile.forget_all(self.api.store())
        raise _back("/memory", f"The bear has forgotten all {forgot} facts.")

    async def settings_page(
        self, request: web.Request, access: Access, **extra: Any
    ) -> web.StreamResponse:
        return self.render(request, "settings.html", access, view=settings.view(self.ctx), **extra)

    async def save_settings(self, request: web.Request, access: Access) -> web.StreamResponse:
        form = await request.post()
        try:
            values = settings.values_from_form({k: str(v) for k, v in form.items()})
            summary = await settings.update(self.ctx, values)
        except OverlayError as exc:
            response = await self.settings_page(request, access, error=str(exc))
            response.set_status(400)
            return response
        raise _back("/settings", f"Saved: {summary}")

    async def reset_settings(self, request: web.Request, access: Access) -> web.StreamResponse:
        summary = await settings.reset(self.ctx)
        raise _back("/settings", f"Back to the config file: {summary}")

    async def test_alert(self, request: web.Request, access: Access) -> web.StreamResponse:
        deliveries = [dict(d) for d in await self.ctx.send_test()]
        return await self.settings_page(request, access, deliveries=deliveries)

    async def privacy(self, request: web.Request, access: Access) -> web.StreamResponse:
        return self.render(request, "privacy.html", access, today=dt.date.today().isoformat())

    async def delete(self, request: web.Request, access: Access) -> web.StreamResponse:
        form = await request.post()
        try:
            before = parse_when("before", str(form.get("before", "")), self.ctx.local_tz())
        except BadParam as exc:
            raise _back("/privacy", str(exc)) from None
        if str(form.get("confirm", "")) != "yes":
            raise _back("/privacy", "Tick the box to confirm the deletion.")
        deleted = await export.delete_older(self.ctx, self.api.store(), before)
        raise _back("/privacy", f"Deleted {deleted} conversations before {before.date()}.")
