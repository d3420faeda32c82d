"""The history database file: where it lives, how it is opened, and its schema migrations.

SQLite in WAL mode (readers never block the daemon's writes), ``synchronous=FULL`` (every commit is
fsync'd: the journal promises that a heard utterance survives even a power cut), foreign keys on,
``secure_delete`` on (a purged conversation is overwritten, not left in free pages). The file
and its WAL/SHM companions are private to the daemon's user (0600); its folder is 0700.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 5000

# One script per schema version; PRAGMA user_version is the number of scripts applied.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE interactions (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'microphone',
        transcript TEXT,
        emotion TEXT,
        emotion_scores TEXT,
        reply TEXT,
        safety_hits TEXT,
        offline INTEGER,
        offline_reason TEXT,
        timings TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        audio BLOB,
        sample_rate INTEGER
    );
    CREATE INDEX interactions_started_at ON interactions (started_at);
    CREATE TABLE tasks (
        interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
        task_id TEXT NOT NULL,
        step TEXT,
        type TEXT NOT NULL,
        priority INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        duration_s REAL,
        error TEXT,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (interaction_id, task_id)
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        interaction_id TEXT REFERENCES interactions (id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        channels TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    );
    CREATE INDEX alerts_interaction ON alerts (interaction_id);
    """,
    # v2, the journal: audio lives in a FLAC file next to the database until the row is final;
    # ``attempts`` counts resumes so that an utterance that crashes the daemon is not retried
    # forever. Old statuses map onto the journal's states.
    """
    ALTER TABLE interactions ADD COLUMN audio_path TEXT;
    ALTER TABLE interactions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    UPDATE interactions SET status = 'heard' WHERE status = 'captured';
    UPDATE interactions SET status = 'transcribed' WHERE status = 'analysed';
    UPDATE interactions SET status = 'failed' WHERE status IN ('timeout', 'cancelled');
    CREATE INDEX interactions_status ON interactions (status);
    """,
    # v3: when the bear began saying the reply (committed before its first sentence plays), so a
    # restart never asks for, or says, a reply the child already began to hear.
    """
    ALTER TABLE interactions ADD COLUMN speaking_at TEXT;
    """,
    # v4, the parent's side: alerts are acknowledged from the parent page; an interrupted reply
    # records how much of it the child heard; the child's profile (what the bear remembers across
    # days) keeps where each fact came from, so the parent can review and delete it.
    """
    ALTER TABLE alerts ADD COLUMN acknowledged_at TEXT;
    ALTER TABLE interactions ADD COLUMN heard_fraction REAL;
    CREATE TABLE profile_facts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        value TEXT NOT NULL,
        source TEXT NOT NULL,
        interaction_id TEXT REFERENCES interactions (id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (kind, subject, value)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryDbError(RuntimeError):
    """The history database cannot be used (say why and where)."""


def default_history_path(env: Mapping[str, str] | None = None) -> Path:
    """``$STATE_DIRECTORY/history.sqlite3`` (systemd StateDirectory=), else
    ``~/.local/state/teddy/history.sqlite3``."""
    env = os.environ if env is None else env
    state = env.get("STATE_DIRECTORY", "")
    if state:
        return Path(state.split(":")[0]) / FILE_NAME
    return Path.home() / ".local" / "state" / "teddy" / FILE_NAME


def resolve_history_path(configured: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """``history.path`` if set, else :func:`default_history_path`."""
    return configured.expanduser() if configured is not None else default_history_path(env)


def _prepare_file(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, so nothing is ever
    readable by others; tighten an existing file that is too open."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)


def is_corrupt(path: Path) -> str | None:
    """Why the file at ``path`` is not a usable SQLite database, or None if it is (or is absent).

    Only damage counts: a locked or unreadable file is a different problem with a different fix."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            return str(exc)
        return None
    if verdict is None or verdict[0] != "ok":
        return f"integrity check: {verdict[0] if verdict else 'no answer'}"
    return None


def move_aside(path: Path, why: str) -> Path:
    """Rename a damaged database (and its WAL/SHM) to ``<name>.corrupt-<UTC time>``: the bear
    must start with a fresh history rather than not at all, and the old file stays for forensics."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            companion.rename(Path(f"{target}{suffix}"))
    log.error(
        "history database %s is corrupt (%s): moved it to %s and started a new one",
        path,
        why,
        target,
    )
    return target


async def connect(path: Path) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate the database; raises :class:`HistoryDbError`.
    A corrupt file is moved aside (see :func:`move_aside`) and a new one created."""
    try:
        why = is_corrupt(path)
        if why is not None:
            move_aside(path, why)
        _prepare_file(path)
        conn = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, aiosqlite.Error) as exc:
        raise HistoryDbError(f"cannot open history database {path}: {exc}") from exc
    try:
        conn.row_factory = aiosqlite.Row
        mode = await _scalar(conn, "PRAGMA journal_mode = WAL")
        if str(mode).lower() != "wal":
            raise HistoryDbError(f"history database {path}: cannot enable WAL (got {mode})")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA secure_delete = ON")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await migrate(conn, path)
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, aiosqlite.Error):
            raise HistoryDbError(f"history database {path}: {exc}") from exc
        raise
    return conn


async def _scalar(conn: aiosqlite.Connection, sql: str) -> object:
    async with conn.execute(sql) as cur:
        row = await cur.fetchone()
    return row[0] if row is not None else None


async def migrate(conn: aiosqlite.Connection, path: Path | str = "") -> int:
    """Apply the missing migrations, each atomically with its version bump; the new version."""
    version = int(await _scalar(conn, "PRAGMA user_version") or 0)  # type: ignore[call-overload]
    if version > SCHEMA_VERSION:
        raise HistoryDbError(
            f"history database {path} has schema version {version}, newer than this teddy "
            f"understands ({SCHEMA_VERSION}); upgrade teddy or point history.path elsewhere"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS[number - 1]
        await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return SCHEMA_VERSION
