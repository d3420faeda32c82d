"""Query parameters of the parent API, each parsed with one clear line when it is wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping


class BadParam(ValueError):
    """A query parameter is wrong; the message says which, what was given and what is allowed."""


def parse_when(name: str, text: str, tz: dt.tzinfo) -> dt.datetime:
    """An ISO date (local midnight) or datetime (local unless it names its offset)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            return dt.datetime.combine(day, dt.time(), tzinfo=tz)
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise BadParam(
            f"{name}={text!r} is not an ISO date or datetime (e.g. 2026-12-01 or "
            "2026-12-01T18:30 or 2026-12-01T18:30:00+01:00)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def optional_when(query: Mapping[str, str], name: str, tz: dt.tzinfo) -> dt.datetime | None:
    text = query.get(name, "")
    return parse_when(name, text, tz) if text.strip() else None


def bounded_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadParam(f"{name}={text!r} is not a whole number ({low}-{high})") from None
    if not low <= value <= high:
        raise BadParam(f"{name}={value} is out of range: use {low}-{high}")
    return value


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    text = query.get(name, "").strip() or allowed[0]
    if text not in allowed:
        raise BadParam(f"{name}={text!r}: use one of {', '.join(allowed)}")
    return text
