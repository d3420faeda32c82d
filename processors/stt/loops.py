"""Repetition loops of any length: "5, 5, 5, 5, 5, 5" from two spoken words.

Whisper's own loop signal, a gzip compression ratio above 2.4, needs a long text: a short loop
("5, 5, 5, 5, 5, 5, 5, 5", ratio ~1) passes it. A loop is recognised instead by what the audio can
support: some word or n-gram repeated ``min_repeats`` (4) or more times in a row, in a transcript
with more words than the speech could hold at ``max_words_per_s`` (3, with one word of slack;
brisk adult speech is ~3 words/s, a child's slower). A child who really says "no no no no" in
1.5 s of speech (2.7 words/s) keeps the words.

Speech duration is the seconds of speech Silero VAD found in the utterance (the guard's stats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_REPEATS = 4
MAX_WORDS_PER_S = 3.0
SLACK_WORDS = 1.0
MAX_NGRAM = 8
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Loop:
    ngram: tuple[str, ...]
    repeats: int
    words: int  # words in the whole transcript
    supported: float  # words the speech duration supports

    def describe(self) -> str:
        return (
            f"repetition loop: {' '.join(self.ngram)!r} x{self.repeats}, {self.words} words "
            f"where the speech supports {self.supported:.1f}"
        )


def words_of(text: str) -> list[str]:
    """Lower-case words; digits are words ("5,5,5" is three), punctuation separates."""
    return _WORD.findall(text.lower())


def longest_repeat(words: list[str], max_n: int = MAX_NGRAM) -> tuple[tuple[str, ...], int]:
    """The n-gram with the most back-to-back repeats (ties: the shortest n-gram)."""
    best: tuple[tuple[str, ...], int] = ((), 0)
    for n in range(1, max_n + 1):
        for start in range(min(n, len(words))):
            run_gram: tuple[str, ...] = ()
            run = 0
            for i in range(start, len(words) - n + 1, n):
                gram = tuple(words[i : i + n])
                if gram == run_gram:
                    run += 1
                else:
                    run_gram, run = gram, 1
                if run > best[1]:
                    best = (run_gram, run)
    return best


def find_loop(
    text: str,
    speech_s: float,
    *,
    min_repeats: int = MIN_REPEATS,
    max_words_per_s: float = MAX_WORDS_PER_S,
) -> Loop | None:
    """The loop in ``text`` that ``speech_s`` seconds of speech cannot support, or None."""
    words = words_of(text)
    supported = max_words_per_s * max(0.0, speech_s) + SLACK_WORDS
    if len(words) < min_repeats or len(words) <= supported:
        return None
    ngram, repeats = longest_repeat(words)
    if repeats < min_repeats:
        return None
    return Loop(ngram, repeats, len(words), supported)
