"""The listening gate with an injected clock: quiet hours, the daily limit, extending it."""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from typing import Any

import numpy as np
import pytest

from daemon.config.family import ParentalConfig
from daemon.hearing.endpointing import (
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    UtteranceDropped,
)
from daemon.hearing.gate import GOODBYE_LINE, SLEEPING_LINE, ListeningGate
from daemon.hearing.schedule import wall
from daemon.ops.gate_check import listening_check

ZONE = zoneinfo.ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.now = when

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, day: dt.date, hh: int, mm: int) -> None:
        self.now = wall(day, dt.time(hh, mm), ZONE)


class Ledger:
    """Talk seconds per local day, as the history would report them."""

    def __init__(self) -> None:
        self.seconds: dict[dt.date, float] = {}
        self.open = 0

    async def __call__(
        self, start: dt.datetime, end: dt.datetime, now: dt.datetime
    ) -> tuple[float, int]:
        return self.seconds.get(start.date(), 0.0), self.open


class Voice:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    async def __call__(self, kind: str, text: str) -> None:
        self.lines.append((kind, text))


DAY = dt.date(2026, 12, 4)


def make(
    clock: Clock, ledger: Ledger, voice: Voice, busy: list[bool] | None = None, **cfg: Any
) -> ListeningGate:
    flag = busy if busy is not None else [False]
    return ListeningGate(
        ParentalConfig(**cfg), clock=clock, ledger=ledger, say=voice, busy=lambda: flag[0]
    )


def utterance(gate: ListeningGate, *, paused: bool = False) -> list[bool]:
    audio = np.zeros(1600, np.float32)
    events: list[Any] = [SpeechStarted(1.0)]
    if paused:
        events += [SpeechPaused(1.5, audio, 1.4), SpeechResumed(1.7)]
    events.append(SpeechEnded(2.5, audio, 1.0, 2.0))
    return [gate.screen(e) for e in events]


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_quiet_hours_refuse_speech_and_say_sleeping_time_once_per_night() -> None:
    clock, ledger, voice = Clock(wall(DAY, dt.time(21, 0), ZONE)), Ledger(), Voice()
    gate = make(clock, ledger, voice, quiet_hours=["19:30-07:00"])
    assert gate.status()["state"] == "sleeping"
    assert gate.status()["until"] == "2026-12-05T07:00+01:00"
    assert utterance(gate, paused=True) == [False, False, False, False]
    clock.set(DAY + dt.timedelta(days=1), 3, 0)  # same night, after midnight
    assert utterance(gate) == [False, False]
    await settle()
    assert voice.lines == [("sleeping", SLEEPING_LINE)]
    assert gate.refused == 2

    clock.set(DAY + dt.timedelta(days=1), 7, 0)  # wakes by itself
    assert gate.status()["state"] == "listening"
    assert utterance(gate) == [True, True]
    clock.set(DAY + dt.timedelta(days=1), 22, 0)  # the next night: said again, once
    utterance(gate)
    utterance(gate)
    await settle()
    assert [k for k, _ in voice.lines] == ["sleeping", "sleeping"]


async def test_a_cough_in_quiet_hours_gets_no_line() -> None:
    clock, voice = Clock(wall(DAY, dt.time(21, 0), ZONE)), Voice()
    gate = make(clock, Ledger(), voice, quiet_hours="19:30-07:00")
    assert gate.screen(SpeechStarted(1.0)) is False
    assert gate.screen(UtteranceDropped(1.2, "too_short", 0.1)) is True  # only counted
    await settle()
    assert voice.lines == []


