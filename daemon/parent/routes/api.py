"""The parent JSON API (README "Parent API"): every route needs a session (and its CSRF token for
changes) or ``Authorization: Bearer <health.token>``; bad parameters get 400 with one line.

    GET    /api/now                        the Now page's state
    GET    /api/interactions?since=&until=&q=&limit=&offset=&id=
    DELETE /api/interactions?before=       delete everything older (rows, alerts, audio)
    GET    /api/interactions/{id}/audio    the child's recorded words (history.store_audio only)
    GET    /api/feelings?days=7|30&bucket=day|hour
    GET    /api/alerts                     POST /api/alerts/{id}/ack
    GET    /api/settings                   PUT /api/settings {"dotted.key": value, ...}
    DELETE /api/settings                   forget the page's changes (back to the file)
    POST   /api/alerts/test                send a test alert through every channel
    GET    /api/export                     a zip: teddy-export.json (+ audio/ when stored)
    GET    /api/profile                    what the bear remembers (and whether memory is on)
    PUT    /api/profile/{id}               correct one fact {"value": ...} (privacy-checked)
    DELETE /api/profile/{id}               forget one fact;  DELETE /api/profile: forget all
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from daemon.config.overlay import OverlayError
from daemon.history import profile, queries
from daemon.history.store import HistoryStore
from daemon.parent import export, memory, settings
from daemon.parent.access import Access, Gate, guarded
from daemon.parent.context import ParentContext
from daemon.parent.params import BadParam, bounded_int, choice, optional_when

Route = Callable[[web.Request, Access], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, default=str), status=status, content_type="application/json"
    )


def _error(message: str, status: int) -> web.Response:
    return _json({"error": message}, status)


class Api:
    def __init__(self, ctx: ParentContext, gate: Gate) -> None:
        self.ctx = ctx
        self.gate = gate

    def install(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Route]] = [
            ("GET", "/api/now", self.now),
            ("GET", "/api/interactions", self.interactions),
            ("DELETE", "/api/interactions", self.delete_interactions),
            ("GET", "/api/interactions/{id}/audio", self.audio),
            ("GET", "/api/feelings", self.feelings),
            ("GET", "/api/alerts", self.alerts),
            ("POST", "/api/alerts/test", self.test_alert),
            ("POST", "/api/alerts/{id}/ack", self.ack),
            ("GET", "/api/settings", self.get_settings),
            ("PUT", "/api/settings", self.put_settings),
            ("DELETE", "/api/settings", self.reset_settings),
            ("GET", "/api/export", self.export),
            ("GET", "/api/profile", self.get_profile),
            ("DELETE", "/api/profile", self.forget_profile),
            ("PUT", "/api/profile/{id}", self.correct_fact),
            ("DELETE", "/api/profile/{id}", self.forget_fact),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, guarded(self.gate, _bad_params(handler), page=False))

    def store(self) -> HistoryStore:
        store = self.ctx.store()
        if store is None:
            raise web.HTTPServiceUnavailable(
                text='{"error": "the history is not open yet"}', content_type="application/json"
            )
        return store

    async def now(self, request: web.Request, access: Access) -> web.StreamResponse:
        return _json(dict(await self.ctx.status()))

    async def interactions(self, request: web.Request, access: Access) -> web.StreamResponse:
        tz = self.ctx.local_tz()
        q = request.query
        rows = await queries.search_interactions(
            self.store(),
            since=optional_when(q, "since", tz),
            until=optional_when(q, "until", tz),
            q=q.get("q", ""),
            limit=bounded_int(q, "limit", 50, 1, queries.MAX_LIMIT),
            offset=bounded_int(q, "offset", 0, 0, 10**9),
            interaction_id=q.get("id") or None,
        )
        return _json({"interactions": rows})

    async def delete_interactions(self, request: web.Request, access: Access) -> web.StreamResponse:
        before = optional_when(request.query, "before", self.ctx.local_tz())
        if before is None:
            raise BadParam("before= is required (an ISO date or datetime): what to delete")
        deleted = await export.delete_older(self.ctx, self.store(), before)
        return _json({"deleted": deleted, "before": before.isoformat()})

    async def audio(self, request: web.Request, access: Access) -> web.StreamResponse:
        if not self.ctx.config().history.store_audio:
            return _error("audio is not kept: history.store_audio is off", 404)
        found = await queries.audio_of(self.store(), request.match_info["id"])
        if found is None:
            return _error("no such interaction", 404)
        if found.get("audio_path"):
            path = self.ctx.audio_dir / str(found["audio_path"])
            if path.is_file():
                return web.FileResponse(path, headers={"Content-Type": "audio/flac"})
        if found.get("audio"):
            rate = int(found.get("sample_rate") or 16_000)
            body = export.wav_bytes(bytes(found["audio"]), rate)
            return web.Response(body=body, content_type="audio/wav")
        return _error("no audio kept for this interaction", 404)

    async def feelings(self, request: web.Request, access: Access) -> web.StreamResponse:
        return _json(await self.feelings_data(request.query))

    async def feelings_data(self, query: Any) -> dict[str, Any]:
        days = bounded_int(query, "days", 7, 1, 366)
        bucket = choice(query, "bucket", ("day", "hour"))
        tz = self.ctx.local_tz()
        today = dt.datetime.now(tz).date()
        since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=tz)
        data = await queries.feelings(self.store(), since=since, bucket=bucket, tz=tz)
        data["days"] = days
        return data

    async def alerts(self, request: web.Request, access: Access) -> web.StreamResponse:
        limit = bounded_int(request.query, "limit", 100, 1, queries.MAX_LIMIT)
        return _json({"alerts": await queries.list_alerts(self.store(), limit=limit)})

    async def ack(self, request: web.Request, access: Access) -> web.StreamResponse:
        text = request.match_info["id"]
        if not text.isdigit():
            raise BadParam(f"alert id {text!r} is not a number")
        when = await queries.acknowledge_alert(self.store(), int(text))
        if when is None:
            return _error(f"no alert {text}", 404)
        return _json({"id": int(text), "acknowledged_at": when})

    async def test_alert(self, request: web.Request, access: Access) -> web.StreamResponse:
        return _json({"deliveries": [dict(d) for d in await self.ctx.send_test()]})

    async def get_settings(self, request: web.Request, access: Access) -> web.StreamResponse:
        return _json(settings.view(self.ctx))

    async def put_settings(self, request: web.Request, access: Access) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            raise BadParam('the body must be a JSON object {"section.key": value}') from None
        if not isinstance(body, dict):
            raise BadParam('the body must be a JSON object {"section.key": value}')
        try:
            summary = await settings.update(self.ctx, body)
        except OverlayError as exc:
            return _error(str(exc), 400)
        return _json({"applied": summary, **settings.view(self.ctx)})

    async def reset_settings(self, request: web.Request, access: Access) -> web.StreamResponse:
        summary = await settings.reset(self.ctx)
        return _json({"applied": summary, **settings.view(self.ctx)})

    async def export(self, request: web.Request, access: Access) -> web.StreamResponse:
        document, audio = await export.gather(self.ctx, self.store())
        target = export.temp_zip()
        try:
            await asyncio.to_thread(export.write_zip, target, document, audio, self.ctx.audio_dir)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            response = web.StreamResponse(
                headers={
                    "Content-Type": "application/zip",
                    "Content-Disposition": f'attachment; filename="teddy-export-{stamp}.zip"',
                    "Content-Length": str(target.stat().st_size),
                }
            )
            await response.prepare(request)
            with target.open("rb") as fh:
                while chunk := await asyncio.to_thread(fh.read, 1 << 16):
                    await response.write(chunk)
            await response.write_eof()
            return response
        finally:
            with contextlib.suppress(OSError):
                target.unlink()

    async def get_profile(self, request: web.Request, access: Access) -> web.StreamResponse:
        facts = await profile.facts(self.store())
        return _json({**memory.state(self.ctx), "facts": facts})

    async def correct_fact(self, request: web.Request, access: Access) -> web.StreamResponse:
        fact = memory.fact_id(request.match_info["id"])
        try:
            body = await request.json()
        except ValueError:
            raise BadParam(memory.BODY_SHAPE) from None
        row = await memory.correct(self.store(), fact, memory.value_from_body(body))
        if row is None:
            return _error(f"no fact {fact}", 404)
        return _json({"fact": row})

    async def forget_fact(self, request: web.Request, access: Access) -> web.StreamResponse:
        fact = memory.fact_id(request.match_info["id"])
        if not await profile.forget(self.store(), fact):
            return _error(f"no fact {fact}", 404)
        return _json({"forgot": fact})

    async def forget_profile(self, request: web.Request, access: Access) -> web.StreamResponse:
        return _json({"forgot": await profile.forget_all(self.store())})


def _bad_params(handler: Route) -> Route:
    async def run(request: web.Request, access: Access) -> web.StreamResponse:
        try:
            return await handler(request, access)
        except BadParam as exc:
            return _error(str(exc), 400)

    return run
