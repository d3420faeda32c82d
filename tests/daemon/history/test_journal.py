"""The journal: durable heard rows with FLAC audio, resume plans, expiry, audio release, and the
guard that keeps history trouble away from the child."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from daemon.history import HistoryStore, PipelineHistory
from daemon.history.guard import HistoryGuard
from daemon.history.journal import MAX_ATTEMPTS, Journal, plan_resume, read_flac

AUDIO = (0.25 * np.sin(np.linspace(0, 400, 16_000))).astype(np.float32)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    s = await HistoryStore.open(tmp_path / "h.sqlite3")
    yield s
    await s.close()


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


async def test_heard_writes_the_audio_then_a_committed_row(store: HistoryStore) -> None:
    journal = Journal(store)
    await journal.heard("a1", AUDIO, 16_000)
    with _raw(store.path) as conn:  # another connection sees it: committed
        row = conn.execute("SELECT status, audio_path, sample_rate FROM interactions").fetchone()
    assert (row["status"], row["audio_path"], row["sample_rate"]) == ("heard", "a1.flac", 16_000)
    audio, rate = read_flac(journal.audio_dir / "a1.flac")
    assert rate == 16_000 and np.max(np.abs(audio - AUDIO)) < 1e-3
    assert oct((journal.audio_dir / "a1.flac").stat().st_mode & 0o777) == oct(0o600)
    assert not list(journal.audio_dir.glob(".*.tmp"))


@pytest.mark.parametrize("store_audio", [False, True])
async def test_final_rows_release_their_audio_unless_asked_to_keep_it(
    store: HistoryStore, store_audio: bool
) -> None:
    journal = Journal(store, store_audio=store_audio)
    history = PipelineHistory(journal)
    await history.record_heard("a1", audio=AUDIO, sample_rate=16_000)
    await history.finish("a1", status="done", timings={}, error=None)
    assert (journal.audio_dir / "a1.flac").exists() is store_audio
    row = await store.get("a1")
    assert row is not None and row["status"] == "done" and row["has_audio"] is store_audio


async def test_a_dropped_utterance_is_a_final_row_with_the_reason(store: HistoryStore) -> None:
    history = PipelineHistory(Journal(store))
    await history.record_dropped("d1", audio=AUDIO, sample_rate=16_000, reason="backlog full")
    row = await store.get("d1")
    assert row is not None
    assert (row["status"], row["error"], row["has_audio"]) == ("dropped", "backlog full", False)
    assert row["ended_at"] is not None


def _row(status: str, **kw: Any) -> dict[str, Any]:
    return {"id": "x", "started_at": "2026-01-01T00:00:00+00:00", "status": status, **kw}


@pytest.mark.parametrize(
    ("row", "speak", "kind"),
    [
        (_row("heard", audio_path="x.flac"), True, "audio"),
        (_row("heard", transcript="hello"), True, "text"),  # a typed chat
        (_row("transcribed", transcript="hi", audio_path="x.flac"), True, "text"),
        (_row("replied", transcript="hi", reply="Hello!"), True, "speak"),
        (_row("replied", transcript="hi", reply="Hello!"), False, "done"),
        (_row("spoken", transcript="hi", reply="Hello!"), True, "done"),
        # a reply on disk whose status a kill kept from moving on: said, not asked again
        (_row("transcribed", transcript="hi", reply="Hello!"), True, "speak"),
        (_row("transcribed", transcript="hi", reply="Hello!"), False, "done"),
        (_row("heard"), True, None),  # nothing left to work from
        # the bear had begun saying it: the child heard part; neither asked for nor said again
        (
            _row("transcribed", transcript="hi", speaking_at="2026-01-01T00:00:02+00:00"),
            True,
            "heard_in_part",
        ),
        (
            _row("replied", transcript="hi", reply="Hello!", speaking_at="2026-01-01T00:00:02"),
            True,
            "heard_in_part",
        ),
    ],
)
def test_resume_never_answers_twice(row: dict[str, Any], speak: bool, kind: str | None) -> None:
    plan = plan_resume(row, speak=speak)
    assert (plan.kind if plan else None) == kind


async def test_resume_plan_oldest_first_expires_stale_and_gives_up(store: HistoryStore) -> None:
    journal = Journal(store)
    now = dt.datetime.now(dt.UTC)
    for name, age_s in (("old", 4000), ("mid", 60), ("new", 5)):
        await journal.heard(name, AUDIO, 16_000)
        started = (now - dt.timedelta(seconds=age_s)).isoformat(timespec="microseconds")
        await store.write("UPDATE interactions SET started_at = ? WHERE id = ?", (started, name))
    await store.write("UPDATE interactions SET attempts = ? WHERE id = 'mid'", (MAX_ATTEMPTS,))
    plan = await journal.resume_plan(300.0, speak=True, now=now)
    assert [p.interaction_id for p in plan] == ["new"]
    old, mid = await store.get("old"), await store.get("mid")
    assert old is not None and mid is not None
    assert old["status"] == "expired"
    assert old["error"] == (
        "not answered: 4000 s old at restart, over history.resume_max_age_s = 300"
    )
    assert mid["status"] == "failed"
    assert mid["error"] == f"given up after {MAX_ATTEMPTS} starts that never got past its audio"
    assert not (journal.audio_dir / "old.flac").exists()
    assert (await store.get("new") or {})["attempts"] == 1


async def test_the_guard_holds_failed_writes_in_order_and_writes_them_later() -> None:
    guard = HistoryGuard(max_held=3)
    written: list[str] = []
    broken = True

    def op(name: str) -> Any:
        async def write() -> None:
            if broken:
                raise OSError(28, "No space left on device")
            written.append(name)

        return write

    assert not await guard.write("first", op("first"))
    assert guard.error == "first failed: OSError: [Errno 28] No space left on device"
    broken = False
    assert not await guard.write("second", op("second"))  # queued behind, never before
    assert guard.held == 2 and written == []
    assert await guard.flush()
    assert written == ["first", "second"] and guard.healthy
    broken = True
    for n in range(5):
        await guard.write(f"w{n}", op(f"w{n}"))
    assert guard.held == 3 and guard.discarded == 2


async def test_a_failing_read_gives_the_default() -> None:
    async def broken() -> list[str]:
        raise sqlite3.DatabaseError("database disk image is malformed")

    assert await HistoryGuard().read("context", broken, []) == []


async def test_a_reply_the_bear_began_saying_ends_interrupted_at_restart(
    store: HistoryStore,
) -> None:
    from daemon.interaction.speaking import MarkingSink

    journal = Journal(store)
    await journal.heard("s1", AUDIO, 16_000)
    await store.update_stage("s1", "transcription", status="transcribed", transcript="a story")
    seen: list[tuple[str, str | None]] = []

    class Speaker:  # what the speaker sees: the mark is already committed
        async def put(self, interaction_id: str, sentence: str) -> None:
            with _raw(store.path) as conn:
                mark = conn.execute(
                    "SELECT speaking_at FROM interactions WHERE id = ?", (interaction_id,)
                ).fetchone()["speaking_at"]
            seen.append((sentence, mark))

        async def close(self, interaction_id: str, error: BaseException | None = None) -> None:
            pass

    sink = MarkingSink(Speaker(), journal.speaking)
    await sink.put("s1", "Once upon a time.")
    await sink.put("s1", "There was a dragon.")
    assert [sentence for sentence, _ in seen] == ["Once upon a time.", "There was a dragon."]
    assert all(mark is not None for _, mark in seen)
    # ... the daemon is killed here, before the reply was committed; it starts again:
    assert await journal.resume_plan(300.0, speak=True) == []
    row = await store.get("s1")
    assert row is not None and row["status"] == "interrupted"
    assert "not said again" in str(row["error"])


async def test_the_restart_settles_audio_a_kill_left_between_two_steps(
    store: HistoryStore,
) -> None:
    journal = Journal(store)
    # killed after the row ended "done" and before its file was deleted
    await journal.heard("done1", AUDIO, 16_000)
    await store.finish("done1", "done")
    # killed after the file was renamed into place and before its "heard" row
    from daemon.history.journal import write_flac

    write_flac(journal.audio_dir, "lost1", AUDIO, 16_000)
    (journal.audio_dir / ".half.flac.tmp").write_bytes(b"half")  # killed mid-write
    plan = await journal.resume_plan(3600.0, speak=True)
    assert [(r.interaction_id, r.kind) for r in plan] == [("lost1", "audio")]  # heard: resumed
    assert sorted(p.name for p in journal.audio_dir.iterdir()) == ["lost1.flac"]
    done = await store.get("done1")
    assert done is not None and done["status"] == "done" and not done["has_audio"]
