"""The child's profile in the real SQLite history: keep, refresh, replace, forget, and the
reply context that reads it (cached until the table changes, also from another process)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from daemon.history import HistoryStore
from daemon.history.profile import (
    MAX_CANDIDATES,
    ProfileContext,
    ReplyContext,
    correct,
    facts,
    forget,
    forget_all,
    remember,
)
from processors.results import ProfileFact

DAY1 = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)
REX = ProfileFact("pet", "dog", "Rex")
ON = {"enabled": True, "max_prompt_facts": 6, "max_prompt_chars": 600}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    s = await HistoryStore.open(tmp_path / "h.sqlite3")
    yield s
    await s.close()


async def test_a_fact_keeps_when_and_from_which_interaction(store: HistoryStore) -> None:
    iid = await store.record_captured(source="text", transcript="My dog is called Rex")
    await remember(store, [REX], source="patterns", interaction_id=iid, now=DAY1)
    [row] = await facts(store)
    assert (row["kind"], row["subject"], row["value"]) == ("pet", "dog", "Rex")
    assert row["interaction_id"] == iid and row["source"] == "patterns"
    assert row["created_at"] == row["updated_at"] == DAY1.isoformat(timespec="microseconds")


async def test_hearing_a_fact_again_refreshes_it(store: HistoryStore) -> None:
    await remember(store, [REX], source="patterns", interaction_id=None, now=DAY1)
    later = DAY1 + dt.timedelta(days=3)
    await remember(store, [REX], source="llm", interaction_id=None, now=later)
    [row] = await facts(store)
    assert row["created_at"] < row["updated_at"] == later.isoformat(timespec="microseconds")


async def test_a_new_age_replaces_the_old_one(store: HistoryStore) -> None:
    await remember(store, [ProfileFact("age", "", "5")], source="patterns", interaction_id=None)
    await remember(
        store,
        [ProfileFact("age", "", "6"), ProfileFact("likes", "", "cake")],
        source="patterns",
        interaction_id=None,
    )
    assert sorted((r["kind"], r["value"]) for r in await facts(store)) == [
        ("age", "6"),
        ("likes", "cake"),
    ]


async def test_forgetting_one_or_all(store: HistoryStore) -> None:
    await remember(
        store, [REX, ProfileFact("likes", "", "cake")], source="patterns", interaction_id=None
    )
    rex = next(r for r in await facts(store) if r["value"] == "Rex")
    assert await forget(store, rex["id"]) is True
    assert await forget(store, rex["id"]) is False
    assert [r["value"] for r in await facts(store)] == ["cake"]
    assert await forget_all(store) == 1
    assert await facts(store) == []


async def test_deleting_the_interaction_keeps_the_fact(store: HistoryStore) -> None:
    iid = await store.record_captured(source="text", transcript="My dog is called Rex")
    await remember(store, [REX], source="patterns", interaction_id=iid)
    await store.purge_before(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    [row] = await facts(store)
    assert row["value"] == "Rex" and row["interaction_id"] is None


async def test_the_context_offers_the_profile_with_its_limits(store: HistoryStore) -> None:
    await remember(store, [REX], source="patterns", interaction_id=None, now=DAY1)
    later = DAY1 + dt.timedelta(days=1)
    context = await ProfileContext(store, lambda: ON, clock=lambda: later)()
    profile = context["profile"]
    assert [f["value"] for f in profile["facts"]] == ["Rex"]
    assert (profile["max_facts"], profile["max_chars"]) == (6, 600)
    assert profile["now"] == later.isoformat()


async def test_memory_off_offers_nothing(store: HistoryStore) -> None:
    await remember(store, [REX], source="patterns", interaction_id=None)
    assert await ProfileContext(store, lambda: {**ON, "enabled": False})() == {}
    assert await ProfileContext(store, lambda: {**ON, "max_prompt_facts": 0})() == {}


async def test_a_forget_from_another_process_reaches_the_next_reply(
    store: HistoryStore, tmp_path: Path
) -> None:
    await remember(
        store, [REX, ProfileFact("likes", "", "cake")], source="patterns", interaction_id=None
    )
    context = ProfileContext(store, lambda: ON)
    assert len((await context())["profile"]["facts"]) == 2
    async with await HistoryStore.open(tmp_path / "h.sqlite3") as other:  # `teddy profile`
        rex = next(r for r in await facts(other) if r["value"] == "Rex")
        await forget(other, rex["id"])
    assert [f["value"] for f in (await context())["profile"]["facts"]] == ["cake"]


async def test_candidates_are_bounded(store: HistoryStore) -> None:
    many = [ProfileFact("likes", "", f"thing {chr(97 + i % 26)}{i:04d}") for i in range(1005)]
    for i, fact in enumerate(many):
        await store._conn.execute(
            "INSERT INTO profile_facts (kind, subject, value, source, created_at, updated_at) "
            "VALUES (?, ?, ?, 'patterns', ?, ?)",
            (fact.kind, fact.subject, fact.value, f"2026-01-01T00:00:{i % 60:02d}", "x"),
        )
    await store._conn.commit()
    profile = (await ProfileContext(store, lambda: ON)())["profile"]
    assert len(profile["facts"]) == MAX_CANDIDATES


async def test_one_failing_part_leaves_the_other(store: HistoryStore) -> None:
    async def broken() -> dict[str, Any]:
        raise RuntimeError("history unreadable")

    await remember(store, [REX], source="patterns", interaction_id=None)
    merged = await ReplyContext(broken, ProfileContext(store, lambda: ON))()
    assert list(merged) == ["profile"]


async def test_the_parent_corrects_a_fact(store: HistoryStore) -> None:
    await remember(
        store, [REX, ProfileFact("pet", "dog", "Max")], source="patterns", interaction_id=None
    )
    rex = next(r for r in await facts(store) if r["value"] == "Rex")
    row = await correct(store, rex["id"], "  Rexy ", now=DAY1)
    assert row is not None and (row["value"], row["source"]) == ("Rexy", "parent")
    assert row["updated_at"] == DAY1.isoformat(timespec="microseconds")
    with pytest.raises(ValueError, match="cannot be kept \\(personal data\\)"):
        await correct(store, rex["id"], "lives at Oak Street")
    with pytest.raises(ValueError, match="already has 'Max'"):
        await correct(store, rex["id"], "Max")
    assert await correct(store, 999, "Rex") is None
    assert sorted(r["value"] for r in await facts(store)) == ["Max", "Rexy"]
