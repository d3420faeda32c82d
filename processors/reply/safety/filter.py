"""Applying the safety rules: per reply sentence (before it is spoken) and on the child's words.

A reply sentence that hits an output rule is replaced by the category's safe redirection (once
per reply; later blocked sentences are dropped so the bear does not repeat itself) and the hit is
recorded with the rule id. The child's input is checked against input-scoped rules so alerts can
escalate ("someone hurt me"). Reply sentences the rules pass are then checked by the semantic
layer (nearest prototypes, ``semantic.py``); its hits carry the rule id ``semantic.<category>``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from processors.reply.safety.rules import Rule, RuleSet, load_rules
from processors.reply.safety.semantic import SemanticLayer

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


_SHARED_SEMANTIC: SemanticLayer | None = None


def shared_semantic() -> SemanticLayer:
    """One semantic layer per process: its prototypes are embedded once, on first use."""
    global _SHARED_SEMANTIC
    if _SHARED_SEMANTIC is None:
        _SHARED_SEMANTIC = SemanticLayer()
    return _SHARED_SEMANTIC


class SafetyFilter:
    """Rules (the bundled ``rules.toml`` by default) plus, on replies, the semantic layer.

    ``semantic``: ``True`` for the shared layer, ``False`` for rules only, or a layer instance.
    """

    def __init__(self, rules: RuleSet | None = None, semantic: SemanticLayer | bool = True) -> None:
        self.rules = rules or load_rules()
        if isinstance(semantic, SemanticLayer):
            self.semantic: SemanticLayer | None = semantic
        else:
            self.semantic = shared_semantic() if semantic else None

    def check(self, text: str, scope: str = "output") -> list[SafetyHit]:
        """All rules of ``scope`` that fire on ``text`` (one hit per rule)."""
        clean = normalise(text)
        hits = []
        for rule in self.rules.rules:
            if scope not in rule.scope:
                continue
            found = self._first_match(rule, clean)
            if found is not None:
                hits.append(SafetyHit(rule.id, rule.category, rule.severity, found, clean))
        if not hits and scope == "output" and self.semantic is not None:
            near = self.semantic.check(clean)
            if near is not None:
                rule_id = f"semantic.{near.category}"
                match = f"similar to: {near.nearest}"
                hits.append(SafetyHit(rule_id, near.category, "medium", match, clean))
        return hits

    def check_input(self, text: str) -> list[SafetyHit]:
        return self.check(text, "input")

    def is_safe(self, sentence: str) -> bool:
        return not self.check(sentence, "output")

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
    """Filters the sentences of one reply in order; keeps the hits for the result."""

    safety: SafetyFilter
    hits: list[dict[str, Any]] = field(default_factory=list)
    _redirected: bool = False

    def apply(self, sentence: str) -> str | None:
        """The sentence to speak: itself, its redirection, or ``None`` (dropped)."""
        found = self.safety.check(sentence, "output")
        if not found:
            return sentence
        replacement = None
        if not self._redirected:
            replacement = self.safety.rules.redirect_for(found[0].category)
            self._redirected = True
        for hit in found:
            self.hits.append({**hit.to_dict(), "replacement": replacement})
        return replacement
