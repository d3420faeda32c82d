"""The parent's daily digest: what the history says about the last day, as one short message.

It covers the 24 hours before the digest time (``alerts.digest_at``), so an evening digest is
"today" and a morning one is "since yesterday morning". It says:

- how often the child talked to the bear and the **minutes of talk**: the sum over the period's
  interactions of ``ended_at - started_at``. An interaction starts when the bear has heard the
  child's utterance (its row is written) and ends when it is finished — the reply spoken, or the
  utterance given up — so this is the time the bear spent on the child's words, not the child's
  own speaking time; rows that never finished (no ``ended_at``) add nothing;
- the main feelings: the most frequent primary emotions (neutral only when nothing else showed);
- every moment of fear or sadness: an interaction whose primary emotion was fear or sadness, or
  whose fear/sadness score reached ``moment_threshold`` — with its local time and, when
  ``alerts.include_transcript`` is on, the child's words;
- how many alerts were raised.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from daemon.history.store import HistoryStore, utc_iso

PERIOD = dt.timedelta(hours=24)
MOMENT_EMOTIONS = ("fear", "sadness")
_WORDS = {"fear": "afraid", "sadness": "sad", "joy": "happy", "anger": "angry"}
_MAX_MOMENTS = 10
_SNIPPET = 120
_MAIN_FEELINGS = 3


@dataclass(frozen=True)
class Moment:
    at: str  # local "HH:MM"
    emotion: str
    score: float
    words: str | None


@dataclass
class Digest:
    since: dt.datetime
    until: dt.datetime
    interactions: int = 0
    talk_s: float = 0.0
    feelings: list[tuple[str, int]] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)
    alerts: int = 0

    @property
    def talk_minutes(self) -> int:
        return round(self.talk_s / 60)

    def title(self) -> str:
        return f"Teddy: your child's day ({self.until:%a %d %b})"

    def text(self) -> str:
        if self.interactions == 0:
            return "Your child did not talk to the bear in the last 24 hours."
        times = "once" if self.interactions == 1 else f"{self.interactions} times"
        minutes = self.talk_minutes
        span = "under a minute" if minutes == 0 else f"{minutes} minute{'s' * (minutes != 1)}"
        lines = [f"Your child talked to the bear {times}, {span} of talk in all."]
        if self.feelings:
            main = ", ".join(f"{_word(name)} ({count})" for name, count in self.feelings)
            lines.append(f"Main feelings: {main}.")
        if self.moments:
            lines.append("Moments of fear or sadness:")
            for moment in self.moments[:_MAX_MOMENTS]:
                quote = f': "{moment.words}"' if moment.words else ""
                lines.append(f"- {moment.at} {_word(moment.emotion)}{quote}")
            if len(self.moments) > _MAX_MOMENTS:
                lines.append(f"- and {len(self.moments) - _MAX_MOMENTS} more (see the history)")
        else:
            lines.append("No moments of fear or sadness.")
        if self.alerts:
            lines.append(f"Alerts sent: {self.alerts}.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The figures for webhook receivers (times ISO 8601)."""
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        data["talk_minutes"] = self.talk_minutes
        data["feelings"] = dict(self.feelings)
        return data


async def compose(
    store: HistoryStore,
    until: dt.datetime,
    *,
    include_transcript: bool = True,
    moment_threshold: float = 0.5,
) -> Digest:
    """The digest of the 24 hours before ``until`` (an aware datetime; its zone is the one the
    message's clock times are shown in)."""
    if until.tzinfo is None:
        raise ValueError("digest: 'until' must be timezone-aware (local time)")
    since = until - PERIOD
    bounds = (utc_iso(since), utc_iso(until))
    rows = await store.fetch(
        "SELECT started_at, ended_at, transcript, emotion, emotion_scores FROM interactions "
        "WHERE started_at >= ? AND started_at < ? ORDER BY started_at, rowid",
        bounds,
    )
    alerts = await store.fetch(
        "SELECT count(*) AS n FROM alerts WHERE created_at >= ? AND created_at < ?", bounds
    )
    digest = Digest(since, until, interactions=len(rows), alerts=int(alerts[0]["n"]))
    feelings: Counter[str] = Counter()
    for row in rows:
        started = dt.datetime.fromisoformat(row["started_at"])
        if row["ended_at"]:
            ended = dt.datetime.fromisoformat(row["ended_at"])
            digest.talk_s += max(0.0, (ended - started).total_seconds())
        if row["emotion"]:
            feelings[str(row["emotion"])] += 1
        moment = _moment(row, started.astimezone(until.tzinfo), moment_threshold)
        if moment is not None:
            words = _snippet(row["transcript"]) if include_transcript else None
            digest.moments.append(Moment(moment[0], moment[1], moment[2], words))
    digest.feelings = _main(feelings)
    return digest


def _moment(
    row: dict[str, Any], local: dt.datetime, threshold: float
) -> tuple[str, str, float] | None:
    scores = _scores(row["emotion_scores"])
    primary = row["emotion"]
    found = [
        (scores.get(name, 1.0 if primary == name else 0.0), name)
        for name in MOMENT_EMOTIONS
        if primary == name or scores.get(name, 0.0) >= threshold
    ]
    if not found:
        return None
    score, name = max(found)
    return f"{local:%H:%M}", name, round(score, 2)


def _scores(raw: Any) -> dict[str, float]:
    try:
        data = json.loads(raw) if raw else {}
        return {str(k): float(v) for k, v in dict(data).items()}
    except (TypeError, ValueError):
        return {}  # an odd row must not cost the parent the whole digest


def _main(feelings: Counter[str]) -> list[tuple[str, int]]:
    shown = [(name, n) for name, n in feelings.most_common() if name != "neutral"]
    return (shown or feelings.most_common())[:_MAIN_FEELINGS]


def _snippet(text: Any) -> str | None:
    words = " ".join(str(text or "").split())
    if not words:
        return None
    return words if len(words) <= _SNIPPET else words[: _SNIPPET - 1] + "…"


def _word(emotion: str) -> str:
    return _WORDS.get(emotion, emotion)
