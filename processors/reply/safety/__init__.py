"""Child-safety rules, the trained reply classifier and their filter (output and input)."""

from processors.reply.safety.filter import (
    ReplyFilter,
    SafetyFilter,
    SafetyHit,
    normalise,
    shared_classifier,
)
from processors.reply.safety.model import SafetyClassifier, Verdict
from processors.reply.safety.rules import DEFAULT_RULES, Rule, RuleSet, RuleSetError, load_rules

__all__ = [
    "DEFAULT_RULES",
    "ReplyFilter",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "SafetyClassifier",
    "SafetyFilter",
    "SafetyHit",
    "Verdict",
    "load_rules",
    "normalise",
    "shared_classifier",
]
