"""Connect the parent page to the running daemon: ``parent_site(daemon)`` builds the
:class:`ParentContext` from the daemon's live parts and returns the site its HTTP server mounts.

The Now state: the health checks first (degraded with their reason), then the parental controls'
own verdict (``ListeningGate.status()``: sleeping, limit reached, waiting for the button, with
today's minutes as the gate counts them), then whether the bear is speaking; the last interaction
comes from the history. Without a gate (headless daemon) quiet hours and minutes are worked out
from ``[parental]`` and the history. The page's "extend today" calls the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from daemon.config.family import parse_span
from daemon.config.model import TeddyConfig
from daemon.history import queries
from daemon.history.db import resolve_history_path
from daemon.history.store import HistoryStore
from daemon.ops.health import HealthRegistry
from daemon.parent.context import ParentContext
from daemon.parent.site import ParentSite

if TYPE_CHECKING:
    from daemon.hearing.gate import ListeningGate
    from daemon.hearing.listener import Listener
    from daemon.interaction.wiring import Stages


class DaemonParts(Protocol):
    """What the page reads from the daemon (``daemon.app.Daemon`` has all of it)."""

    @property
    def config(self) -> TeddyConfig: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def store(self) -> HistoryStore | None: ...

    @property
    def health(self) -> HealthRegistry: ...

    @property
    def listener(self) -> Listener | None: ...

    @property
    def stages(self) -> Stages | None: ...

    @property
    def gate(self) -> ListeningGate | None: ...

    async def reload(self) -> str: ...


def in_quiet_hours(spans: list[str], now: dt.time) -> str | None:
    """The span ``now`` falls in (spans may cross midnight), or None."""
    for text in spans:
        start, end = parse_span(text)
        inside = start <= now < end if start < end else (now >= start or now < end)
        if inside:
            return text
    return None


async def live_status(daemon: DaemonParts, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    now = dt.datetime.now(tz).astimezone(tz)
    cfg = daemon.config
    store = daemon.store
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = await queries.minutes_since(store, midnight) if store else 0.0
    last = await queries.last_interaction(store) if store else None
    limit = cfg.parental.daily_limit_min
    state, reason = "listening", ""
    report = await daemon.health.evaluate()
    listener = daemon.listener
    quiet = in_quiet_hours(cfg.parental.quiet_hours, now.time())
    if not report.ready:
        state, reason = "starting", "loading models or waiting for the microphone"
    elif report.status != "healthy":
        bad = [f"{name}: {c.detail}" for name, c in report.checks.items() if c.state != "ok"]
        state, reason = "degraded", "; ".join(bad)
    elif daemon.gate is not None and (gated := daemon.gate.status())["state"] != "listening":
        return {**gated, "last": last}
    elif daemon.gate is None and quiet is not None:
        state, reason = "sleeping", f"quiet hours {quiet}"
    elif daemon.gate is None and limit and minutes >= limit:
        state, reason = "limit_reached", f"{minutes} of {limit} minutes used today"
    elif listener is not None and listener.endpointer.bear_speaking:
        state = "talking"
    if daemon.gate is not None:
        gated = daemon.gate.status()
        minutes, limit = gated["minutes_today"], gated["limit_min"]
    return {
        "state": state,
        "reason": reason,
        "minutes_today": minutes,
        "limit_min": limit,
        "last": last,
    }


def parent_site(daemon: DaemonParts) -> ParentSite:
    async def send_test() -> list[Mapping[str, Any]]:
        stages = daemon.stages
        if stages is None:
            return []
        return [d.to_dict() for d in await stages.alerts.send_test()]

    async def status() -> Mapping[str, Any]:
        return await live_status(daemon)

    async def extend_today(minutes: int) -> Mapping[str, Any]:
        gate = daemon.gate
        if gate is None:
            raise ValueError("extend_today: the bear is not listening (no parental gate runs)")
        return gate.extend_today(minutes)

    ctx = ParentContext(
        history_path=resolve_history_path(daemon.config.history.path, daemon.env),
        config=lambda: daemon.config,
        store=lambda: daemon.store,
        status=status,
        apply_settings=daemon.reload,
        send_test=send_test,
        env=daemon.env,
        extend_today=extend_today,
    )
    return ParentSite(ctx, lambda: daemon.config.health.token)
