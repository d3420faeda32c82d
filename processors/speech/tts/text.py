"""Text preparation for speech: sentence splitting and removal of what must not be read aloud."""

from __future__ import annotations

import re

_END = "[.!?\u2026]"
_CLOSER = '["\u201d\u2019)\\]]'  # a quote or bracket may follow the end punctuation
# two fixed-width look-behinds: "word. Next" and 'word." Next'
_SENTENCE_END = re.compile(rf"(?:(?<={_END})|(?<={_END}{_CLOSER}))\s+(?=\S)")
_BULLET = re.compile(r"^\s*[-\u2022]\s+")
_MARKUP = re.compile(r"[*_#`~<>|\[\]{}]+")
_URL = re.compile(r"https?://\S+")
# emoji and pictographs (outside the Basic Multilingual Plane), dingbats, variation selectors
_PICTOGRAPHS = re.compile("[\U00010000-\U0010ffff\u2600-\u27bf\ufe0f\u200d]")
_SPACE = re.compile(r"\s+")


def split_sentences(text: str) -> list[str]:
    """Split a reply into sentences at end punctuation followed by whitespace."""
    parts = (p.strip() for line in text.splitlines() for p in _SENTENCE_END.split(line))
    return [p for p in parts if p]


def clean_for_speech(sentence: str) -> str:
    """Drop markdown, bullets, links and emoji (TTS would read them out or choke)."""
    text = _BULLET.sub("", _URL.sub(" ", sentence))
    text = _PICTOGRAPHS.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return text if any(c.isalnum() for c in text) else ""


def speakable_sentences(text: str) -> list[str]:
    """A whole reply -> cleaned sentences (cleaning first, so markup cannot hide a boundary)."""
    return [s for line in text.splitlines() for s in split_sentences(clean_for_speech(line))]
