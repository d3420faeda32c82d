"""Incremental sentence splitting of streamed deltas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.reply.llm.sentences import SentenceSplitter, split_sentences


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


@given(
    text=st.text(alphabet=st.sampled_from(list("ab .!?\"'\n3Mr")), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_any_chunking_gives_the_same_sentences(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    splitter = SentenceSplitter()
    streamed = [s for piece in pieces for s in splitter.feed(piece)] + splitter.flush()
    assert streamed == split_sentences(text)
    assert " ".join(streamed).split() == text.split()  # nothing lost, nothing invented
