"""What the safety classifier sees of one reply sentence: hashed word n-grams + its embedding.

* Hashed word uni/bi/trigrams of the sentence (crc32, so stable across runs and machines): word
  order and negation live here ("don't touch the knife" vs "touch the knife"), which a mean of
  word vectors cannot see. Words after a negation inside the same clause also count as
  ``not_<word>``, so "never play with matches" shares evidence with "don't play with fire".
* Hashed unigrams and bigrams of crude word stems ("pills" -> "pill", "climbing" -> "climb"),
  their own group: a sentence with "knives" shares evidence with one that says "knife". Measured
  on the dev set at 3% false blocks: block 0.813 -> 0.844 with the 2026-12-05 training corpus.
* Hashed unigrams and bigrams of the previous sentence, in their own namespace and scaled down:
  "Do you know what's in daddy's drawer?" makes "squeeze the little lever" riskier without the
  previous sentence ever being judged by itself.
* The wordllama sentence embedding (L2-normalised): paraphrases with no shared words
  ("the heavy metal thing" / "the gun") land near each other.

The features are returned sparse (hash indices and values) plus the dense embedding, so scoring
one sentence is a sum over ~40 weight rows and one small matrix product.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

HASH_BITS: Final = 15
HASH_DIM: Final = 1 << HASH_BITS
#: hashed features relative to the embedding; 1.0 and 0.5 measured in training.py's comparison
SENTENCE_SCALE: Final = 1.0
PREVIOUS_SCALE: Final = 0.35
#: the unit-length embedding's entries are ~0.06; scaled up so one L2 penalty lets it count
EMBED_SCALE: Final = 3.0

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NEGATORS = frozenset(
    {"never", "not", "no", "don't", "dont", "can't", "cannot", "won't", "isn't", "aren't"}
    | {"shouldn't", "mustn't", "nobody", "without"}
)
_CLAUSE_END = frozenset("but so and then because , ; .".split())
_SPLIT = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[,;.!?]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


@dataclass(frozen=True)
class Features:
    """One sentence: hashed indices with their values, and the sentence embedding."""

    indices: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    embedding: npt.NDArray[np.float32]


def clean(text: str) -> str:
    """NFKC, lower case, straight apostrophes: what the tokens are taken from."""
    return unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()


def tokens(text: str) -> list[str]:
    """Words, plus ``not_<word>`` for words in a negation's clause (up to five words on)."""
    out: list[str] = []
    negated = 0
    for token in _SPLIT.findall(clean(text)):
        if token in _CLAUSE_END or token in "!?":
            negated = 0
            if token in _CLAUSE_END and token.isalpha():
                out.append(token)
            continue
        out.append(token)
        if negated:
            out.append(f"not_{token}")
            negated -= 1
        if token in _NEGATORS:
            negated = 5
    return out


def _words(text: str) -> list[str]:
    return _WORD.findall(clean(text))


_SUFFIXES: Final = ("'s", "ing", "ies", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """The word without its first matching suffix, keeping at least three letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (HASH_DIM - 1)


def ngrams(text: str, previous: str = "") -> dict[int, float]:
    """Hashed n-gram index -> value (each part L2-normalised, then scaled)."""
    words = _words(text)
    grams = [f"u:{t}" for t in tokens(text)]
    padded = ["<s>", *words, "</s>"]
    grams += [f"b:{a} {b}" for a, b in itertools.pairwise(padded)]
    grams += [f"t:{a} {b} {c}" for a, b, c in zip(padded, padded[1:], padded[2:], strict=False)]
    found: dict[int, float] = {}
    _add(found, grams, SENTENCE_SCALE)
    stems = [stem(w) for w in words]
    stemmed = [f"s:{w}" for w in stems] + [f"sb:{a} {b}" for a, b in itertools.pairwise(stems)]
    _add(found, stemmed, SENTENCE_SCALE)
    if previous.strip():
        before = _words(previous)
        context = [f"pu:{w}" for w in before]
        context += [f"pb:{a} {b}" for a, b in itertools.pairwise(before)]
        _add(found, context, PREVIOUS_SCALE)
    return found


def _add(found: dict[int, float], grams: list[str], scale: float) -> None:
    if not grams:
        return
    counts: dict[int, float] = {}
    for gram in grams:
        index = _hash(gram)
        counts[index] = counts.get(index, 0.0) + 1.0
    norm = float(np.sqrt(sum(v * v for v in counts.values())))
    for index, count in counts.items():
        found[index] = found.get(index, 0.0) + scale * count / norm


def featurise(text: str, previous: str, embedding: npt.NDArray[np.float32]) -> Features:
    """The classifier's input for one sentence, given its (already computed) embedding."""
    grams = ngrams(text, previous)
    indices = np.fromiter(grams.keys(), dtype=np.int64, count=len(grams))
    values = np.fromiter(grams.values(), dtype=np.float32, count=len(grams))
    return Features(indices, values, (embedding * EMBED_SCALE).astype(np.float32))
