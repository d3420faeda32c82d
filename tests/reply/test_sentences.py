"""Incremental sentence splitting of streamed deltas."""

from __future__ import annotations

import pytest

from processors.llm.sentences import SentenceSplitter, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi! How are you? I am fine.", ["Hi!", "How are you?", "I am fine."]),
        ("Mr. Bear is here. Say hi!", ["Mr. Bear is here.", "Say hi!"]),
        ("Fruit, e.g. apples, is yummy. Yes.", ["Fruit, e.g. apples, is yummy.", "Yes."]),
        ("It is 3.5 metres tall. Wow.", ["It is 3.5 metres tall.", "Wow."]),
        ("Really?! Yes!", ["Really?!", "Yes!"]),
        ("Hmm... Maybe. Or not\u2026 Sure.", ["Hmm...", "Maybe.", "Or not\u2026", "Sure."]),
        ('"Wow!" said Bear. "Yes."', ['"Wow!" said Bear.', '"Yes."']),
        ("\u201cHello.\u201d Then we played.", ["\u201cHello.\u201d", "Then we played."]),
        ("J. K. Rowling wrote it. Nice.", ["J. K. Rowling wrote it.", "Nice."]),
        ("First line\n\nSecond line", ["First line", "Second line"]),
        ("No ending", ["No ending"]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_streamed_one_character_at_a_time_matches_whole_text() -> None:
    text = 'Hello, friend! Mr. Owl said "Hoot." Then e.g. owls sleep. It is 2.5 km... Bye?'
    splitter = SentenceSplitter()
    streamed = [s for ch in text for s in splitter.feed(ch)] + splitter.flush()
    assert streamed == split_sentences(text)


def test_a_sentence_is_released_only_once_the_next_one_starts() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there!") == []
    assert splitter.feed(" ") == []
    assert splitter.feed("How") == ["Hello there!"]
    assert splitter.pending == "How"
    assert splitter.flush() == ["How"]
