"""The nine emotion classes and where each sits on the valence/arousal plane."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from processors.results import (
    EMOTIONS as EMOTIONS,
)  # the stage's vocabulary, defined with its result

#: (valence -1..1, arousal 0..1) of each class; a circumplex-style placement used to turn a score
#: distribution into valence/arousal when no acoustic cues are available.
AFFECT: Final[Mapping[str, tuple[float, float]]] = {
    "joy": (0.8, 0.65),
    "sadness": (-0.7, 0.25),
    "fear": (-0.7, 0.8),
    "anger": (-0.6, 0.85),
    "surprise": (0.2, 0.85),
    "disgust": (-0.6, 0.55),
    "trust": (0.6, 0.35),
    "anticipation": (0.4, 0.6),
    "neutral": (0.0, 0.4),
}

POSITIVE: Final = frozenset({"joy", "trust", "anticipation"})
NEGATIVE: Final = frozenset({"sadness", "fear", "anger", "disgust"})


def normalized(scores: Mapping[str, float]) -> dict[str, float]:
    """All nine classes, non-negative, summing to 1 (all neutral if nothing scored)."""
    clean = {e: max(0.0, float(scores.get(e, 0.0))) for e in EMOTIONS}
    total = sum(clean.values())
    if total <= 0.0:
        return {e: (1.0 if e == "neutral" else 0.0) for e in EMOTIONS}
    return {e: v / total for e, v in clean.items()}


def primary_of(scores: Mapping[str, float]) -> str:
    """The top class; an exact tie goes to the class listed first in EMOTIONS."""
    return max(EMOTIONS, key=lambda e: (scores.get(e, 0.0), -EMOTIONS.index(e)))


def affect_of(scores: Mapping[str, float]) -> tuple[float, float]:
    """Expected (valence, arousal) under a score distribution."""
    valence = sum(scores.get(e, 0.0) * AFFECT[e][0] for e in EMOTIONS)
    arousal = sum(scores.get(e, 0.0) * AFFECT[e][1] for e in EMOTIONS)
    return valence, arousal
