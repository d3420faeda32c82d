"""Child-phrasing rules: phrases, negation, intensifiers, evidence."""

from __future__ import annotations

import pytest

from processors.emotion.rules import apply_rules, normalize_text


def top(text: str) -> str | None:
    hits = apply_rules(text)
    if hits.total == 0:
        return None
    return max(hits.weights, key=lambda e: hits.weights[e])


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("I miss my mommy", "sadness"),
        ("I'm scared of the dark", "fear"),
        ("he broke my toy", "anger"),
        ("it's not fair", "anger"),
        ("I can't wait", "anticipation"),
        ("eww that's yucky", "disgust"),
        ("you're my best friend", "trust"),
        ("guess what", "surprise"),
    ],
)
def test_child_phrasing_maps_to_its_emotion(text: str, emotion: str) -> None:
    assert top(text) == emotion


def test_negated_joy_becomes_sadness() -> None:
    hits = apply_rules("I am not happy")
    assert hits.weights["joy"] == 0
    assert hits.weights["sadness"] > 0
    assert "not happy" in hits.evidence
    assert "joy" in hits.negated


def test_negated_fear_is_dropped_not_inverted() -> None:
    hits = apply_rules("I'm not scared anymore")
    assert hits.weights["fear"] == 0
    assert "fear" in hits.negated


def test_phrase_words_are_not_negated_again() -> None:
    # the "not" of "not fair" and the "can't" of "can't wait" belong to their phrases
    assert apply_rules("it's not fair").negated == set()
    hits = apply_rules("I can't wait for the party")
    assert hits.weights["anticipation"] > 0
    assert "rule:cant_wait" in hits.evidence


def test_intensifier_strengthens_the_cue() -> None:
    assert apply_rules("I'm so happy").weights["joy"] > apply_rules("I'm happy").weights["joy"]


def test_talking_about_a_friend_is_not_trust() -> None:
    assert apply_rules("my friend has a bike").weights["trust"] == 0


def test_evidence_names_words_and_rules() -> None:
    hits = apply_rules("I miss my grandma and I'm sad")
    assert "rule:miss_someone" in hits.evidence
    assert "sad" in hits.evidence


def test_plain_statement_has_no_cues() -> None:
    assert apply_rules("the car is red").total == 0


def test_normalize_text_straightens_apostrophes() -> None:
    assert normalize_text("I\u2019M  Scared") == "i'm scared"
