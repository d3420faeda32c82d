"""The clearly limited offline responder."""

from __future__ import annotations

import itertools
import random

import pytest

from processors.reply.llm.offline import OfflineResponder, detect_intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hello teddy", "greeting"),
        ("bye bye", "goodbye"),
        ("what's your name", "name"),
        ("can we play a game", "play"),
        ("why is the sky blue?", "question"),
        ("thank you", "thanks"),
        ("I had toast", None),
    ],
)
def test_detect_intent(text: str, intent: str | None) -> None:
    assert detect_intent(text) == intent


@pytest.mark.parametrize(
    ("text", "emotion", "kind"),
    [
        ("I miss my grandma", "sadness", "sadness"),
        ("there is a noise", "fear", "fear"),
        ("hello", "sadness", "greeting"),
        ("I had toast", "neutral", "default"),
        ("I had toast", "joy", "joy"),
        ("why is the sky blue", "neutral", "question"),
    ],
)
def test_kind_follows_feelings_and_intents(text: str, emotion: str, kind: str) -> None:
    assert OfflineResponder.kind_of(text, emotion) == kind


def test_a_safety_concern_wins_and_points_to_a_grown_up() -> None:
    line = OfflineResponder().reply("hello", "joy", concerns=["abuse_disclosure"])
    assert "grown-up" in line


def test_lines_vary_between_turns() -> None:
    responder = OfflineResponder(random.Random(1))
    lines = [responder.reply("hello") for _ in range(6)]
    assert all(a != b for a, b in itertools.pairwise(lines))


def test_every_offline_line_passes_the_safety_filter() -> None:
    from processors.reply.llm.offline import _LINES, INTERRUPTED_LINE
    from processors.reply.safety import SafetyFilter

    safety = SafetyFilter()
    for line in [INTERRUPTED_LINE, *(line for lines in _LINES.values() for line in lines)]:
        assert safety.check(line) == [], line
