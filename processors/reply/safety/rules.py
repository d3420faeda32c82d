"""Loading and validating the child-safety rule set (``rules.toml``, data kept beside this file).

Each rule: ``id``, ``category``, ``severity`` (low|medium|high), ``scope`` (output and/or input),
``patterns`` (case-insensitive regexes, written with word boundaries), ``unless`` (benign senses:
a hit inside such a match is ignored), and the flags ``negatable`` (safety advice such as "never
touch matches" is fine) and ``supervised_ok`` ("ask a grown-up to cut it" is fine).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_RULES = Path(__file__).with_name("rules.toml")
SEVERITIES = ("low", "medium", "high")
SCOPES = ("output", "input")


class RuleSetError(ValueError):
    """The rule file is unreadable or a rule is invalid (the message names the rule and key)."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    scope: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    negatable: bool
    supervised_ok: bool
    explicit: bool = False  # clear-cut content: blocks a reply without the classifier's say


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    redirects: dict[str, str]
    negation: re.Pattern[str]
    supervision: re.Pattern[str]

    @functools.cached_property
    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def redirect_for(self, category: str) -> str:
        return self.redirects.get(category, self.redirects["default"])


def _compile(where: str, patterns: Any) -> tuple[re.Pattern[str], ...]:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise RuleSetError(f"{where}: expected a list of regex strings")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern.strip(), re.IGNORECASE))
        except re.error as exc:
            raise RuleSetError(f"{where}: bad regex {pattern!r}: {exc}") from exc
    return tuple(compiled)


def _rule(index: int, raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise RuleSetError(f"rules[{index}]: expected a table")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleSetError(f"rules[{index}]: missing id")
    where = f"rule {rule_id}"
    unknown = set(raw) - {
        "id", "category", "severity", "scope", "patterns", "unless", "negatable", "supervised_ok",
        "explicit",
    }  # fmt: skip
    if unknown:
        raise RuleSetError(f"{where}: unknown keys {sorted(unknown)}")
    severity = raw.get("severity", "medium")
    if severity not in SEVERITIES:
        raise RuleSetError(f"{where}: severity {severity!r} not in {SEVERITIES}")
    scope = raw.get("scope", ["output"])
    if not isinstance(scope, list) or not scope or not set(scope) <= set(SCOPES):
        raise RuleSetError(f"{where}: scope {scope!r} must be a non-empty list of {SCOPES}")
    category = raw.get("category")
    if not isinstance(category, str) or not category:
        raise RuleSetError(f"{where}: missing category")
    patterns = _compile(f"{where}.patterns", raw.get("patterns"))
    if not patterns:
        raise RuleSetError(f"{where}: no patterns")
    return Rule(
        id=rule_id,
        category=category,
        severity=severity,
        scope=frozenset(scope),
        patterns=patterns,
        unless=_compile(f"{where}.unless", raw.get("unless", [])),
        negatable=bool(raw.get("negatable", False)),
        supervised_ok=bool(raw.get("supervised_ok", False)),
        explicit=bool(raw.get("explicit", False)),
    )


def load_rules(path: Path | str = DEFAULT_RULES) -> RuleSet:
    """Parse and validate a rule file; raise ``RuleSetError`` naming what is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleSetError(f"cannot read safety rules {path}: {exc}") from exc
    rules = tuple(_rule(i, raw) for i, raw in enumerate(data.get("rules", [])))
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuleSetError(f"duplicate rule ids: {duplicates}")
    redirects = data.get("redirects", {})
    if not isinstance(redirects, dict) or "default" not in redirects:
        raise RuleSetError("[redirects] must be a table with at least a 'default' line")
    missing = sorted({r.category for r in rules if "output" in r.scope} - set(redirects))
    if missing:
        raise RuleSetError(f"[redirects] has no line for categories {missing}")
    context = data.get("context", {})
    (negation,) = _compile("context.negation", [context.get("negation", r"(?!x)x")])
    (supervision,) = _compile("context.supervision", [context.get("supervision", r"(?!x)x")])
    return RuleSet(
        version=str(data.get("version", "0")),
        rules=rules,
        redirects={str(k): str(v) for k, v in redirects.items()},
        negation=negation,
        supervision=supervision,
    )
