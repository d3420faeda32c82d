"""Local wall-clock reasoning for the parental controls: quiet spans and the local day.

Everything is decided on whole local minutes (hour and minute of the wall clock), so a span means
what the parent wrote even on the days the clocks change: "19:30-07:00" is quiet from the moment
the wall clock shows 19:30 until it shows 07:00. Instants (``until``, the day's bounds) are built
from wall times in the zone, so a DST day is 23 or 25 hours long and a wall time that does not
exist (the spring-forward gap) means the end of the gap. In the hour repeated in autumn the wall
clock decides, so a span covering it is quiet in both passes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from daemon.config.family import parse_span

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]  # the current instant, timezone-aware

#: Test-only: seconds added to the wall clock of the gate (read only by :func:`system_clock`), so a
#: subprocess daemon can be put into quiet hours. Never set it on a real bear.
CLOCK_OFFSET_ENV = "TEDDY_TEST_CLOCK_OFFSET_S"
_MINUTES_PER_DAY = 24 * 60


def local_zone(env: Mapping[str, str] | None = None) -> dt.tzinfo:
    """The machine's zone with its DST rules: ``$TZ``, else ``/etc/localtime``, else UTC."""
    env = os.environ if env is None else env
    name = env.get("TZ", "").lstrip(":")
    try:
        if name:
            return zoneinfo.ZoneInfo(name)
        with open("/etc/localtime", "rb") as f:
            return zoneinfo.ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        log.warning("local time zone unknown (%s); using UTC for the parental controls", exc)
        return dt.UTC


def system_clock(env: Mapping[str, str] | None = None) -> Clock:
    """Now, in the local zone (plus the test-only offset, when set)."""
    env = os.environ if env is None else env
    zone = local_zone(env)
    raw = env.get(CLOCK_OFFSET_ENV, "")
    try:
        offset = dt.timedelta(seconds=float(raw)) if raw else dt.timedelta(0)
    except ValueError:
        log.warning("%s=%r is not a number of seconds; ignored", CLOCK_OFFSET_ENV, raw)
        offset = dt.timedelta(0)
    return lambda: dt.datetime.now(zone) + offset


def wall(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The first instant the wall clock of ``zone`` shows ``day at`` or later.

    An ambiguous time (the hour repeated in autumn) is its first occurrence; a time that does not
    exist (the spring-forward gap) is the end of the gap.
    """
    naive = dt.datetime.combine(day, at)
    first = naive.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)
    if first.replace(tzinfo=None) == naive:
        return first
    instant = naive.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)  # a wall time before the gap
    for _ in range(24 * 60):  # gaps are at most a few hours; minute steps find their end
        if instant.astimezone(zone).replace(tzinfo=None) >= naive:
            break
        instant += dt.timedelta(minutes=1)
    return instant.astimezone(zone)


def day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of ``now``'s local day (aware instants in ``now``'s zone)."""
    zone = now.tzinfo
    assert zone is not None, "the clock must return aware datetimes"
    today = now.date()
    return wall(today, dt.time(0), zone), wall(today + dt.timedelta(days=1), dt.time(0), zone)


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # minute of the day, inclusive
    end: int  # minute of the day, exclusive (may be <= start: the span crosses midnight)

    @classmethod
    def parse(cls, text: str) -> Span:
        start, end = parse_span(text)
        return cls(text.strip(), start.hour * 60 + start.minute, end.hour * 60 + end.minute)

    def contains(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def end_after(self, now: dt.datetime) -> dt.datetime:
        """When this span (which contains ``now``) ends."""
        zone = now.tzinfo
        assert zone is not None
        day = now.date()
        if self.start >= self.end and _minute(now) >= self.start:
            day += dt.timedelta(days=1)  # in the evening part: it ends tomorrow morning
        return wall(day, dt.time(self.end // 60, self.end % 60), zone)


class QuietHours:
    """The parent's quiet spans; ``until(now)`` is when the bear wakes, or None if awake."""

    def __init__(self, spans: Sequence[str]) -> None:
        self.spans = tuple(Span.parse(s) for s in spans)

    def current(self, now: dt.datetime) -> Span | None:
        minute = _minute(now)
        return next((s for s in self.spans if s.contains(minute)), None)

    def until(self, now: dt.datetime) -> dt.datetime | None:
        span = self.current(now)
        if span is None:
            return None
        end = span.end_after(now)
        # Adjacent or overlapping spans ("12:00-14:00", "13:30-15:00") make one quiet period.
        for _ in range(len(self.spans)):
            following = self.current(end)
            if following is None:
                break
            later = following.end_after(end)
            if later <= end:
                break
            end = later
        return end


def _minute(now: dt.datetime) -> int:
    return (now.hour * 60 + now.minute) % _MINUTES_PER_DAY
