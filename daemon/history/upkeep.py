"""What the daemon runs around the store: the reply context of the current conversation and the
daily retention purge. Both read their settings on every use, so a SIGHUP change applies live."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from daemon.history.store import HistoryStore

log = logging.getLogger(__name__)


class ConversationContext:
    """The pipeline's context provider: ``{"history": [...]}`` with the turns of the current
    conversation — the last ``turns`` exchanges, stopping at a pause longer than
    ``session_timeout_s`` (a long pause starts a new conversation)."""

    def __init__(self, store: HistoryStore, turns: int = 6, session_timeout_s: float = 300.0):
        self.store = store
        self.turns = turns
        self.session_timeout_s = session_timeout_s

    async def __call__(self) -> dict[str, Any]:
        return {"history": await self.messages()}

    async def messages(self, now: dt.datetime | None = None) -> list[dict[str, str]]:
        if self.turns <= 0:
            return []
        now = now or dt.datetime.now(dt.UTC)
        gap = dt.timedelta(seconds=self.session_timeout_s)
        rows = await self.store.recent_exchanges(self.turns, since=now - gap * self.turns)
        kept: list[dict[str, Any]] = []
        newer = now
        for row in reversed(rows):  # newest first: stop at the first long pause
            started = dt.datetime.fromisoformat(row["started_at"])
            if newer - started > gap:
                break
            kept.append(row)
            newer = started
        messages: list[dict[str, str]] = []
        for row in reversed(kept):
            messages.append({"role": "user", "content": row["transcript"]})
            messages.append({"role": "assistant", "content": assistant_turn(row)})
        return messages


INTERRUPTED_NOTE = "[the child interrupted the bear here; the rest was not heard]"


def assistant_turn(row: dict[str, Any]) -> str:
    """The bear's turn as the next reply should see it: for a reply the child interrupted
    (barge-in), only the part that was heard, and a note saying so."""
    reply = str(row["reply"])
    if row.get("status") != "interrupted":
        return reply
    fraction = row.get("heard_fraction")
    heard = reply if fraction is None else reply[: round(len(reply) * float(fraction))]
    cut = heard.rstrip()
    return f"{cut}… {INTERRUPTED_NOTE}" if cut else INTERRUPTED_NOTE


async def purge_periodically(
    store: HistoryStore,
    retention_days: Callable[[], int],
    interval_s: Callable[[], float] = lambda: 86_400.0,
) -> None:
    """Purge expired interactions now and then every ``interval_s()``; never raises (a failed
    purge is logged and retried next time). Cancel the task to stop it."""
    while True:
        try:
            deleted = await store.purge_expired(retention_days())
            if deleted:
                log.info("history: purged %d interaction(s) past retention", deleted)
        except Exception:
            log.exception("history: retention purge failed; retrying later")
        await asyncio.sleep(max(1.0, interval_s()))
