"""The history database file: where it lives, how it is opened, and its schema migrations.

SQLite in WAL mode (readers never block the daemon's writes), ``synchronous=NORMAL`` (a committed
stage survives a daemon crash; only an OS crash can lose the last commits), foreign keys on,
``secure_delete`` on (a purged conversation is overwritten, not left in free pages). The file
and its WAL/SHM companions are private to the daemon's user (0600); its folder is 0700.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import aiosqlite

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


async def connect(path: Path) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate the database; raises :class:`HistoryDbError`."""
    try:
        _prepare_file(path)
        conn = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, aiosqlite.Error) as exc:
        raise HistoryDbError(f"cannot open history database {path}: {exc}") from exc
    try:
        conn.row_factory = aiosqlite.Row
        mode = await _scalar(conn, "PRAGMA journal_mode = WAL")
        if str(mode).lower() != "wal":
            raise HistoryDbError(f"history database {path}: cannot enable WAL (got {mode})")
        await conn.execute("PRAGMA synchronous = NORMAL")
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
