"""The child's profile in a reply prompt: pick the few facts that fit this utterance, render them.

Shared by the reply stage (the prompt block, the offline responder's personal touch) and the
daemon (benchmarks, tests); facts arrive as plain mappings ``{id, kind, subject, value,
updated_at}`` from the history's ``profile_facts`` table. A fact's score is its similarity to the
child's words (the wordllama embedding of :mod:`processors.embedding`, word overlap without it)
plus its kind's weight plus how recent it is; the best go in until ``max_facts`` or
``max_chars`` is reached, so the prompt stays bounded however large the profile grows.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

HEADER = (
    "What you know about the child from earlier talks (use it only when it fits naturally; "
    "never ask for more personal details):"
)
#: how much a kind matters before any similarity (the name and age help in any reply)
KIND_WEIGHT = {
    "name": 0.6,
    "age": 0.4,
    "pet": 0.3,
    "family": 0.25,
    "friend": 0.25,
    "event": 0.3,
    "likes": 0.15,
    "fear": 0.1,
}
RECENCY_WEIGHT = 0.2
RECENCY_DAYS = 30.0
OVERLAP_BONUS = 0.5
_SAFE = re.compile(r"[^A-Za-z0-9' -]")
_WORD = re.compile(r"[a-z']+")
_CACHE_LIMIT = 4096


def _clean(text: object, limit: int = 40) -> str:
    # facts come from a child's words: only plain words reach the prompt (no instructions)
    return " ".join(_SAFE.sub(" ", str(text or "")).split())[:limit]


def _relative(day: dt.date, today: dt.date) -> str:
    delta = (day - today).days
    names = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if delta in names:
        return names[delta]
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


def fact_line(fact: Mapping[str, Any], today: dt.date | None = None) -> str:
    """One fact as a short sentence about the child."""
    kind = str(fact.get("kind", ""))
    subject, value = _clean(fact.get("subject"), 24), _clean(fact.get("value"))
    if kind == "name":
        return f"Their name is {value}."
    if kind == "age":
        return f"They are {value} years old."
    if kind in ("pet", "family"):
        return f"Their {subject or kind} is called {value}."
    if kind == "friend":
        return f"Their {subject or 'friend'} is {value}."
    if kind == "likes":
        return f"Their favourite {subject} is {value}." if subject else f"They like {value}."
    if kind == "fear":
        return f"They are scared of {value}."
    if kind == "event":
        try:
            day = dt.date.fromisoformat(subject)
        except ValueError:
            return f"Coming up for them: {value}."
        when = day.strftime("%A %d %B")
        if today is not None:
            when += f" ({_relative(day, today)})"
        return f"Their {value}: {when}."
    return f"{subject} {value}".strip() + "."


def _topic(fact: Mapping[str, Any]) -> str:
    return f"{fact.get('kind', '')} {fact.get('subject', '')} {fact.get('value', '')}".strip()


@dataclass(frozen=True, slots=True)
class _Features:
    """What scoring needs of one fact, computed once per fact text and time."""

    topic: str
    words: frozenset[str]
    weight: float
    stamp: float  # POSIX seconds of its last mention (NaN: unknown)
    usable: bool


class FactIndex:
    """Scores facts against an utterance; keeps each fact's features and embedding once
    computed, so a reply pays for the utterance's embedding and a few array operations."""

    def __init__(self, embedder: Any | None = None) -> None:
        self._embedder = embedder
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._features: dict[tuple[Any, ...], _Features] = {}
        self._matrix: tuple[tuple[str, ...], npt.NDArray[np.float32]] | None = None
        self._tried = embedder is not None

    def _model(self) -> Any | None:
        if not self._tried:
            self._tried = True
            try:
                from processors.embedding import load_wordllama

                self._embedder = load_wordllama()
            except Exception as exc:  # no embedding: word overlap still ranks the facts
                log.warning("profile: embedding unavailable (%s); ranking by words", exc)
        return self._embedder

    def _feature(self, fact: Mapping[str, Any]) -> _Features:
        when = fact.get("updated_at") or fact.get("created_at")
        key = (fact.get("kind"), fact.get("subject"), fact.get("value"), when)
        found = self._features.get(key)
        if found is None:
            if len(self._features) >= _CACHE_LIMIT:
                self._features.clear()
            words = _WORD.findall(f"{fact.get('subject')} {fact.get('value')}".lower())
            found = _Features(
                topic=_topic(fact),
                words=frozenset(words),
                weight=KIND_WEIGHT.get(str(fact.get("kind")), 0.0),
                stamp=_stamp(when),
                usable=bool(_clean(fact.get("value"))),
            )
            self._features[key] = found
        return found

    def similarities(self, text: str, topics: Sequence[str]) -> npt.NDArray[np.float32]:
        model = self._model()
        if model is None or not topics:
            return np.zeros(len(topics), dtype=np.float32)
        key = tuple(topics)
        if self._matrix is None or self._matrix[0] != key:
            missing = [t for t in dict.fromkeys(topics) if t not in self._vectors]
            if len(self._vectors) + len(missing) > _CACHE_LIMIT:
                self._vectors.clear()
                missing = list(dict.fromkeys(topics))
            if missing:
                for topic, vector in zip(missing, model.embed(missing, norm=True), strict=True):
                    self._vectors[topic] = vector
            self._matrix = (key, np.stack([self._vectors[t] for t in topics]))
        query = model.embed([text], norm=True)[0]
        scores: npt.NDArray[np.float32] = np.nan_to_num(self._matrix[1] @ query)
        return scores

    def select(
        self,
        facts: Iterable[Mapping[str, Any]],
        text: str,
        *,
        max_facts: int,
        max_chars: int,
        now: dt.datetime | None = None,
    ) -> list[Mapping[str, Any]]:
        """The facts that fit ``text`` best, at most ``max_facts`` whose lines total at most
        ``max_chars`` characters, best first."""
        if max_facts <= 0 or max_chars <= 0:
            return []
        pairs = [(f, self._feature(f)) for f in facts]
        pairs = [(f, ft) for f, ft in pairs if ft.usable]
        if not pairs:
            return []
        now = now or dt.datetime.now(dt.UTC)
        feats = [ft for _, ft in pairs]
        words = set(_WORD.findall(text.lower()))
        age_days = (now.timestamp() - np.fromiter((ft.stamp for ft in feats), float)) / 86_400
        age_days = np.nan_to_num(np.maximum(age_days, 0.0), nan=RECENCY_DAYS * 10)
        score = self.similarities(text, [ft.topic for ft in feats]).astype(np.float64)
        score += np.fromiter((ft.weight for ft in feats), float)
        score += RECENCY_WEIGHT * np.exp(-age_days / RECENCY_DAYS)
        # the child named the dog, or said "dog"
        score += OVERLAP_BONUS * np.fromiter((bool(words & ft.words) for ft in feats), float)
        order = np.lexsort((np.arange(len(feats)), -score))  # best first; ties: given order
        chosen: list[Mapping[str, Any]] = []
        used = 0
        today = now.astimezone().date()
        for i in order:
            fact = pairs[int(i)][0]
            cost = len(fact_line(fact, today)) + 3  # "- " and the newline
            if used + cost > max_chars:
                continue
            chosen.append(fact)
            used += cost
            if len(chosen) >= max_facts:
                break
        return chosen


def _stamp(when: object) -> float:
    try:
        moment = dt.datetime.fromisoformat(str(when))
    except ValueError:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def render_block(facts: Sequence[Mapping[str, Any]], today: dt.date | None = None) -> str:
    """The prompt block for the chosen facts ("" for none)."""
    if not facts:
        return ""
    return "\n".join([HEADER, *(f"- {fact_line(f, today)}" for f in facts)])


_shared: FactIndex | None = None


def shared_index() -> FactIndex:
    """One index per process (the embedding model and the fact vectors are loaded once)."""
    global _shared
    if _shared is None:
        _shared = FactIndex()
    return _shared
