"""Hand-written cues for how children say what they feel: words, phrases, negation, intensifiers.

A small, inspectable lexicon (not the research-only NRC list): each cue adds weight to one class.
Multi-word child phrasings ("I miss my ...", "it's not fair", "can't wait") are matched first and
masked, so their words are not read again as single cues (the "not" in "not fair" must not negate).
A negator shortly before a single-word cue turns it into its opposite or drops it ("not happy" is
sad, "not scared" is not fear); an intensifier shortly before multiplies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from processors.emotion.labels import EMOTIONS
from processors.emotion.lexicon import INTENSIFIERS, NEGATED_TO, NEGATORS, PHRASES, WORDS

_NEGATION_WINDOW = 3
_INTENSIFIER_WINDOW = 2
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[!?]")
_COMPILED = tuple((name, re.compile(p), emo, w) for name, p, emo, w in PHRASES)
_PREFIXES = tuple((k[:-1], v) for k, v in WORDS.items() if k.endswith("*"))


@dataclass
class RuleHits:
    """Per-class weight from the rules and the evidence (words and rule names) that gave it."""

    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EMOTIONS, 0.0))
    evidence: list[str] = field(default_factory=list)
    #: classes whose cue words were negated ("not happy"): a bag-of-words embedding cannot see
    #: the negation, so the classifier must not trust its similarity to those classes
    negated: set[str] = field(default_factory=set)

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def add(self, emotion: str, weight: float, why: str) -> None:
        self.weights[emotion] += weight
        if weight > 0 and why not in self.evidence:
            self.evidence.append(why)


def normalize_text(text: str) -> str:
    """Lower-case, straight apostrophes, collapsed whitespace."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return " ".join(text.split())


def _word_cue(token: str) -> tuple[str, float] | None:
    if token in WORDS:
        return WORDS[token]
    for prefix, cue in _PREFIXES:
        if token.startswith(prefix):
            return cue
    return None


def apply_rules(text: str) -> RuleHits:
    """Score one utterance with the phrase rules, then the word cues with negation/intensifiers."""
    norm = normalize_text(text)
    hits = RuleHits()
    masked = norm
    for name, pattern, emotion, weight in _COMPILED:
        found = pattern.search(masked)
        if found:
            hits.add(emotion, weight, f"rule:{name}")
            # Mask the phrase so its words are not scored again (or negate something else).
            span = found.group(0)
            masked = masked[: found.start()] + " # " * len(span.split()) + masked[found.end() :]
    tokens = _TOKEN.findall(masked)
    for i, token in enumerate(tokens):
        cue = _word_cue(token)
        if cue is None:
            continue
        emotion, weight = cue
        before = tokens[max(0, i - _NEGATION_WINDOW) : i]
        if any(t in NEGATORS for t in before):
            hits.negated.add(emotion)
            target, factor = NEGATED_TO.get(emotion, (None, 0.0))
            if target is not None:
                hits.add(target, weight * factor, f"not {token}")
            else:
                hits.evidence.append(f"not {token}")
            continue
        for t in tokens[max(0, i - _INTENSIFIER_WINDOW) : i]:
            weight *= INTENSIFIERS.get(t, 1.0)
        hits.add(emotion, weight, token)
    exclamations = norm.count("!")
    if exclamations and hits.total > 0:
        # "!" strengthens whatever was said, it carries no class of its own.
        top = max(hits.weights, key=lambda e: hits.weights[e])
        hits.weights[top] *= 1.0 + 0.2 * min(exclamations, 3)
    return hits
