"""One feature vector per utterance for the emotion classifier: embedding + VADER + rule cues.

All three sources go into ONE logistic regression, so how much each rule or VADER's polarity
counts is learned from labelled sentences instead of set by hand (hand gains made the rules
hurt on new sentences). Layout (``FEATURE_DIM`` columns):

* 256 wordllama embedding dimensions (L2-normalised, so each is small),
* VADER neg, neu, pos, compound, and "no polarity" (|compound| < ``NEUTRAL_BAND``),
* per class: the rule weight squashed to 0..1 (``tanh``) and whether a cue of it was negated,
* whether no rule fired at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from processors.emotion_labels import EMOTIONS
from processors.emotion_rules import RuleHits, apply_rules

EMBED_DIM: Final = 256
NEUTRAL_BAND: Final = 0.05
VADER_KEYS: Final = ("neg", "neu", "pos", "compound")
#: scale of the non-embedding features relative to the embedding (whose entries are ~0.06):
#: with one L2 penalty for all weights, this sets how cheaply the model may lean on them
CUE_SCALE: Final = 1.0
FEATURE_DIM: Final = EMBED_DIM + len(VADER_KEYS) + 1 + 2 * len(EMOTIONS) + 1

Matrix = npt.NDArray[np.float64]


def cue_features(sentiment: dict[str, float], hits: RuleHits) -> list[float]:
    """The non-embedding part of the vector (VADER + rules), before ``CUE_SCALE``."""
    compound = sentiment["compound"]
    values = [sentiment[k] for k in VADER_KEYS]
    values.append(1.0 if abs(compound) < NEUTRAL_BAND else 0.0)
    values += [math.tanh(hits.weights[e]) for e in EMOTIONS]
    values += [1.0 if e in hits.negated else 0.0 for e in EMOTIONS]
    values.append(1.0 if hits.total == 0.0 else 0.0)
    return values


def featurize(
    model: Any, vader: Any, texts: Sequence[str]
) -> tuple[Matrix, list[RuleHits], list[dict[str, float]]]:
    """Feature rows for the texts, with the rule hits and VADER scores that went into them."""
    if not texts:
        return np.zeros((0, FEATURE_DIM)), [], []
    embedded = np.asarray(model.embed(list(texts), norm=True), dtype=np.float64)
    if embedded.shape != (len(texts), EMBED_DIM):
        raise ValueError(f"embedding model gives shape {embedded.shape}, expected (n, {EMBED_DIM})")
    hits = [apply_rules(t) for t in texts]
    sentiments = [{k: float(v) for k, v in vader.polarity_scores(t).items()} for t in texts]
    cues = np.array([cue_features(s, h) for s, h in zip(sentiments, hits, strict=True)])
    return np.hstack([embedded, CUE_SCALE * cues]), hits, sentiments
