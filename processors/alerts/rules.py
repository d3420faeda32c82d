"""When a parent should be told: emotion thresholds, repeated emotions, unsafe input, keywords.

Rules are plain constructor arguments (the daemon maps its ``[alerts]`` config onto them). Each
rule that fires gives an :class:`Alert` with a stable ``rule`` name (used for deduplication):
``emotion:<name>``, ``emotion_repeat:<name>``, ``input_safety:<category>``,
``output_safety:<category>``, ``keyword:<phrase>``.

``output_safety``: the bear's reply had a high-severity sentence blocked (and replaced). The child
heard something safe, but a parent should know what the conversation was heading towards; the
medium-severity hits (e.g. a spooky line) stay in the history only.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from processors.results import EMOTIONS

SEVERITIES = ("info", "warning", "urgent")
DEFAULT_EMOTION_THRESHOLDS: Mapping[str, float] = {"fear": 0.7, "sadness": 0.75, "anger": 0.75}
DEFAULT_KEYWORDS = (
    "hurt me",
    "hurts me",
    "hit me",
    "hits me",
    "touched me",
    "don't tell",
    "nobody loves me",
    "run away",
    "help me",
)
# Unsafe input in these categories (names from processors/safety/rules.toml) is urgent; the rest
# (e.g. asking where the matches are) is a warning.
URGENT_CATEGORIES = frozenset(
    {"abuse_disclosure", "danger_disclosure", "self_harm", "sexual", "strangers", "violence"}
)
_TOPICS = {
    "abuse_disclosure": "being hurt by someone",
    "danger_disclosure": "being in danger",
    "self_harm": "hurting themselves",
    "sexual": "sexual things",
    "secrets": "keeping secrets",
    "personal_info": "sharing personal details",
}
_EMOTION_WORDS = {"fear": "afraid", "sadness": "sad", "anger": "angry"}
_SNIPPET = 160


@dataclass(frozen=True)
class Alert:
    rule: str
    severity: str
    message: str


@dataclass
class AlertContext:
    """What the alert stage knows about one interaction."""

    interaction_id: str
    text: str = ""  # the child's words
    emotion: str | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    input_safety_hits: list[Mapping[str, Any]] = field(default_factory=list)
    #: the reply's blocked sentences (``Reply.safety_hits``)
    output_safety_hits: list[Mapping[str, Any]] = field(default_factory=list)


class AlertRules:
    """Evaluates one interaction; remembers recent emotions for the "N times in a window" rule."""

    def __init__(
        self,
        emotions: Mapping[str, float] | None = None,
        repeat_count: int = 3,
        repeat_window_s: float = 900.0,
        repeat_threshold: float = 0.4,
        safety_categories: Iterable[str] | None = None,
        keywords: Iterable[str] = DEFAULT_KEYWORDS,
        include_transcript: bool = True,
        output_safety: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        thresholds = dict(DEFAULT_EMOTION_THRESHOLDS if emotions is None else emotions)
        for name, value in thresholds.items():
            if name not in EMOTIONS:
                raise ValueError(f"alerts.emotions: unknown emotion {name!r}; one of {EMOTIONS}")
            if not 0.0 < float(value) <= 1.0:
                raise ValueError(f"alerts.emotions.{name} = {value!r}: must be in (0, 1]")
        if repeat_count < 0 or repeat_window_s <= 0 or not 0.0 < repeat_threshold <= 1.0:
            raise ValueError(
                "alerts repeat rule: repeat_count >= 0 (0 = off), repeat_window_s > 0, "
                "repeat_threshold in (0, 1]"
            )
        self.emotions = {k: float(v) for k, v in thresholds.items()}
        self.repeat_count = repeat_count
        self.repeat_window_s = repeat_window_s
        self.repeat_threshold = repeat_threshold
        self.safety_categories = (
            None if safety_categories is None else {_norm(c) for c in safety_categories}
        )
        self.keywords = [k.strip() for k in keywords if k.strip()]
        self._keyword_res = [
            (k, re.compile(r"(?<!\w)" + re.escape(_norm_text(k)) + r"(?!\w)"))
            for k in self.keywords
        ]
        self.include_transcript = include_transcript
        self.output_safety = output_safety
        self._clock = clock
        self._seen: dict[str, deque[float]] = {name: deque() for name in self.emotions}

    def evaluate(self, ctx: AlertContext) -> list[Alert]:
        alerts = self._emotion_alerts(ctx)
        alerts += self._safety_alerts(ctx)
        alerts += self._output_safety_alerts(ctx)
        alerts += self._keyword_alerts(ctx)
        return alerts

    def _quote(self, ctx: AlertContext) -> str:
        if not self.include_transcript or not ctx.text.strip():
            return ""
        text = " ".join(ctx.text.split())
        if len(text) > _SNIPPET:
            text = text[: _SNIPPET - 1] + "…"
        return f' They said: "{text}"'

    def _emotion_alerts(self, ctx: AlertContext) -> list[Alert]:
        alerts: list[Alert] = []
        now = self._clock()
        for name, threshold in self.emotions.items():
            score = float(ctx.scores.get(name, 1.0 if ctx.emotion == name else 0.0))
            word = _EMOTION_WORDS.get(name, name)
            if score >= threshold:
                alerts.append(
                    Alert(
                        f"emotion:{name}",
                        "warning",
                        f"Your child sounded {word} ({name} {score:.2f}).{self._quote(ctx)}",
                    )
                )
            if self.repeat_count and score >= self.repeat_threshold:
                seen = self._seen[name]
                seen.append(now)
                while seen and now - seen[0] > self.repeat_window_s:
                    seen.popleft()
                if len(seen) >= self.repeat_count:
                    minutes = self.repeat_window_s / 60
                    alerts.append(
                        Alert(
                            f"emotion_repeat:{name}",
                            "warning",
                            f"Your child sounded {word} {len(seen)} times in the last "
                            f"{minutes:.0f} minutes.{self._quote(ctx)}",
                        )
                    )
        return alerts

    def _safety_alerts(self, ctx: AlertContext) -> list[Alert]:
        alerts: list[Alert] = []
        fired: set[str] = set()
        for hit in ctx.input_safety_hits:
            category = _norm(str(hit.get("category") or hit.get("rule") or "unsafe"))
            if self.safety_categories is not None and category not in self.safety_categories:
                continue
            if category in fired:
                continue
            fired.add(category)
            severity = "urgent" if category in URGENT_CATEGORIES else "warning"
            topic = _TOPICS.get(category, category.replace("_", " "))
            alerts.append(
                Alert(
                    f"input_safety:{category}",
                    severity,
                    f"Your child said something about {topic} that a grown-up should look at."
                    f"{self._quote(ctx)}",
                )
            )
        return alerts

    def _output_safety_alerts(self, ctx: AlertContext) -> list[Alert]:
        if not self.output_safety:
            return []
        alerts: list[Alert] = []
        fired: set[str] = set()
        for hit in ctx.output_safety_hits:
            category = _norm(str(hit.get("category") or "unsafe"))
            if hit.get("severity") != "high" or category in fired:
                continue
            if self.safety_categories is not None and category not in self.safety_categories:
                continue
            fired.add(category)
            topic = _TOPICS.get(category, category.replace("_", " "))
            alerts.append(
                Alert(
                    f"output_safety:{category}",
                    "warning",
                    f"The bear's reply turned to {topic}; that sentence was not spoken and a "
                    f"safe one was said instead.{self._quote(ctx)}",
                )
            )
        return alerts

    def _keyword_alerts(self, ctx: AlertContext) -> list[Alert]:
        text = _norm_text(ctx.text)
        return [
            Alert(
                f"keyword:{keyword}",
                "warning",
                f'Your child used the words "{keyword}".{self._quote(ctx)}',
            )
            for keyword, pattern in self._keyword_res
            if pattern.search(text)
        ]


def _norm(category: str) -> str:
    return category.strip().lower().replace("-", "_").replace(" ", "_")


def _norm_text(text: str) -> str:
    """Lower case, typographic apostrophes straightened, spaces collapsed."""
    return " ".join(text.lower().replace("\u2019", "'").split())
