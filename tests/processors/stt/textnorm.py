"""WER with a text normaliser for numbers and compounds ("10" = "ten", "cold-hearted" = "cold
hearted"), for tests and benchmarks only: openai-whisper's EnglishTextNormalizer (it imports
torch, which the runtime must not need). Without openai-whisper, the plain normalisation of
processors.stt.wer is used and numbers written as digits count as errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from processors.stt.wer import normalise_words, wer


@functools.cache
def normaliser() -> Callable[[str], str] | None:
    try:
        from whisper.normalizers import EnglishTextNormalizer
    except ImportError:
        return None
    english: Callable[[str], str] = EnglishTextNormalizer()
    return english


def words(text: str) -> list[str]:
    english = normaliser()
    return normalise_words(english(text) if english is not None else text)


def normalised_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus WER over (reference, hypothesis) pairs after normalising both sides."""
    return wer(pairs, words)
