"""An interrupted reply: its row keeps how much was heard, and the next reply's context shows
the part the child heard and that the child interrupted there."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.history import ConversationContext, HistoryStore
from daemon.history.sink import stage_fields
from daemon.history.upkeep import INTERRUPTED_NOTE
from processors.results import Spoken

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
STORY = "Once upon a time a dragon lived on a hill. He loved tea. The end."


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    async with await HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        yield opened


def test_the_speech_step_fills_heard_fraction_only_when_interrupted() -> None:
    cut = Spoken(spoken="Once upon a time", interrupted=True, heard_fraction=0.25)
    assert stage_fields("speech", {}, cut) == {"heard_fraction": 0.25}
    assert stage_fields("speech", {}, Spoken(spoken=STORY)) == {}


async def test_the_next_turn_is_told_the_child_interrupted(store: HistoryStore) -> None:
    first = await store.record_captured(started_at=NOW - dt.timedelta(seconds=30))
    await store.update_stage(first, "reply", transcript="tell me a dragon story", reply=STORY)
    await store.update_stage(first, "speech", heard_fraction=0.25)
    await store.finish(first, "interrupted")
    second = await store.record_captured(started_at=NOW - dt.timedelta(seconds=10))
    await store.update_stage(second, "reply", transcript="what do bears eat", reply="Honey!")
    await store.finish(second, "done")

    row = await store.get(first)
    assert row is not None and row["status"] == "interrupted"
    messages = await ConversationContext(store, turns=6, session_timeout_s=300).messages(now=NOW)
    bear_turn = messages[1]["content"]
    assert bear_turn.startswith(STORY[: round(len(STORY) * 0.25)].rstrip())
    assert "He loved tea" not in bear_turn and bear_turn.endswith(INTERRUPTED_NOTE)
    assert messages[3]["content"] == "Honey!"  # an ordinary turn is unchanged
