"""History store on a real SQLite file: WAL, 0600, migrations, stage-by-stage commits, purge."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from daemon.history import (
    SCHEMA_VERSION,
    HistoryDbError,
    HistoryStore,
    default_history_path,
    resolve_history_path,
)

UTC = dt.UTC


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    async with await HistoryStore.open(tmp_path / "state" / "history.sqlite3") as opened:
        yield opened


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


async def test_file_is_private_wal_and_migrated(store: HistoryStore) -> None:
    await store.record_captured()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert _mode(Path(f"{store.path}-wal")) == 0o600
    with _raw(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"interactions", "tasks", "alerts"} <= tables


async def test_existing_too_open_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    async with await HistoryStore.open(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    async with await HistoryStore.open(path) as first:
        iid = await first.record_captured(source="text")
    async with await HistoryStore.open(path) as second:
        row = await second.get(iid)
    assert row is not None and row["source"] == "text"


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryDbError, match="newer than this teddy"):
        await HistoryStore.open(path)


async def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HistoryDbError, match="cannot open history database"):
        await HistoryStore.open(blocker / "h.sqlite3")


async def test_captured_is_committed_before_anything_else(store: HistoryStore) -> None:
    iid = await store.record_captured(audio=np.zeros(160, dtype=np.float32))
    # a second, independent connection sees it at once: it is committed
    with _raw(store.path) as conn:
        row = conn.execute("SELECT status, audio FROM interactions WHERE id = ?", (iid,)).fetchone()
    assert row["status"] == "heard" and row["audio"] is None  # store_audio is off


async def test_audio_is_kept_only_when_asked(tmp_path: Path) -> None:
    async with await HistoryStore.open(tmp_path / "h.sqlite3", store_audio=True) as store:
        iid = await store.record_captured(audio=np.full(100, 0.5, dtype=np.float32))
        row = await store.get(iid)
    assert row is not None and row["has_audio"] and row["sample_rate"] == 16000
    with _raw(tmp_path / "h.sqlite3") as conn:
        blob = conn.execute("SELECT audio FROM interactions").fetchone()[0]
    assert np.frombuffer(blob, "<i2")[0] == 16383


async def test_each_stage_is_committed_and_status_only_moves_forward(store: HistoryStore) -> None:
    iid = await store.record_captured()
    await store.update_stage(
        iid, "transcription", status="transcribed", transcript="hi", timing=0.3
    )
    with _raw(store.path) as conn:
        assert conn.execute("SELECT transcript FROM interactions").fetchone()[0] == "hi"
    await store.update_stage(iid, "emotion", emotion="fear", emotion_scores={"fear": 0.9})
    await store.update_stage(
        iid,
        "reply",
        status="replied",
        reply="You are safe.",
        offline=True,
        offline_reason="no_api_key",
        safety_hits=[],
        timing=0.5,
    )
    await store.update_stage(iid, "late", status="transcribed")  # must not go backwards
    row = await store.get(iid)
    assert row is not None
    assert row["status"] == "replied" and row["emotion"] == "fear"
    assert row["emotion_scores"] == {"fear": 0.9} and row["offline"] is True
    assert row["timings"] == {"transcription": 0.3, "reply": 0.5}


async def test_a_reply_on_disk_moves_the_status_whoever_writes_it(store: HistoryStore) -> None:
    # the history step writes the reply without a status; killed before the reply stage's own
    # record, the row must still say "replied" (or the next start asks the model again)
    iid = await store.record_captured()
    await store.update_stage(iid, "history", transcript="hi")
    assert (await store.get(iid) or {})["status"] == "transcribed"
    await store.update_stage(iid, "history", transcript="hi", reply="Hello!")
    assert (await store.get(iid) or {})["status"] == "replied"
    await store.update_stage(iid, "speech", status="spoken")
    await store.update_stage(iid, "history", transcript="hi", reply="Hello!")  # a late write
    assert (await store.get(iid) or {})["status"] == "spoken"


async def test_unknown_field_or_status_is_rejected(store: HistoryStore) -> None:
    iid = await store.record_captured()
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        await store.update_stage(iid, "x", colour="red")
    with pytest.raises(ValueError, match="not one of"):
        await store.update_stage(iid, "x", status="exploded")
    with pytest.raises(ValueError, match="unknown status"):
        await store.finish(iid, "exploded")


async def test_finish_merges_timings_and_sets_end(store: HistoryStore) -> None:
    iid = await store.record_captured()
    await store.update_stage(iid, "transcription", timing=0.25)
    await store.finish(iid, "rejected", timings={"emotion_s": 0.1}, error="silence")
    row = await store.get(iid)
    assert row is not None and row["status"] == "rejected" and row["error"] == "silence"
    assert row["timings"] == {"transcription": 0.25, "emotion_s": 0.1}
    assert row["ended_at"] is not None and await store.unfinished() == []


async def test_tasks_and_alerts(store: HistoryStore) -> None:
    iid = await store.record_captured()
    await store.record_task(
        iid,
        task_id="t1",
        type="audio_transcription",
        step="transcription",
        priority=2,
        attempts=1,
        status="completed",
        duration_s=0.4,
    )
    await store.record_task(iid, task_id="t1", type="audio_transcription", status="failed")
    await store.record_alert(iid, rule="emotion:fear", severity="warning", message="scared")
    (task,) = await store.tasks_of(iid)
    assert task["status"] == "failed"  # the latest record of a task wins
    (alert,) = await store.alerts_of(iid)
    assert alert["rule"] == "emotion:fear" and alert["channels"] == ["history"]


async def test_list_is_oldest_first_and_limited(store: HistoryStore) -> None:
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    ids = [await store.record_captured(started_at=base + dt.timedelta(minutes=i)) for i in range(5)]
    assert [r["id"] for r in await store.list(3)] == ids[2:]
    assert [r["id"] for r in await store.list(None)] == ids
    assert await store.list(0) == []


async def test_recent_turns_within_the_session(store: HistoryStore) -> None:
    now = dt.datetime.now(UTC)
    for minutes, said, reply in ((60, "old", "old reply"), (3, "hi", "hello!"), (1, "bye", "")):
        iid = await store.record_captured(started_at=now - dt.timedelta(minutes=minutes))
        await store.update_stage(iid, "reply", transcript=said, reply=reply or None)
    turns = await store.recent_turns(limit=6, since=now - dt.timedelta(minutes=5))
    assert turns == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello!"},
    ]
    assert len(await store.recent_turns(limit=1)) == 2
    assert await store.recent_turns(limit=0) == []


async def test_purge_before_and_retention_cascade(store: HistoryStore) -> None:
    now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    old = await store.record_captured(started_at=now - dt.timedelta(days=40))
    new = await store.record_captured(started_at=now - dt.timedelta(days=2))
    await store.record_task(old, task_id="a", type="x", status="completed")
    await store.record_alert(old, rule="r", severity="info")
    assert await store.purge_expired(0, now=now) == 0
    assert await store.purge_expired(30, now=now) == 1
    assert [r["id"] for r in await store.list(None)] == [new]
    assert await store.tasks_of(old) == [] and await store.alerts_of(old) == []


async def test_export_includes_tasks_and_alerts(store: HistoryStore) -> None:
    iid = await store.record_captured()
    await store.record_task(iid, task_id="a", type="x", status="completed")
    rows = [row async for row in store.export()]
    assert rows[0]["id"] == iid and rows[0]["tasks"][0]["task_id"] == "a"
    assert rows[0]["alerts"] == []


async def test_writable_check(store: HistoryStore) -> None:
    assert await store.writable() == (True, "writable")


def test_path_resolution(tmp_path: Path) -> None:
    assert default_history_path({"STATE_DIRECTORY": "/var/lib/teddy:/x"}) == Path(
        "/var/lib/teddy/history.sqlite3"
    )
    assert default_history_path({}) == Path.home() / ".local/state/teddy/history.sqlite3"
    assert resolve_history_path(tmp_path / "x.db", {}) == tmp_path / "x.db"


async def test_a_corrupt_file_is_moved_aside_and_a_new_one_started(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    async with await HistoryStore.open(path) as store:
        assert await store.list() == []
    (aside,) = list(tmp_path.glob("h.sqlite3.corrupt-*"))  # noqa: ASYNC240
    assert aside.read_bytes().startswith(b"this is not a database")
    assert f"history database {path} is corrupt (file is not a database): moved it to" in (
        caplog.text
    )