async def test_the_limit_counts_from_the_history_and_is_kept_across_a_restart() -> None:
    clock, ledger, voice = Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger(), Voice()
    ledger.seconds[DAY] = 20 * 60.0
    gate = make(clock, ledger, voice, daily_limit_min=20)
    await gate.refresh()  # what the daemon does at start: the count comes from the history
    status = gate.status()
    assert (status["state"], status["minutes_today"], status["limit_min"]) == (
        "limit_reached",
        20.0,
        20,
    )
    assert status["until"] == "2026-12-05T00:00+01:00"
    gate.tick()  # reached before this run: no goodbye out of the blue
    await settle()
    assert voice.lines == []
    assert utterance(gate) == [False, False]
    assert utterance(gate) == [False, False]
    await settle()
    assert voice.lines == [("limit_reached", GOODBYE_LINE)]  # once, when the child spoke

    clock.set(DAY + dt.timedelta(days=1), 8, 0)  # the next local day
    await gate.refresh()
    assert gate.status()["state"] == "listening"
    assert gate.status()["minutes_today"] == 0.0


async def test_limit_reached_mid_utterance_answers_it_then_says_goodbye_once() -> None:
    clock, ledger, voice = Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger(), Voice()
    ledger.seconds[DAY] = 9.5 * 60
    busy = [False]
    gate = make(clock, ledger, voice, busy, daily_limit_min=10)
    await gate.refresh()
    gate.tick()
    assert gate.screen(SpeechStarted(1.0)) is True
    ledger.seconds[DAY] = 10.2 * 60  # the limit passes while the child is still talking
    await gate.refresh()
    assert gate.status()["state"] == "limit_reached"
    audio = np.zeros(160, np.float32)
    assert gate.screen(SpeechPaused(1.5, audio, 1.4)) is True
    assert gate.screen(SpeechEnded(2.5, audio, 1.0, 2.0)) is True  # answered, not lost
    busy[0] = True  # its answer is still on the way: goodbye waits
    gate.tick()
    await settle()
    assert voice.lines == []
    busy[0] = False
    gate.tick()
    gate.tick()
    await settle()
    assert voice.lines == [("limit_reached", GOODBYE_LINE)]
    assert utterance(gate) == [False, False]
    await settle()
    assert len(voice.lines) == 1


async def test_an_utterance_in_progress_keeps_counting_between_refreshes() -> None:
    clock, ledger = Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger()
    ledger.seconds[DAY], ledger.open = 100.0, 1
    gate = make(clock, ledger, Voice(), daily_limit_min=5)
    await gate.refresh()
    clock.now += dt.timedelta(seconds=6)
    assert gate.talk_seconds(clock()) == pytest.approx(106.0)
    clock.now += dt.timedelta(minutes=10)  # no refresh for long: bounded, the next read decides
    assert gate.talk_seconds(clock()) == pytest.approx(100.0 + 2 * gate.refresh_s)


async def test_extend_today_reopens_and_says_goodbye_again_when_used_up() -> None:
    clock, ledger, voice = Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger(), Voice()
    ledger.seconds[DAY] = 30 * 60.0
    gate = make(clock, ledger, voice, daily_limit_min=30)
    await gate.refresh()
    utterance(gate)
    status = gate.extend_today(15)
    assert (status["state"], status["limit_min"], status["extended_min"]) == ("listening", 45, 15)
    assert utterance(gate) == [True, True]
    gate.tick()
    ledger.seconds[DAY] = 46 * 60.0
    await gate.refresh()
    gate.tick()
    await settle()
    assert [k for k, _ in voice.lines] == ["limit_reached", "limit_reached"]
    clock.set(DAY + dt.timedelta(days=1), 9, 0)  # the extension was for that day only
    assert gate.status()["limit_min"] == 30


@pytest.mark.parametrize("bad", [0, -5, 1441, 2.5, "10", True])
def test_extend_today_names_what_is_allowed(bad: Any) -> None:
    gate = make(Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger(), Voice(), daily_limit_min=30)
    with pytest.raises(ValueError, match="whole number 1-1440"):
        gate.extend_today(bad)


