"""Talk time for the daily limit, read from the history so a restart does not reset it.

Talk time of a day = the sum over the interactions that started in it of (``ended_at`` -
``started_at``): from the moment the bear heard the child's sentence until it finished answering.
An interaction still in progress counts up to now. Each one counts at most
:data:`MAX_TURN_S` — a row a crash left open (or ended much later by a restart) must not eat the
child's whole day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from daemon.history.store import HistoryStore, utc_iso

MAX_TURN_S = 300.0


@dataclass(frozen=True)
class TalkTime:
    seconds: float  # finished + in-progress interactions, up to ``now``
    open: int  # interactions still in progress (their time keeps growing)


async def talk_time(
    store: HistoryStore, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> TalkTime:
    """Talk time of the interactions that started in [start, end) (aware datetimes)."""
    rows = await store.fetch(
        "SELECT started_at, ended_at FROM interactions WHERE started_at >= ? AND started_at < ?",
        (utc_iso(start), utc_iso(end)),
    )
    total, still_open = 0.0, 0
    for row in rows:
        began = dt.datetime.fromisoformat(str(row["started_at"]))
        if row["ended_at"] is None:
            still_open += 1
            finished = now
        else:
            finished = dt.datetime.fromisoformat(str(row["ended_at"]))
        total += min(MAX_TURN_S, max(0.0, (finished - began).total_seconds()))
    return TalkTime(total, still_open)
