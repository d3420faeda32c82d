"""The trained safety classifier: n-gram logistic regression (``features.py``) and the fine-tuned
sentence encoder (``encoder.py``), their class probabilities averaged.

Classes: ``safe`` plus one per unsafe category. The block score of a sentence is
``1 - P(safe)``; the category is the most likely unsafe class. Weights, the encoder's share and
the tuned thresholds ship in ``data/safety_model.npz``, written offline by ``python -m
processors.reply.safety.training`` (numpy and onnxruntime at run time; nothing is downloaded).
The n-grams keep the phrasings they were shown; the encoder reads meaning, word order and
negation in phrasings nobody showed it. The wordllama embedding model is loaded only when the
weights use it (training picks the n-grams alone); if a part cannot load, ``available`` is False
and the filter keeps its rules.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from processors.reply.safety.encoder import SentenceEncoder
from processors.reply.safety.features import HASH_DIM, Features, featurise

log = logging.getLogger(__name__)

DEFAULT_MODEL = Path(__file__).parent / "data" / "safety_model.npz"
SAFE = "safe"
Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Verdict:
    score: float  # 1 - P(safe)
    category: str  # the most likely unsafe category
    blocked: bool


@dataclass(frozen=True)
class Weights:
    classes: tuple[str, ...]
    hashed: Matrix  # (HASH_DIM, classes)
    embedded: Matrix  # (embedding dim, classes)
    bias: Matrix  # (classes,)
    threshold: float  # block when the score reaches it
    rule_threshold: float  # lower bar when a (non-explicit) rule also fired
    encoder_share: float = 0.0  # weight of the sentence encoder's probabilities; 0: n-grams only

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            hashed=self.hashed.astype(np.float16),  # halves the file; scores move < 1e-3
            embedded=self.embedded,
            bias=self.bias,
            thresholds=np.array([self.threshold, self.rule_threshold], np.float32),
            encoder_share=np.float32(self.encoder_share),
        )

    @classmethod
    def load(cls, path: Path) -> Weights:
        with np.load(path) as data:
            hashed = data["hashed"].astype(np.float32)
            if hashed.shape[0] != HASH_DIM:
                raise ValueError(f"{path}: {hashed.shape[0]} hashed rows, expected {HASH_DIM}")
            threshold, rule_threshold = (float(x) for x in data["thresholds"])
            share = float(data["encoder_share"]) if "encoder_share" in data.files else 0.0
            classes = tuple(str(c) for c in data["classes"])
            return cls(
                classes=classes,
                hashed=hashed,
                embedded=data["embedded"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                threshold=threshold,
                rule_threshold=rule_threshold,
                encoder_share=share,
            )

    @cached_property
    def uses_embedding(self) -> bool:
        """False when training chose the n-grams alone (the embedding's weights are all zero)."""
        return bool(np.any(self.embedded))

    def probabilities(self, features: Features) -> Matrix:
        logits = (
            self.bias + features.embedding @ self.embedded if self.uses_embedding else self.bias
        )
        if features.indices.size:
            logits = logits + features.values @ self.hashed[features.indices]
        logits = logits - logits.max()
        exp = np.exp(logits)
        result: Matrix = (exp / exp.sum()).astype(np.float32)
        return result


class SafetyClassifier:
    """``check(sentence, previous)`` -> :class:`Verdict`, or None when the model is unavailable."""

    def __init__(
        self,
        path: Path = DEFAULT_MODEL,
        embedder: Any | None = None,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self._path = path
        self._embedder = embedder
        self._encoder = encoder
        self._weights: Weights | None = None
        self._failed = False
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self._ensure() is not None

    @property
    def weights(self) -> Weights | None:
        return self._ensure()

    def _ensure(self) -> Weights | None:
        if self._weights is not None or self._failed:
            return self._weights
        with self._lock:
            if self._weights is None and not self._failed:
                try:
                    weights = Weights.load(self._path)
                    # an n-gram-only model needs no embedding model (nor its ~50 MiB)
                    if self._embedder is None and weights.uses_embedding:
                        from processors.embedding import load_wordllama

                        self._embedder = load_wordllama()
                    if weights.encoder_share:
                        encoder = self._encoder or SentenceEncoder()
                        if encoder.classes != weights.classes:
                            raise ValueError("the sentence encoder's classes are not the weights'")
                        self._encoder = encoder
                    self._weights = weights
                except Exception:  # any load failure degrades the filter to its rules
                    log.exception("safety: classifier unavailable, using rules only")
                    self._failed = True
        return self._weights

    def embed(self, texts: list[str]) -> Matrix:
        embedder: Any = self._embedder
        vectors: Matrix = np.asarray(embedder.embed(texts, norm=True), dtype=np.float32)
        return vectors

    def check(self, text: str, previous: str = "", rule_fired: bool = False) -> Verdict | None:
        weights = self._ensure()
        if weights is None:
            return None
        if weights.uses_embedding:
            vector = self.embed([text])[0]
        else:
            vector = np.zeros(weights.embedded.shape[0], np.float32)
        probabilities = weights.probabilities(featurise(text, previous, vector))
        if weights.encoder_share and self._encoder is not None:
            share = weights.encoder_share
            read = self._encoder.probabilities(text)
            probabilities = (1.0 - share) * probabilities + share * read
        return verdict(weights, probabilities, rule_fired)


def verdict(weights: Weights, probabilities: Matrix, rule_fired: bool = False) -> Verdict:
    """Score, category and decision from the class probabilities."""
    safe = weights.classes.index(SAFE)
    unsafe = probabilities.copy()
    unsafe[safe] = -1.0
    score = 1.0 - float(probabilities[safe])
    bar = weights.rule_threshold if rule_fired else weights.threshold
    return Verdict(score, weights.classes[int(np.argmax(unsafe))], score >= bar)
