"""Second safety layer: nearest prototypes in wordllama embedding space, for what the rules miss.

A sentence is flagged when the mean cosine of its ``k`` nearest unsafe prototypes beats the mean of
its ``k`` nearest benign prototypes by ``margin``; the category is the one most frequent among those
``k`` unsafe neighbours. ``k`` and ``margin`` were chosen by leave-one-out on the tuning corpora
(k=5, margin 0.05: about 52 % of unsafe and 4 % of the tricky benign sentences flagged on their
own), i.e. conservatively: it catches paraphrases the patterns never saw at a small over-block
cost. Bag-of-words embeddings cannot read negation, so safety advice ("never touch...", "ask a
grown-up") is left to the rules. The model is loaded lazily and once per process; if it cannot
load, the filter keeps working on rules alone.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

DEFAULT_PROTOTYPES = Path(__file__).with_name("prototypes.txt")
BENIGN = "benign"
_LINE = re.compile(r"^\[(?P<category>[\w-]+)\]\s*(?P<text>.+)$")
# advice and supervision: embeddings cannot see that these turn a risky sentence into a safe one
_ADVICE = re.compile(
    r"\b(never|don't|do not|dont|not safe|isn't safe|is not safe|only for grown-?ups|stay away"
    r"|keep away|ask (a|your) grown-?up|with (a|your) grown-?up|tell (a|your) grown-?up)\b",
    re.IGNORECASE,
)


@functools.cache
def shared_wordllama() -> Any:
    """One wordllama model per process (the emotion stage can share it: see its loader)."""
    from processors.embedding import load_wordllama

    return load_wordllama()


@dataclass(frozen=True)
class SemanticHit:
    category: str
    margin: float  # unsafe minus benign neighbour similarity
    nearest: str  # the closest unsafe prototype, for the record


def load_prototypes(path: Path = DEFAULT_PROTOTYPES) -> list[tuple[str, str]]:
    """(category, sentence) pairs; ``benign`` marks the safe ones."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"{path}:{number}: expected '[category] sentence'")
        rows.append((match["category"], match["text"]))
    return rows


class SemanticLayer:
    """Nearest-prototype classifier; ``check`` returns a hit or ``None`` (also when unavailable)."""

    def __init__(
        self,
        model: Any | None = None,
        prototypes: Path = DEFAULT_PROTOTYPES,
        k: int = 5,
        margin: float = 0.05,
    ) -> None:
        self.k, self.margin = k, margin
        self._model, self._path = model, prototypes
        self._lock = threading.Lock()
        self._ready = False
        self._failed = False
        self._unsafe = np.zeros((0, 0), np.float32)
        self._benign = np.zeros((0, 0), np.float32)
        self._labels: list[str] = []
        self._texts: list[str] = []

    @property
    def available(self) -> bool:
        self._ensure()
        return self._ready

    def _ensure(self) -> None:
        if self._ready or self._failed:
            return
        with self._lock:
            if self._ready or self._failed:
                return
            try:
                self._load()
                self._ready = True
            except Exception:  # any load failure degrades to rules only
                log.exception("safety: semantic layer unavailable, using rules only")
                self._failed = True

    def _load(self) -> None:
        model = self._model if self._model is not None else shared_wordllama()
        rows = load_prototypes(self._path)
        unsafe = [(c, t) for c, t in rows if c != BENIGN]
        benign = [t for c, t in rows if c == BENIGN]
        if len(unsafe) < self.k or len(benign) < self.k:
            raise ValueError(f"need at least {self.k} unsafe and {self.k} benign prototypes")
        self._model = model
        self._labels = [c for c, _ in unsafe]
        self._texts = [t for _, t in unsafe]
        self._unsafe = self._embed(self._texts)
        self._benign = self._embed(benign)

    def _embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        model: Any = self._model
        vectors: npt.NDArray[np.float32] = np.asarray(model.embed(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = vectors / np.maximum(norms, np.float32(1e-9))
        return unit

    def check(self, text: str) -> SemanticHit | None:
        if _ADVICE.search(text):
            return None
        self._ensure()
        if not self._ready:
            return None
        vector = self._embed([text])[0]
        to_unsafe = self._unsafe @ vector
        nearest = np.argpartition(to_unsafe, -self.k)[-self.k :]
        unsafe_score = float(to_unsafe[nearest].mean())
        benign_score = float(np.sort(self._benign @ vector)[-self.k :].mean())
        margin = unsafe_score - benign_score
        if margin < self.margin:
            return None
        category = Counter(self._labels[i] for i in nearest).most_common(1)[0][0]
        best = int(nearest[np.argmax(to_unsafe[nearest])])
        return SemanticHit(category, margin, self._texts[best])
