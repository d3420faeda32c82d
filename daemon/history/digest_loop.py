"""Sends the daily digest at ``alerts.digest_at`` (local "HH:MM"; unset = no digest).

A small loop the daemon starts: it wakes at the digest time, or at least every ``poll_s``, and
re-reads the settings each time, so a SIGHUP that sets, moves or clears ``digest_at`` applies
without a restart. It sends when the digest time passed since its previous wake, at most once a
calendar day; a time already past when the daemon starts waits for tomorrow (a restart in the
evening never sends a second digest). A failed send is logged and the next day's digest goes out
as usual; nothing here can stop the daemon.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from daemon.history.digest import compose
from daemon.history.store import HistoryStore

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[Any]]


class _Delivery(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def skipped(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


class DigestSender(Protocol):
    async def send_digest(
        self, title: str, text: str, data: Mapping[str, Any] | None = None
    ) -> Sequence[_Delivery]: ...


class _AlertSettings(Protocol):
    @property
    def digest_at(self) -> str | None: ...
    @property
    def include_transcript(self) -> bool: ...


class _Config(Protocol):
    @property
    def alerts(self) -> _AlertSettings: ...


class _Stages(Protocol):
    @property
    def alerts(self) -> DigestSender: ...


class DaemonParts(Protocol):
    """What the loop reads from the daemon, afresh on every wake (SIGHUP swaps them)."""

    @property
    def config(self) -> _Config: ...
    @property
    def store(self) -> HistoryStore | None: ...
    @property
    def stages(self) -> _Stages | None: ...


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def due_at(digest_at: str | None, now: dt.datetime) -> dt.datetime | None:
    """Today's digest time (in ``now``'s zone), or None without a digest."""
    if not digest_at:
        return None
    hour, minute = (int(part) for part in digest_at.split(":"))
    return now.replace(hour=hour, minute=minute, second=0, microsecond=0)


async def daily_digests(
    daemon: DaemonParts,
    *,
    clock: Clock = local_now,
    sleep: Sleep = asyncio.sleep,
    poll_s: float = 60.0,
) -> None:
    """Run until cancelled."""
    previous = clock()
    sent_on: dt.date | None = None
    while True:
        now = clock()
        due = due_at(daemon.config.alerts.digest_at, now)
        if due is not None and previous < due <= now and sent_on != due.date():
            sent_on = due.date()
            await send_digest(daemon, now)
        previous = now
        wait = poll_s
        if due is not None:
            upcoming = due if due > now else due + dt.timedelta(days=1)
            wait = min(poll_s, max(1.0, (upcoming - now).total_seconds()))
        await sleep(wait)


async def send_digest(daemon: DaemonParts, now: dt.datetime) -> bool:
    """Compose and send one digest; True if at least one channel took it. Never raises."""
    try:
        store, stages = daemon.store, daemon.stages
        if store is None or stages is None:
            log.warning("daily digest skipped: the daemon is not fully up")
            return False
        settings = daemon.config.alerts
        digest = await compose(store, now, include_transcript=settings.include_transcript)
        deliveries = await stages.alerts.send_digest(
            digest.title(), digest.text(), digest.to_dict()
        )
    except Exception:
        log.exception("daily digest failed; the next one is due tomorrow")
        return False
    delivered = [d.channel for d in deliveries if d.ok]
    failed = [f"{d.channel} ({d.error})" for d in deliveries if not d.ok and not d.skipped]
    if failed:
        log.warning("daily digest not delivered to: %s", ", ".join(failed))
    if not delivered and not failed:
        log.warning("daily digest: no alert channel is configured (alerts.urls, webhook_url)")
    if delivered:
        log.info("daily digest sent to %s", ", ".join(delivered))
    return bool(delivered)
