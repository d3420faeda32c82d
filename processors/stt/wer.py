"""Word error rate, for tests and benchmarks (case and punctuation do not count)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_NON_WORD = re.compile(r"[^a-z0-9' ]+")


def normalise_words(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    return [w.strip("'") for w in _NON_WORD.sub(" ", text).split() if w.strip("'")]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def wer(
    pairs: Iterable[tuple[str, str]], words: Callable[[str], list[str]] = normalise_words
) -> float:
    """Corpus WER over (reference, hypothesis) pairs: total edits / total reference words, each
    side split into words by ``words`` (a richer normaliser for numbers may be passed)."""
    edits = total = 0
    for ref, hyp in pairs:
        ref_words = words(ref)
        edits += edit_distance(ref_words, words(hyp))
        total += len(ref_words)
    return edits / total if total else 0.0
