"""Child-safety rules and their filter: on replies (output) and on the child's words (input)."""

from processors.reply.safety.filter import (
    ReplyFilter,
    SafetyFilter,
    SafetyHit,
    normalise,
    shared_semantic,
)
from processors.reply.safety.rules import DEFAULT_RULES, Rule, RuleSet, RuleSetError, load_rules
from processors.reply.safety.semantic import SemanticHit, SemanticLayer

__all__ = [
    "DEFAULT_RULES",
    "ReplyFilter",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "SafetyFilter",
    "SafetyHit",
    "SemanticHit",
    "SemanticLayer",
    "load_rules",
    "normalise",
    "shared_semantic",
]