async def test_quiet_hours_win_over_the_limit_and_no_limit_means_none() -> None:
    clock, ledger = Clock(wall(DAY, dt.time(20, 0), ZONE)), Ledger()
    ledger.seconds[DAY] = 99 * 60.0
    gate = make(clock, ledger, Voice(), quiet_hours=["19:30-07:00"], daily_limit_min=10)
    await gate.refresh()
    assert gate.status()["state"] == "sleeping"
    gate.apply(ParentalConfig())  # SIGHUP: no quiet hours, no limit
    assert gate.status()["state"] == "listening"
    assert gate.status()["limit_min"] == 0


async def test_a_failing_history_keeps_the_last_count() -> None:
    clock, ledger = Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger()
    ledger.seconds[DAY] = 11 * 60.0
    gate = make(clock, ledger, Voice(), daily_limit_min=10)
    await gate.refresh()

    async def broken(*_: dt.datetime) -> tuple[float, int]:
        raise OSError("disk I/O error")

    gate.ledger = broken
    await gate.refresh()
    assert gate.status()["state"] == "limit_reached"


async def test_a_failing_speaker_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def mute(kind: str, text: str) -> None:
        raise RuntimeError("no output device")

    clock = Clock(wall(DAY, dt.time(21, 0), ZONE))
    gate = ListeningGate(ParentalConfig(quiet_hours=["19:30-07:00"]), clock=clock, say=mute)
    utterance(gate)
    await settle()
    assert "the sleeping line could not be said (RuntimeError: no output device)" in caplog.text
    assert gate.announced == {"sleeping": 1}


async def test_the_health_line_names_the_state_and_sleeping_is_not_degraded() -> None:
    clock = Clock(wall(DAY, dt.time(21, 0), ZONE))
    gate = make(clock, Ledger(), Voice(), quiet_hours=["19:30-07:00"])
    check = listening_check(gate.status)()
    assert check.state == "ok"
    assert check.detail == "sleeping: quiet hours 19:30-07:00 until 2026-12-05T07:00+01:00"
    assert check.data["state"] == "sleeping"


async def test_run_refreshes_and_says_goodbye_when_crossed() -> None:
    clock, ledger, voice = Clock(wall(DAY, dt.time(16, 0), ZONE)), Ledger(), Voice()
    gate = make(clock, ledger, voice, daily_limit_min=1)
    gate.refresh_s = 0.0
    task = asyncio.create_task(gate.run(tick_s=0.01))
    try:
        await asyncio.sleep(0.05)
        ledger.seconds[DAY] = 61.0
        for _ in range(200):
            if voice.lines:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await gate.aclose()
    assert voice.lines == [("limit_reached", GOODBYE_LINE)]


def test_every_parental_key_applies_live_on_sighup() -> None:
    from daemon.config.model import TeddyConfig
    from daemon.config.reload import plan_reload

    old = TeddyConfig()
    new = TeddyConfig.model_validate(
        {
            "parental": {
                "quiet_hours": ["20:00-06:30"],
                "daily_limit_min": 45,
                "trigger": "button",
                "button": "key:KEY_SPACE",
            }
        }
    )
    plan = plan_reload(old, new)
    assert plan.restart == ()
    assert set(plan.live) == {
        "parental.quiet_hours",
        "parental.daily_limit_min",
        "parental.trigger",
        "parental.button",
    }
    assert plan.config.parental.daily_limit_min == 45


async def test_months_of_nights_say_the_line_once_each_in_bounded_memory() -> None:
    clock, voice = Clock(wall(DAY, dt.time(21, 0), ZONE)), Voice()
    gate = make(clock, Ledger(), voice, quiet_hours=["19:30-07:00"])
    for night in range(60):
        clock.set(DAY + dt.timedelta(days=night), 21, 0)
        utterance(gate)
        utterance(gate)
    await settle()
    assert len(voice.lines) == 60 and gate.announced == {"sleeping": 60}
    assert len(gate._said) <= 16
