"""The digest scheduler on an injected clock: once a day at ``digest_at``, live settings, and a
failed send that costs one day's digest, not the loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from daemon.history import HistoryStore
from daemon.history.digest_loop import daily_digests, due_at
from processors.alerts.channels import Delivery
from processors.alerts.stage import AlertStage
from tests.processors.alerts.receiver import webhook_receiver

LOCAL = dt.timezone(dt.timedelta(hours=-5))


class Finished(Exception):
    """Raised by the fake sleep once the simulated time is over."""


@dataclass
class FakeTime:
    now: dt.datetime
    end: dt.datetime
    sleeps: list[float] = field(default_factory=list)
    on_tick: Callable[[dt.datetime], None] = lambda _now: None

    def clock(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)
        if self.now > self.end:
            raise Finished
        self.on_tick(self.now)
        await asyncio.sleep(0)


@dataclass
class Recorder:
    """The alert stage's digest entry point, recording what it was given."""

    time: FakeTime
    fail_first: int = 0
    sent: list[tuple[dt.datetime, str, str]] = field(default_factory=list)

    async def send_digest(
        self, title: str, text: str, data: Mapping[str, Any] | None = None
    ) -> list[Delivery]:
        if self.fail_first:
            self.fail_first -= 1
            raise ConnectionError("the phone service is down")
        self.sent.append((self.time.now, title, text))
        return [Delivery("apprise:ntfy", True)]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=LOCAL)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    async with await HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        yield opened


def parts(store: HistoryStore, sender: Any, digest_at: str | None = "19:30") -> Any:
    alerts = SimpleNamespace(digest_at=digest_at, include_transcript=True)
    return SimpleNamespace(
        config=SimpleNamespace(alerts=alerts), store=store, stages=SimpleNamespace(alerts=sender)
    )


async def run(daemon: Any, time: FakeTime) -> None:
    with pytest.raises(Finished):
        await daily_digests(daemon, clock=time.clock, sleep=time.sleep)


async def test_fires_once_a_day_at_the_digest_time(store: HistoryStore) -> None:
    time = FakeTime(at(1, 8), at(4, 12))
    sender = Recorder(time)
    await run(parts(store, sender), time)
    assert [when for when, _, _ in sender.sent] == [at(1, 19, 30), at(2, 19, 30), at(3, 19, 30)]
    assert sender.sent[0][1] == "Teddy: your child's day (Mon 01 Jun)"
    assert max(time.sleeps) <= 60.0  # settings are re-read at least every minute


async def test_a_start_after_the_digest_time_waits_for_tomorrow(store: HistoryStore) -> None:
    time = FakeTime(at(1, 20), at(2, 22))
    sender = Recorder(time)
    await run(parts(store, sender), time)
    assert [when for when, _, _ in sender.sent] == [at(2, 19, 30)]


async def test_a_failed_send_is_logged_and_tomorrow_still_comes(
    store: HistoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime(at(1, 8), at(3, 8))
    sender = Recorder(time, fail_first=1)
    with caplog.at_level(logging.WARNING):
        await run(parts(store, sender), time)
    assert [when for when, _, _ in sender.sent] == [at(2, 19, 30)]  # not retried the same day
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "daily digest failed; the next one is due tomorrow" in record.getMessage()


async def test_digest_at_is_read_live(store: HistoryStore) -> None:
    time = FakeTime(at(1, 8), at(3, 12))
    sender = Recorder(time)
    daemon = parts(store, sender, digest_at=None)

    def sighup_at_noon(now: dt.datetime) -> None:  # what a SIGHUP does to the running config
        if now >= at(1, 12) and daemon.config.alerts.digest_at is None:
            assert sender.sent == []
            daemon.config.alerts.digest_at = "09:15"

    time.on_tick = sighup_at_noon
    await run(daemon, time)
    assert [when for when, _, _ in sender.sent] == [at(2, 9, 15), at(3, 9, 15)]


async def test_a_digest_reaches_a_real_webhook_with_its_figures(store: HistoryStore) -> None:
    iid = await store.record_captured(started_at=at(1, 18))
    await store.update_stage(iid, "emotion", transcript="I had a bad dream", emotion="fear")
    await store.finish(iid, "done", ended_at=at(1, 18, 2))
    time = FakeTime(at(1, 19), at(1, 20))
    async with webhook_receiver() as rx:
        stage = AlertStage.from_config({"webhook_url": rx.url, "desktop": False})
        await run(parts(store, stage), time)
    [request] = rx.requests
    event = request.json
    assert event["type"] == "teddy.digest" and event["title"].startswith("Teddy: your child")
    [message] = event["alerts"]
    assert message["severity"] == "info"
    assert '- 18:00 afraid: "I had a bad dream"' in message["message"]
    assert event["digest"]["talk_minutes"] == 2 and event["digest"]["feelings"] == {"fear": 1}


def test_due_at() -> None:
    assert due_at(None, at(1, 8)) is None and due_at("", at(1, 8)) is None
    assert due_at("07:05", at(1, 8, 30)) == at(1, 7, 5)
