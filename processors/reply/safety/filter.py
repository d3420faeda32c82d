"""Applying the safety rules: per reply sentence (before it is spoken) and on the child's words.

A blocked reply sentence is replaced by a line that fits the category and the reply so far
(once per reply; later blocked sentences are dropped so the bear does not repeat itself) and the
hit is recorded with its rule id and the replacement, for the parent. The child's input is
checked against input-scoped rules so alerts can escalate ("someone hurt me"). Reply sentences
are also read by the trained classifier (``model.py``), which decides what the topic rules alone
cannot: see :class:`SafetyFilter`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from processors.reply.safety.model import SafetyClassifier
from processors.reply.safety.replacements import replacement
from processors.reply.safety.rules import Rule, RuleSet, load_rules

_CLAUSE_BREAK = re.compile(r"[;:]|\b(?:but|then|so|and then|first)\b", re.I)
# curly quotes and unicode hyphens -> ASCII, so patterns need only "'" and "-"
_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}
    | {"\u2010": "-", "\u2011": "-", "\u2013": "-"}
)


def normalise(text: str) -> str:
    """NFKC, straight quotes, single spaces: what the patterns are written against."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split())


@dataclass(frozen=True)
class SafetyHit:
    rule: str
    category: str
    severity: str
    match: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "match": self.match,
            "text": self.text,
        }


_SHARED: SafetyClassifier | None = None
#: categories whose blocked replies the parent should hear about urgently (the alert rules decide)
HIGH = frozenset(
    "weapons fire_heat electricity water medicine_drugs sexual self_harm strangers secrecy "
    "dangerous_challenges food_choking_poison manipulation_isolation risky_climbing_heights "
    "vehicles_roads".split()
)


def shared_classifier() -> SafetyClassifier:
    """One classifier per process: its weights and the embedding model load once, lazily."""
    global _SHARED
    if _SHARED is None:
        _SHARED = SafetyClassifier()
    return _SHARED


class SafetyFilter:
    """Rules (the bundled ``rules.toml``) plus, on replies, the trained classifier.

    On replies: an ``explicit`` rule blocks by itself; another rule's hit blocks only when the
    classifier agrees at its lower ``rule_threshold`` (rules match topic, the model reads
    meaning: "ask your dad to cut it" names a knife too); with no rule, the classifier blocks at
    its ``threshold`` (hit ``model.<category>``). Without the classifier every rule blocks, as
    before. ``model``: ``True`` for the shared classifier, ``False`` for rules only, or one.
    """

    def __init__(self, rules: RuleSet | None = None, model: SafetyClassifier | bool = True) -> None:
        self.rules = rules or load_rules()
        if isinstance(model, SafetyClassifier):
            self.model: SafetyClassifier | None = model
        else:
            self.model = shared_classifier() if model else None

    def check(self, text: str, scope: str = "output", previous: str = "") -> list[SafetyHit]:
        """The hits that block ``text`` in ``scope``; ``previous`` is the sentence before it."""
        clean = normalise(text)
        hits = []
        for rule in self.rules.rules:
            if scope not in rule.scope:
                continue
            found = self._first_match(rule, clean)
            if found is not None:
                hits.append(SafetyHit(rule.id, rule.category, rule.severity, found, clean))
        if scope != "output" or self.model is None or not self.model.available:
            return hits
        if any(self.rules.by_id[hit.rule].explicit for hit in hits):
            return [hit for hit in hits if self.rules.by_id[hit.rule].explicit]
        verdict = self.model.check(clean, normalise(previous), rule_fired=bool(hits))
        if verdict is None or not verdict.blocked:
            return []
        if hits:
            return hits
        severity = "high" if verdict.category in HIGH else "medium"
        match = f"classifier score {verdict.score:.2f}"
        return [SafetyHit(f"model.{verdict.category}", verdict.category, severity, match, clean)]

    def check_input(self, text: str) -> list[SafetyHit]:
        return self.check(text, "input")

    def is_safe(self, sentence: str, previous: str = "") -> bool:
        return not self.check(sentence, "output", previous)

    def _first_match(self, rule: Rule, text: str) -> str | None:
        for pattern in rule.patterns:
            for match in pattern.finditer(text):
                if self._benign(rule, text, match):
                    continue
                return match.group(0)
        return None

    def _benign(self, rule: Rule, text: str, match: re.Match[str]) -> bool:
        start, end = match.span()
        for benign in rule.unless:
            for other in benign.finditer(text):
                if other.start() <= start and end <= other.end():
                    return True
        # context only counts inside the hit's own clause: "a grown-up can help, but grab the knife"
        clause_start, clause_end = 0, len(text)
        for brk in _CLAUSE_BREAK.finditer(text):
            if brk.end() <= start:
                clause_start = brk.end()
            elif brk.start() >= end:
                clause_end = brk.start()
                break
        if rule.negatable and self.rules.negation.search(text[clause_start:start]):
            return True
        return rule.supervised_ok and bool(
            self.rules.supervision.search(text[clause_start:clause_end])
        )


@dataclass
class ReplyFilter:
    """Filters the sentences of one reply in order; keeps the hits for the result.

    Each sentence is judged with the one before it as context. The first blocked sentence is
    replaced by a line that fits the reply so far (``replacements.py``); later blocked sentences
    are dropped so the bear does not repeat its redirection.
    """

    safety: SafetyFilter
    hits: list[dict[str, Any]] = field(default_factory=list)
    _redirected: bool = False
    _previous: str = ""
    _spoke: bool = False

    def apply(self, sentence: str) -> str | None:
        """The sentence to speak: itself, its replacement, or ``None`` (dropped)."""
        found = self.safety.check(sentence, "output", self._previous)
        self._previous = sentence
        if not found:
            self._spoke = True
            return sentence
        line = None
        if not self._redirected:
            line = replacement(found[0].category, sentence, self._spoke)
            self._redirected = self._spoke = True
        for hit in found:
            self.hits.append({**hit.to_dict(), "replacement": line})
        return line
