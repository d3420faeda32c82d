"""Child-safety rules and their filter: on replies (output) and on the child's words (input)."""

from processors.safety.filter import ReplyFilter, SafetyFilter, SafetyHit, normalise
from processors.safety.rules import DEFAULT_RULES, Rule, RuleSet, RuleSetError, load_rules

__all__ = [
    "DEFAULT_RULES",
    "ReplyFilter",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "SafetyFilter",
    "SafetyHit",
    "load_rules",
    "normalise",
]
