"""Quiet spans and the local day on whole wall-clock minutes, across midnight and DST changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from daemon.hearing.schedule import QuietHours, day_bounds, local_zone, system_clock, wall

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def at(y: int, mo: int, d: int, h: int, mi: int, zone: dt.tzinfo = BERLIN) -> dt.datetime:
    return wall(dt.date(y, mo, d), dt.time(h, mi), zone)


@pytest.mark.parametrize(
    ("hh", "mm", "quiet"),
    [(19, 29, False), (19, 30, True), (23, 59, True), (0, 0, True), (6, 59, True), (7, 0, False)],
)
def test_a_span_crossing_midnight_on_whole_minutes(hh: int, mm: int, quiet: bool) -> None:
    hours = QuietHours(["19:30-07:00"])
    assert (hours.current(at(2026, 12, 4, hh, mm)) is not None) is quiet


def test_until_is_tomorrow_morning_in_the_evening_and_this_morning_after_midnight() -> None:
    hours = QuietHours(["19:30-07:00"])
    assert hours.until(at(2026, 12, 4, 21, 0)) == at(2026, 12, 5, 7, 0)
    assert hours.until(at(2026, 12, 5, 3, 0)) == at(2026, 12, 5, 7, 0)
    assert hours.until(at(2026, 12, 5, 12, 0)) is None


def test_adjacent_spans_make_one_quiet_period() -> None:
    hours = QuietHours(["12:00-14:00", "13:30-15:00"])
    assert hours.until(at(2026, 12, 4, 12, 10)) == at(2026, 12, 4, 15, 0)


def test_a_night_across_the_spring_change_is_an_hour_shorter() -> None:
    # Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST
    evening = at(2026, 3, 28, 23, 0)
    until = QuietHours(["22:00-07:00"]).until(evening)
    assert until == at(2026, 3, 29, 7, 0)
    assert until is not None
    assert until.astimezone(UTC) - evening.astimezone(UTC) == dt.timedelta(hours=7)


def test_a_span_ending_in_the_spring_gap_ends_at_the_gap_end() -> None:
    until = QuietHours(["01:00-02:30"]).until(at(2026, 3, 29, 1, 30))
    assert until is not None and (until.hour, until.minute) == (3, 0)
    assert until.utcoffset() == dt.timedelta(hours=2)


def test_local_days_are_23_and_25_hours_long_on_change_days() -> None:
    for day, hours in ((dt.date(2026, 3, 29), 23), (dt.date(2026, 10, 25), 25), (None, 24)):
        noon = at(2026, 12, 4, 12, 0) if day is None else wall(day, dt.time(12), BERLIN)
        start, end = day_bounds(noon)
        assert (start.hour, end.hour) == (0, 0)
        assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=hours)


def test_the_repeated_autumn_hour_is_quiet_in_both_passes() -> None:
    hours = QuietHours(["02:00-02:30"])
    first = dt.datetime(2026, 10, 25, 2, 10, tzinfo=BERLIN, fold=0)
    second = dt.datetime(2026, 10, 25, 2, 10, tzinfo=BERLIN, fold=1)
    assert first.astimezone(UTC) != second.astimezone(UTC)
    assert hours.current(first) is not None and hours.current(second) is not None


def test_the_zone_comes_from_tz_and_the_test_offset_shifts_the_clock() -> None:
    assert local_zone({"TZ": "Europe/Berlin"}) == BERLIN
    assert local_zone({"TZ": "Not/AZone"}) == UTC  # logged, not fatal
    shifted = system_clock({"TZ": "UTC", "TEDDY_TEST_CLOCK_OFFSET_S": "7200"})()
    plain = system_clock({"TZ": "UTC"})()
    assert dt.timedelta(hours=1, minutes=59) < shifted - plain < dt.timedelta(hours=2, minutes=1)
    assert system_clock({"TZ": "UTC", "TEDDY_TEST_CLOCK_OFFSET_S": "soon"})().tzinfo is not None
