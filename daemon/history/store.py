"""The history store: every interaction, each stage's result as it completes, tasks and alerts.

Every write is its own committed (fsync'd) transaction, so after a crash the database says exactly
how far each interaction got: the journal's states ``heard`` → ``transcribed`` → ``replied`` →
``spoken`` → ``done``, or the final ``failed`` / ``rejected`` / ``dropped`` / ``expired`` /
``interrupted`` (see ``daemon/history/journal.py``). Times are UTC ISO 8601.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from daemon.history.db import connect
from daemon.history.rows import interaction_row, pcm16_bytes

#: statuses in the order an interaction reaches them; a stage never moves the status backwards
PROGRESS = ("heard", "transcribed", "replied", "spoken", "done")
TERMINAL = ("done", "failed", "rejected", "dropped", "expired", "interrupted")
STATUSES = (*PROGRESS, *TERMINAL[1:])

_TEXT_FIELDS = {"transcript", "emotion", "reply", "offline_reason", "error", "source"}
_JSON_FIELDS = {"emotion_scores", "safety_hits"}
_COLUMNS = (
    "id, started_at, ended_at, status, source, transcript, emotion, emotion_scores, reply, "
    "safety_hits, offline, offline_reason, timings, error, sample_rate, audio_path, attempts, "
    "(audio IS NOT NULL OR audio_path IS NOT NULL) AS has_audio"
)
Rows = list[dict[str, Any]]
Turns = list[dict[str, str]]


def utc_iso(when: dt.datetime | None = None) -> str:
    """Fixed-width UTC ISO 8601, so that text order is time order."""
    when = when or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


class HistoryStore:
    """``async with await HistoryStore.open(path) as store: ...`` (or ``close()`` explicitly)."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, store_audio: bool = False) -> None:
        self._conn = conn
        self.path = path
        self.store_audio = store_audio

    @classmethod
    async def open(cls, path: Path | str, *, store_audio: bool = False) -> HistoryStore:
        path = Path(path)
        return cls(await connect(path), path, store_audio)

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> HistoryStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            cur = await self._conn.execute(sql, tuple(params))
            await self._conn.commit()
        except BaseException:
            # A failed statement (disk full) may leave a transaction open; roll it back so the
            # next write starts clean instead of failing "cannot start a transaction".
            with contextlib.suppress(Exception):
                await self._conn.rollback()
            raise
        return cur.rowcount

    write = _write  # the journal's statements share this connection and its error handling

    async def fetch(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return [dict(r) for r in await cur.fetchall()]

    # -- writing ---------------------------------------------------------------------------

    async def record_captured(
        self,
        *,
        interaction_id: str | None = None,
        source: str = "microphone",
        audio: Any | None = None,
        sample_rate: int = 16_000,
        started_at: dt.datetime | None = None,
        transcript: str | None = None,
        status: str = "heard",
        audio_path: str | None = None,
    ) -> str:
        """Insert the interaction (status ``heard``, or ``dropped``) and commit; returns its id.

        ``transcript`` is known up front only for typed utterances (``teddy chat``).

        Call this BEFORE submitting the job graph: a crash after it leaves a visible trace.
        The audio is kept only when the store was opened with ``store_audio=True``.
        """
        interaction_id = interaction_id or uuid.uuid4().hex
        blob = pcm16_bytes(audio) if self.store_audio and audio is not None else None
        await self._write(
            "INSERT INTO interactions (id, started_at, status, source, audio, sample_rate, "
            "transcript, audio_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                interaction_id,
                utc_iso(started_at),
                status,
                source,
                blob,
                sample_rate if blob or audio_path else None,
                transcript,
                audio_path,
            ),
        )
        return interaction_id

    async def update_stage(
        self,
        interaction_id: str,
        stage: str,
        *,
        status: str | None = None,
        timing: float | None = None,
        **fields: Any,
    ) -> None:
        """Commit one stage's result: the given fields (transcript, emotion, emotion_scores,
        reply, safety_hits, offline, offline_reason, heard_fraction, error),
        ``timings[stage] = timing``, and
        ``status`` if it moves the interaction forward."""
        sets: list[str] = []
        params: list[Any] = []
        for name, value in fields.items():
            if name in _TEXT_FIELDS:
                sets.append(f"{name} = ?")
                params.append(None if value is None else str(value))
            elif name in _JSON_FIELDS:
                sets.append(f"{name} = ?")
                params.append(None if value is None else json.dumps(value, default=str))
            elif name == "offline":
                sets.append("offline = ?")
                params.append(None if value is None else int(bool(value)))
            elif name == "heard_fraction":
                sets.append("heard_fraction = ?")
                params.append(None if value is None else float(value))
            else:
                raise ValueError(f"update_stage: unknown field {name!r}")
        if timing is not None:
            sets.append("timings = json_set(timings, ?, ?)")
            params += [f'$."{stage}"', round(float(timing), 4)]
        status = _later(status, _implied_status(fields))
        if status is not None:
            sets.append(_status_sql(status))
        if not sets:
            return
        await self._write(
            f"UPDATE interactions SET {', '.join(sets)} WHERE id = ?", (*params, interaction_id)
        )

    async def finish(
        self,
        interaction_id: str,
        status: str,
        *,
        timings: Mapping[str, float] | None = None,
        error: str | None = None,
        ended_at: dt.datetime | None = None,
    ) -> None:
        """The interaction's final status, its stage timings (merged) and end time."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {STATUSES}")
        await self._write(
            "UPDATE interactions SET status = ?, ended_at = ?, error = coalesce(?, error), "
            "timings = json_patch(timings, ?) WHERE id = ?",
            (status, utc_iso(ended_at), error, json.dumps(dict(timings or {})), interaction_id),
        )

    async def record_task(
        self,
        interaction_id: str,
        *,
        task_id: str,
        type: str,
        status: str,
        step: str | None = None,
        priority: int | None = None,
        attempts: int = 0,
        duration_s: float | None = None,
        error: str | None = None,
    ) -> None:
        await self._write(
            "INSERT OR REPLACE INTO tasks (interaction_id, task_id, step, type, priority, "
            "attempts, status, duration_s, error, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                interaction_id,
                task_id,
                step,
                type,
                priority,
                attempts,
                status,
                duration_s,
                error,
                utc_iso(),
            ),
        )

    async def record_alert(
        self,
        interaction_id: str | None,
        *,
        rule: str,
        severity: str,
        message: str = "",
        channels: Iterable[str] = ("history",),
        created_at: dt.datetime | None = None,
    ) -> int:
        cur = await self._conn.execute(
            "INSERT INTO alerts (interaction_id, rule, severity, message, channels, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                interaction_id,
                rule,
                severity,
                message,
                json.dumps(list(channels)),
                utc_iso(created_at),
            ),
        )
        await self._conn.commit()
        return int(cur.lastrowid or 0)

    # -- reading ---------------------------------------------------------------------------

    async def get(self, interaction_id: str) -> dict[str, Any] | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM interactions WHERE id = ?", (interaction_id,)
        ) as cur:
            row = await cur.fetchone()
        return interaction_row(row) if row is not None else None

    async def list(self, limit: int | None = 20) -> Rows:
        """The last ``limit`` interactions (all if None), oldest first."""
        sql = f"SELECT {_COLUMNS} FROM interactions ORDER BY started_at DESC, rowid DESC"
        params: tuple[Any, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (max(0, limit),)
        async with self._conn.execute(sql, params) as cur:
            rows = await cur.fetchall()
        return [interaction_row(r) for r in reversed(list(rows))]

    async def recent_exchanges(self, limit: int, since: dt.datetime | None = None) -> Rows:
        """The last ``limit`` interactions since ``since`` that have both a transcript and a
        reply, oldest first (``started_at``, ``transcript``, ``reply``, ``status``,
        ``heard_fraction``)."""
        async with self._conn.execute(
            "SELECT started_at, transcript, reply, status, heard_fraction FROM interactions "
            "WHERE started_at >= ? "
            "AND transcript IS NOT NULL AND transcript != '' AND reply IS NOT NULL "
            "AND reply != '' ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (utc_iso(since) if since else "", max(0, limit)),
        ) as cur:
            rows = [dict(r) for r in await cur.fetchall()]
        return rows[::-1]

    async def recent_turns(self, limit: int = 6, since: dt.datetime | None = None) -> Turns:
        """The last ``limit`` completed exchanges since ``since`` as chat messages, oldest first:
        ``[{"role": "user", "content": transcript}, {"role": "assistant", "content": reply}]``."""
        if limit <= 0:
            return []
        turns: Turns = []
        for row in await self.recent_exchanges(limit, since):
            turns.append({"role": "user", "content": str(row["transcript"])})
            turns.append({"role": "assistant", "content": str(row["reply"])})
        return turns

    async def unfinished(self) -> Rows:
        """Interactions that never reached a final status (e.g. the daemon crashed)."""
        marks = ",".join("?" * len(TERMINAL))
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM interactions WHERE status NOT IN ({marks}) "
            "ORDER BY started_at, rowid",
            TERMINAL,
        ) as cur:
            return [interaction_row(r) for r in await cur.fetchall()]

    async def tasks_of(self, interaction_id: str) -> Rows:
        async with self._conn.execute(
            "SELECT task_id, step, type, priority, attempts, status, duration_s, error "
            "FROM tasks WHERE interaction_id = ? ORDER BY recorded_at, rowid",
            (interaction_id,),
        ) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def alerts_of(self, interaction_id: str) -> Rows:
        async with self._conn.execute(
            "SELECT rule, severity, message, channels, created_at FROM alerts "
            "WHERE interaction_id = ? ORDER BY id",
            (interaction_id,),
        ) as cur:
            rows = [dict(r) for r in await cur.fetchall()]
        for row in rows:
            row["channels"] = json.loads(row["channels"])
        return rows

    async def export(self) -> AsyncIterator[dict[str, Any]]:
        """Every interaction, oldest first, with its tasks and alerts (no audio)."""
        for row in await self.list(None):
            row["tasks"] = await self.tasks_of(row["id"])
            row["alerts"] = await self.alerts_of(row["id"])
            yield row

    # -- deleting and health ---------------------------------------------------------------

    async def purge_before(self, before: dt.datetime) -> int:
        """Delete interactions started before ``before`` (with their tasks and alerts)."""
        deleted = await self._write(
            "DELETE FROM interactions WHERE started_at < ?", (utc_iso(before),)
        )
        await self._conn.execute(
            "DELETE FROM alerts WHERE interaction_id IS NULL AND created_at < ?", (utc_iso(before),)
        )
        await self._conn.commit()
        await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    async def purge_expired(self, retention_days: int, now: dt.datetime | None = None) -> int:
        """Apply ``history.retention_days`` (0 keeps everything)."""
        if retention_days <= 0:
            return 0
        now = now or dt.datetime.now(dt.UTC)
        return await self.purge_before(now - dt.timedelta(days=retention_days))

    async def writable(self) -> tuple[bool, str]:
        """Take and drop the write lock: (True, "writable") or (False, why)."""
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            await self._conn.rollback()
        except aiosqlite.Error as exc:
            return False, f"history database {self.path} not writable: {exc}"
        return True, "writable"


def _implied_status(fields: Mapping[str, Any]) -> str | None:
    """The progress the written fields prove. The history step writes the reply too, racing the
    reply stage's own record: a kill between the two once left a row with its reply on disk
    but still ``transcribed``, and the next start asked the model again."""
    if fields.get("reply"):
        return "replied"
    return "transcribed" if fields.get("transcript") else None


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None or a not in PROGRESS:
        return a or b  # an unknown status is refused, with its name, by _status_sql
    return a if PROGRESS.index(a) >= PROGRESS.index(b) else b


def _status_sql(status: str) -> str:
    """SQL that moves ``status`` forward only (a late 'transcribed' never overwrites 'replied')."""
    if status not in PROGRESS:
        raise ValueError(f"update_stage: status {status!r} is not one of {PROGRESS}")
    earlier = ", ".join(f"'{s}'" for s in PROGRESS[: PROGRESS.index(status)])
    if not earlier:
        return "status = status"
    return f"status = CASE WHEN status IN ({earlier}) THEN '{status}' ELSE status END"
