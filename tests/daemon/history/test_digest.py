"""The daily digest composed from a real, seeded SQLite history."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.history import HistoryStore
from daemon.history.digest import compose

LOCAL = dt.timezone(dt.timedelta(hours=2))  # the parent's zone: times in the text are local
UNTIL = dt.datetime(2026, 6, 1, 19, 30, tzinfo=LOCAL)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    async with await HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        yield opened


async def talk(
    store: HistoryStore,
    at: str,
    said: str,
    emotion: str,
    scores: dict[str, float] | None = None,
    *,
    lasted_s: float | None = 30.0,
    days_before: int = 0,
) -> str:
    hour, minute = (int(p) for p in at.split(":"))
    day = dt.datetime(2026, 6, 1, hour, minute, tzinfo=LOCAL)
    started = day - dt.timedelta(days=days_before)
    iid = await store.record_captured(started_at=started)
    await store.update_stage(
        iid, "emotion", transcript=said, emotion=emotion, emotion_scores=scores or {emotion: 0.8}
    )
    if lasted_s is not None:
        await store.finish(iid, "done", ended_at=started + dt.timedelta(seconds=lasted_s))
    return iid


async def seed(store: HistoryStore) -> None:
    await talk(store, "08:00", "good morning teddy", "joy", lasted_s=60)
    await talk(store, "12:10", "there is a monster under my bed", "fear", {"fear": 0.91})
    await talk(store, "13:00", "I built a tower", "joy", lasted_s=90)
    await talk(store, "15:45", "I like the rain", "neutral", {"neutral": 0.6, "sadness": 0.55})
    await talk(store, "16:20", "nobody wants to play with me", "sadness", {"sadness": 0.8})
    await talk(store, "17:00", "look at my drawing", "joy", lasted_s=None)  # never finished
    await talk(store, "19:00", "what is for dinner", "neutral", lasted_s=120)
    # outside the 24 hours: the evening before, and after the digest time
    await talk(store, "19:00", "yesterday was scary", "fear", days_before=1, lasted_s=600)
    await talk(store, "19:45", "too late for today", "fear", lasted_s=600)


async def test_minutes_feelings_and_every_fear_or_sadness_moment(store: HistoryStore) -> None:
    await seed(store)
    iid = await talk(store, "18:00", "hello", "neutral")
    await store.record_alert(iid, rule="emotion:fear", severity="warning", created_at=UNTIL)
    await store.record_alert(
        iid, rule="emotion:fear", severity="warning", created_at=UNTIL - dt.timedelta(hours=6)
    )
    digest = await compose(store, UNTIL)
    assert digest.interactions == 8
    # 60 + 30 + 90 + 30 + 30 + 120 + 30 (18:00); the unfinished one adds nothing
    assert digest.talk_s == pytest.approx(390.0)
    assert digest.talk_minutes == 6
    assert digest.feelings == [("joy", 3), ("fear", 1), ("sadness", 1)]
    assert [(m.at, m.emotion, m.score) for m in digest.moments] == [
        ("12:10", "fear", 0.91),
        ("15:45", "sadness", 0.55),
        ("16:20", "sadness", 0.8),
    ]
    assert digest.alerts == 1  # the one at 19:30 is the next period's
    assert digest.text() == "\n".join(
        [
            "Your child talked to the bear 8 times, 6 minutes of talk in all.",
            "Main feelings: happy (3), afraid (1), sad (1).",
            "Moments of fear or sadness:",
            '- 12:10 afraid: "there is a monster under my bed"',
            '- 15:45 sad: "I like the rain"',
            '- 16:20 sad: "nobody wants to play with me"',
            "Alerts sent: 1.",
        ]
    )
    assert digest.title() == "Teddy: your child's day (Mon 01 Jun)"
    data = digest.to_dict()
    assert data["talk_minutes"] == 6 and data["feelings"]["joy"] == 3
    assert data["since"] == "2026-05-31T19:30:00+02:00"


async def test_without_transcripts_the_moments_keep_no_words(store: HistoryStore) -> None:
    await seed(store)
    digest = await compose(store, UNTIL, include_transcript=False)
    assert [m.words for m in digest.moments] == [None, None, None]
    assert "monster" not in digest.text() and "- 12:10 afraid\n" in digest.text()


async def test_a_quiet_day(store: HistoryStore) -> None:
    await talk(store, "10:00", "old news", "fear", days_before=1)
    digest = await compose(store, UNTIL)
    assert digest.interactions == 0 and digest.moments == []
    assert digest.text() == "Your child did not talk to the bear in the last 24 hours."


async def test_a_calm_day_says_so_and_neutral_counts_only_alone(store: HistoryStore) -> None:
    await talk(store, "10:00", "hi", "neutral", lasted_s=20)
    digest = await compose(store, UNTIL)
    assert digest.text() == "\n".join(
        [
            "Your child talked to the bear once, under a minute of talk in all.",
            "Main feelings: neutral (1).",
            "No moments of fear or sadness.",
        ]
    )


async def test_many_moments_are_capped(store: HistoryStore) -> None:
    for minute in range(12):
        await talk(store, f"10:{minute:02d}", f"scared {minute}", "fear")
    text = (await compose(store, UNTIL)).text()
    assert "- 10:09 afraid" in text and "- 10:10 afraid" not in text
    assert text.endswith("- and 2 more (see the history)")


async def test_until_must_be_aware(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await compose(store, dt.datetime(2026, 6, 1, 19, 30))
