"""Talk time comes from a real SQLite history: today's rows only, capped, kept across a restart."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from daemon.config.family import ParentalConfig
from daemon.hearing.parental import build_gate
from daemon.hearing.schedule import day_bounds, wall
from daemon.history.guard import HistoryGuard
from daemon.history.store import HistoryStore
from daemon.history.talktime import MAX_TURN_S, talk_time

ZONE = zoneinfo.ZoneInfo("America/New_York")
DAY = dt.date(2026, 12, 4)


def local(hh: int, mm: int, ss: int = 0, day: dt.date = DAY) -> dt.datetime:
    return wall(day, dt.time(hh, mm, ss), ZONE)


async def add(store: HistoryStore, start: dt.datetime, end: dt.datetime | None) -> None:
    iid = await store.record_captured(started_at=start)
    if end is not None:
        await store.finish(iid, "done", ended_at=end)


async def fill(store: HistoryStore) -> None:
    await add(store, local(8, 0), local(8, 2))  # 120 s
    await add(store, local(12, 0), local(12, 0, 30))  # 30 s
    await add(store, local(13, 0), local(15, 0))  # a stale row: counts MAX_TURN_S at most
    await add(store, local(23, 50, day=DAY - dt.timedelta(days=1)), local(23, 55, 0, DAY))
    await add(store, local(0, 10, day=DAY + dt.timedelta(days=1)), local(0, 20, 0, DAY))


async def test_talk_time_sums_todays_interactions_in_local_days(tmp_path: Path) -> None:
    async with await HistoryStore.open(tmp_path / "h.sqlite3") as store:
        await fill(store)
        await add(store, local(16, 0), None)  # in progress: counts up to now
        now = local(16, 1)
        start, end = day_bounds(now)
        counted = await talk_time(store, start, end, now)
    assert counted.open == 1
    assert counted.seconds == pytest.approx(120 + 30 + MAX_TURN_S + 60)


async def test_a_restart_keeps_the_count_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    clock = lambda: local(17, 0)  # noqa: E731
    async with await HistoryStore.open(path) as store:
        await fill(store)
        guard = HistoryGuard()
        gate = build_gate(
            ParentalConfig(daily_limit_min=7), store=store, guard=guard, speaker=None, busy=bool
        )
        gate.clock = clock
        await gate.refresh()
        before = gate.status()
    async with await HistoryStore.open(path) as store:  # "restart": a new store, a new gate
        gate = build_gate(
            ParentalConfig(daily_limit_min=7),
            store=store,
            guard=HistoryGuard(),
            speaker=None,
            busy=bool,
        )
        gate.clock = clock
        assert gate.status()["minutes_today"] == 0.0  # before reading the history
        await gate.refresh()
        after = gate.status()
    assert before["minutes_today"] == after["minutes_today"] == round((150 + MAX_TURN_S) / 60, 1)
    assert after["state"] == "limit_reached"  # 7.5 min >= 7


async def test_a_closed_history_is_a_failed_read_not_a_crash(tmp_path: Path) -> None:
    store = await HistoryStore.open(tmp_path / "h.sqlite3")
    await fill(store)
    gate = build_gate(
        ParentalConfig(daily_limit_min=5),
        store=store,
        guard=HistoryGuard(),
        speaker=None,
        busy=bool,
    )
    gate.clock = lambda: local(17, 0)
    await gate.refresh()
    assert gate.status()["state"] == "limit_reached"
    await store.close()
    await gate.refresh()  # logged; the last count stays
    assert gate.status()["state"] == "limit_reached"
