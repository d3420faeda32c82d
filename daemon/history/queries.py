"""Read and delete queries the parent page needs, on an open :class:`HistoryStore`.

Kept apart from the store (which the pipeline writes through) so the parent's questions — search,
feelings over time, alerts and their acknowledgement, minutes today, delete before a date — do not
grow the write path. Times in the database are fixed-width UTC ISO strings, so text comparisons
are time comparisons; callers pass aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from daemon.history.rows import interaction_row
from daemon.history.store import HistoryStore, Rows, utc_iso

_COLUMNS = (
    "id, started_at, ended_at, status, source, transcript, emotion, emotion_scores, reply, "
    "safety_hits, offline, offline_reason, timings, error, sample_rate, audio_path, attempts, "
    "(audio IS NOT NULL OR audio_path IS NOT NULL) AS has_audio"
)
#: the emotions a parent wants to find quickly on the Feelings chart
WORRYING = ("fear", "sadness")
MAX_LIMIT = 500


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_interactions(
    store: HistoryStore,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
    interaction_id: str | None = None,
) -> Rows:
    """Interactions newest first, each with its alerts; ``q`` matches what the child said or the
    bear replied (case-insensitive substring)."""
    where: list[str] = []
    params: list[Any] = []
    if interaction_id is not None:
        where.append("id = ?")
        params.append(interaction_id)
    if since is not None:
        where.append("started_at >= ?")
        params.append(utc_iso(since))
    if until is not None:
        where.append("started_at < ?")
        params.append(utc_iso(until))
    if q.strip():
        where.append("(transcript LIKE ? ESCAPE '\\' OR reply LIKE ? ESCAPE '\\')")
        params += [_like(q.strip()), _like(q.strip())]
    sql = f"SELECT {_COLUMNS} FROM interactions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?"
    params += [max(0, min(limit, MAX_LIMIT)), max(0, offset)]
    rows = [interaction_row(r) for r in await store.fetch(sql, params)]
    await _attach_alerts(store, rows)
    return rows


async def _attach_alerts(store: HistoryStore, rows: Rows) -> None:
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["alerts"] = []
    if not by_id:
        return
    marks = ",".join("?" * len(by_id))
    for alert in await store.fetch(
        "SELECT id, interaction_id, rule, severity, message, created_at, acknowledged_at "
        f"FROM alerts WHERE interaction_id IN ({marks}) ORDER BY id",
        list(by_id),
    ):
        by_id[alert["interaction_id"]]["alerts"].append(alert)


async def audio_of(store: HistoryStore, interaction_id: str) -> dict[str, Any] | None:
    """``{"audio": bytes | None, "audio_path": str | None, "sample_rate": int}`` or None."""
    rows = await store.fetch(
        "SELECT audio, audio_path, sample_rate FROM interactions WHERE id = ?", (interaction_id,)
    )
    return rows[0] if rows else None


async def feelings(
    store: HistoryStore, *, since: dt.datetime, bucket: str, tz: dt.tzinfo
) -> dict[str, Any]:
    """Emotion counts per local day (``bucket="day"``) or per local hour of day (``"hour"``,
    0-23 over the whole span) since ``since``, and every fear/sadness moment."""
    if bucket not in ("day", "hour"):
        raise ValueError(f"bucket must be day or hour, got {bucket!r}")
    rows = await store.fetch(
        "SELECT id, started_at, emotion, transcript FROM interactions "
        "WHERE started_at >= ? AND emotion IS NOT NULL AND emotion != '' "
        "ORDER BY started_at, rowid",
        (utc_iso(since),),
    )
    counts: dict[str, Counter[str]] = {}
    if bucket == "day":
        first = since.astimezone(tz).date()
        last = dt.datetime.now(tz).date()
        keys = [str(first + dt.timedelta(days=n)) for n in range((last - first).days + 1)]
    else:
        keys = [f"{h:02d}" for h in range(24)]
    for key in keys:
        counts[key] = Counter()
    moments = []
    for row in rows:
        local = dt.datetime.fromisoformat(row["started_at"]).astimezone(tz)
        key = str(local.date()) if bucket == "day" else f"{local.hour:02d}"
        counts.setdefault(key, Counter())[row["emotion"]] += 1
        if row["emotion"] in WORRYING:
            moments.append(
                {
                    "id": row["id"],
                    "started_at": row["started_at"],
                    "emotion": row["emotion"],
                    "transcript": row["transcript"] or "",
                    "bucket": key,
                }
            )
    buckets = [
        {"key": key, "total": sum(c.values()), "counts": dict(sorted(c.items()))}
        for key, c in counts.items()
    ]
    return {"bucket": bucket, "since": utc_iso(since), "buckets": buckets, "moments": moments}


async def list_alerts(store: HistoryStore, *, limit: int = 100, unacked_only: bool = False) -> Rows:
    """Alerts newest first, with the child's words of the conversation that raised them."""
    sql = (
        "SELECT a.id, a.interaction_id, a.rule, a.severity, a.message, a.channels, a.created_at, "
        "a.acknowledged_at, i.transcript FROM alerts a "
        "LEFT JOIN interactions i ON i.id = a.interaction_id"
    )
    if unacked_only:
        sql += " WHERE a.acknowledged_at IS NULL"
    sql += " ORDER BY a.created_at DESC, a.id DESC LIMIT ?"
    rows = await store.fetch(sql, (max(0, min(limit, MAX_LIMIT)),))
    for row in rows:
        try:
            row["channels"] = json.loads(row["channels"] or "[]")
        except ValueError:
            row["channels"] = []
    return rows


async def acknowledge_alert(store: HistoryStore, alert_id: int) -> str | None:
    """Mark an alert seen; its ``acknowledged_at`` (the first one stays), None if no such alert."""
    await store.write(
        "UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, ?) WHERE id = ?",
        (utc_iso(), alert_id),
    )
    rows = await store.fetch("SELECT acknowledged_at FROM alerts WHERE id = ?", (alert_id,))
    return str(rows[0]["acknowledged_at"]) if rows else None


async def minutes_since(store: HistoryStore, since: dt.datetime) -> float:
    """Minutes of conversation (utterance start to reply end) since ``since``."""
    rows = await store.fetch(
        "SELECT started_at, ended_at FROM interactions WHERE started_at >= ? "
        "AND ended_at IS NOT NULL AND status NOT IN ('dropped', 'expired', 'rejected')",
        (utc_iso(since),),
    )
    seconds = 0.0
    for row in rows:
        span = dt.datetime.fromisoformat(row["ended_at"]) - dt.datetime.fromisoformat(
            row["started_at"]
        )
        seconds += max(0.0, span.total_seconds())
    return round(seconds / 60.0, 1)


async def last_interaction(store: HistoryStore) -> dict[str, Any] | None:
    rows = await search_interactions(store, limit=1)
    return rows[0] if rows else None


async def delete_before(store: HistoryStore, before: dt.datetime) -> int:
    """Delete every interaction (and its alerts, tasks, audio rows) started before ``before``;
    the number deleted. Audio files are the caller's (they live next to the database)."""
    return await store.purge_before(before)


async def audio_paths_before(store: HistoryStore, before: dt.datetime) -> list[str]:
    rows = await store.fetch(
        "SELECT audio_path FROM interactions WHERE started_at < ? AND audio_path IS NOT NULL",
        (utc_iso(before),),
    )
    return [str(r["audio_path"]) for r in rows]


async def profile_facts(store: HistoryStore) -> Rows:
    return await store.fetch(
        "SELECT id, kind, subject, value, source, interaction_id, created_at, updated_at "
        "FROM profile_facts ORDER BY id"
    )
