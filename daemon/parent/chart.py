"""The Feelings chart: an SVG line chart drawn on the server from ``queries.feelings`` data.

One line per emotion over the buckets (days, or hours of the day), a dot (``class="point"``) for
every bucket where that emotion was heard, and below the axis one marker (``class="moment"``) per
fear or sadness moment, each a link to that conversation. No script, no library: the page stays
small and works on any phone browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

COLORS: Mapping[str, str] = {
    "joy": "#e0a100",
    "trust": "#3a9d5d",
    "anticipation": "#e07b39",
    "surprise": "#9b59b6",
    "neutral": "#8a8f98",
    "sadness": "#2f6fd6",
    "fear": "#7a3db8",
    "anger": "#d13b3b",
    "disgust": "#6b8e23",
}
WIDTH, TOP, LEFT, RIGHT = 480, 16, 30, 18
PLOT_H = 180
AXIS_H = 28
MOMENT_R = 8
MOMENT_ROW = 20


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _label(key: str, bucket: str) -> str:
    if bucket == "hour":
        return f"{key}h"
    day = dt.date.fromisoformat(key)
    return f"{day.strftime('%a')} {day.day}"


def _every(count: int) -> int:
    """Label every bucket on a week, fewer on a month or a day's 24 hours (a phone is narrow)."""
    if count <= 8:
        return 1
    return 6 if count == 24 else 5


def render(data: Mapping[str, Any]) -> str:
    """The SVG for ``queries.feelings``'s result (``buckets``, ``moments``, ``bucket``)."""
    buckets: Sequence[Mapping[str, Any]] = data["buckets"]
    bucket = str(data["bucket"])
    n = len(buckets)
    index: dict[str, int] = {str(b["key"]): i for i, b in enumerate(buckets)}
    emotions = sorted({e for b in buckets for e, c in b["counts"].items() if c > 0})
    top = int(max([c for b in buckets for c in b["counts"].values()] + [1]))
    per_bucket: dict[str, int] = {}
    for m in data["moments"]:
        per_bucket[m["bucket"]] = per_bucket.get(m["bucket"], 0) + 1
    rows = max(per_bucket.values(), default=0)
    height = TOP + PLOT_H + AXIS_H + rows * MOMENT_ROW + (8 if rows else 0)
    base = TOP + PLOT_H

    def y(count: float) -> float:
        return base - PLOT_H * count / top

    out = [
        f'<svg class="feelings" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="emotions per {escape(bucket)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for step in sorted({0, top // 2, top}):
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(step):.1f}" '
            f'y2="{y(step):.1f}"/><text class="tick" x="{LEFT - 6}" y="{y(step) + 4:.1f}" '
            f'text-anchor="end">{step}</text>'
        )
    every = _every(n)
    for i, b in enumerate(buckets):
        if i % every == 0 or i == n - 1:
            out.append(
                f'<text class="tick" x="{_x(i, n):.1f}" y="{base + 18}" text-anchor="middle">'
                f"{escape(_label(str(b['key']), bucket))}</text>"
            )
    for emotion in emotions:
        color = COLORS.get(emotion, "#555")
        points = [(_x(i, n), y(b["counts"].get(emotion, 0))) for i, b in enumerate(buckets)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(
            f'<polyline class="line" data-emotion="{escape(emotion)}" points="{path}" '
            f'fill="none" stroke="{color}" stroke-width="2"/>'
        )
        for i, b in enumerate(buckets):
            count = b["counts"].get(emotion, 0)
            if count > 0:
                px, py = points[i]
                out.append(
                    f'<circle class="point" data-emotion="{escape(emotion)}" cx="{px:.1f}" '
                    f'cy="{py:.1f}" r="4" fill="{color}"><title>{escape(emotion)}: {count} '
                    f"({escape(_label(str(b['key']), bucket))})</title></circle>"
                )
    stacked: dict[str, int] = {}
    for m in data["moments"]:
        if m["bucket"] not in index:
            continue
        i = index[m["bucket"]]
        row = stacked.get(m["bucket"], 0)
        stacked[m["bucket"]] = row + 1
        cy = base + AXIS_H + MOMENT_ROW * row + MOMENT_R
        color = COLORS.get(m["emotion"], "#555")
        said = escape(str(m["transcript"])[:80])
        out.append(
            f'<a class="moment-link" href="/conversations?id={quote(str(m["id"]))}">'
            f'<circle class="moment" data-emotion="{escape(m["emotion"])}" cx="{_x(i, n):.1f}" '
            f'cy="{cy}" r="{MOMENT_R}" fill="{color}" stroke="#fff"><title>'
            f"{escape(m['emotion'])}: “{said}”</title></circle></a>"
        )
    out.append("</svg>")
    return "".join(out)


def legend(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(emotion, color) for every emotion drawn."""
    seen = sorted({e for b in data["buckets"] for e, c in b["counts"].items() if c > 0})
    return [(e, COLORS.get(e, "#555")) for e in seen]
