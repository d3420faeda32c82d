"""Conversation context for replies (session window) and the periodic retention purge."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.history import ConversationContext, HistoryStore, purge_periodically

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    async with await HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        yield opened


async def _exchange(store: HistoryStore, minutes_ago: float, said: str, reply: str) -> None:
    iid = await store.record_captured(started_at=NOW - dt.timedelta(minutes=minutes_ago))
    await store.update_stage(iid, "reply", transcript=said, reply=reply)


async def test_context_stops_at_a_long_pause(store: HistoryStore) -> None:
    await _exchange(store, 30, "yesterday's chat", "old")
    await _exchange(store, 8, "hi teddy", "hello!")
    await _exchange(store, 4, "I like cats", "me too")
    context = ConversationContext(store, turns=6, session_timeout_s=300)
    messages = await context.messages(now=NOW)
    assert [m["content"] for m in messages] == ["hi teddy", "hello!", "I like cats", "me too"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]


async def test_context_respects_turns_and_live_changes(store: HistoryStore) -> None:
    for minutes in (3, 2, 1):
        await _exchange(store, minutes, f"said {minutes}", f"reply {minutes}")
    context = ConversationContext(store, turns=1, session_timeout_s=300)
    assert [m["content"] for m in await context.messages(now=NOW)] == ["said 1", "reply 1"]
    context.turns = 0  # a SIGHUP changed llm.history_turns
    assert await context.messages(now=NOW) == []


async def test_no_context_after_the_session_timed_out(store: HistoryStore) -> None:
    await _exchange(store, 10, "hi", "hello")
    assert await ConversationContext(store, 6, 300).messages(now=NOW) == []


async def test_context_provider_shape(store: HistoryStore) -> None:
    assert await ConversationContext(store)() == {"history": []}


async def test_periodic_purge_runs_and_stops(store: HistoryStore) -> None:
    await store.record_captured(started_at=dt.datetime.now(UTC) - dt.timedelta(days=40))
    keep = await store.record_captured()
    purged = asyncio.Event()

    def interval() -> float:
        purged.set()  # asked for the next interval: the first purge is done
        return 3600.0

    task = asyncio.create_task(purge_periodically(store, lambda: 30, interval))
    await asyncio.wait_for(purged.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r["id"] for r in await store.list(None)] == [keep]


async def test_a_failing_purge_does_not_stop_the_loop(store: HistoryStore) -> None:
    calls = 0
    again = asyncio.Event()

    def days() -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    def interval() -> float:
        again.set()
        return 3600.0

    task = asyncio.create_task(purge_periodically(store, days, interval))
    await asyncio.wait_for(again.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == 1
