"""Incremental sentence splitting of a streamed reply, so speech can start on the first sentence.

Deltas arrive in arbitrary pieces ("Hel", "lo! How", " are you?"). A sentence is complete when a
terminator (. ! ? … or an ellipsis) and any closing quotes are followed by whitespace and then a
character that can start a sentence; so a boundary is only decided once the next word has begun.
Abbreviations ("Mr.", "e.g."), initials ("J. K."), decimals ("3.5") and a quote followed by a
lowercase word ("'Wow!' said Bear") do not end a sentence. A blank line always does.
"""

from __future__ import annotations

import re

# Abbreviations that (almost) never end a sentence, lowercase without the final dot.
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "e.g", "i.e", "eg", "ie",
        "no", "fig", "approx", "capt", "col", "gen", "lt", "sgt", "rev", "hon", "ave", "rd",
    }
)  # fmt: skip

_CLOSERS = "\"')]\u201d\u2019"  # closing quotes and brackets after a terminator
_BOUNDARY = re.compile(
    r"(?:[.!?\u2026]+)[" + re.escape(_CLOSERS) + r"]*(?P<ws>\s+)(?=(?P<next>\S))"
)
_PARAGRAPH = re.compile(r"\n\s*\n")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text_before_dot: str) -> bool:
    match = _WORD_BEFORE.search(text_before_dot)
    if match is None:
        return False
    word = match.group(1).lower()
    if word in _ABBREVIATIONS:
        return True
    # a single letter is an initial ("J. K. Rowling"), not the end of a sentence
    return len(word) == 1 and word.isalpha()


class SentenceSplitter:
    """Feed text deltas; get back the sentences they completed. ``flush()`` returns the rest."""

    def __init__(self) -> None:
        self._buffer = ""

    @property
    def pending(self) -> str:
        """Text received but not yet part of a complete sentence."""
        return self._buffer

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        sentences: list[str] = []
        while True:
            cut = self._find_boundary()
            if cut is None:
                return sentences
            sentence = self._buffer[:cut].strip()
            self._buffer = self._buffer[cut:].lstrip()
            if sentence:
                sentences.append(sentence)

    def flush(self) -> list[str]:
        rest = self._buffer.strip()
        self._buffer = ""
        return [rest] if rest else []

    def _find_boundary(self) -> int | None:
        text = self._buffer
        paragraph = _PARAGRAPH.search(text)
        limit = paragraph.start() if paragraph else len(text)
        for match in _BOUNDARY.finditer(text, 0, len(text)):
            if match.start() >= limit:
                break
            if self._is_boundary(text, match):
                return match.start("ws")
        if paragraph is not None and text[paragraph.end() :].strip():
            return paragraph.end()
        return None

    @staticmethod
    def _is_boundary(text: str, match: re.Match[str]) -> bool:
        terminator = text[match.start() : match.start("ws")].rstrip(_CLOSERS)
        following = match.group("next")
        if following[0].islower():
            return False  # "'Wow!' said Bear", "e.g. apples", "3 p.m. tomorrow"
        if terminator == "." and _is_abbreviation(text[: match.start()]):
            return False
        return True


def split_sentences(text: str) -> list[str]:
    """Split a complete text at once (same rules as streaming)."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()
