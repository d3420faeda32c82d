"""Alert rules: emotion thresholds, repeated emotions in a window, unsafe input, keywords."""

from __future__ import annotations

import pytest

from processors.alerts.rules import AlertContext, AlertRules


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ctx(text: str = "", **scores: float) -> AlertContext:
    primary = max(scores, key=lambda k: scores[k]) if scores else None
    return AlertContext("i1", text=text, emotion=primary, scores=scores)


def rules_of(alerts: list) -> list[str]:  # type: ignore[type-arg]
    return [a.rule for a in alerts]


def test_emotion_above_threshold_alerts() -> None:
    rules = AlertRules(emotions={"fear": 0.6}, repeat_count=0, keywords=())
    [alert] = rules.evaluate(ctx("the dark is scary", fear=0.8, neutral=0.2))
    assert alert.rule == "emotion:fear" and alert.severity == "warning"
    assert "afraid" in alert.message and "the dark is scary" in alert.message


def test_emotion_below_threshold_is_quiet() -> None:
    rules = AlertRules(emotions={"fear": 0.6}, repeat_count=0, keywords=())
    assert rules.evaluate(ctx("hello", fear=0.3, joy=0.7)) == []


def test_primary_label_without_scores_counts_as_certain() -> None:
    rules = AlertRules(emotions={"sadness": 0.7}, repeat_count=0, keywords=())
    assert rules_of(rules.evaluate(AlertContext("i", emotion="sadness"))) == ["emotion:sadness"]


def test_repeated_emotion_within_the_window_alerts() -> None:
    clock = Clock()
    rules = AlertRules(
        emotions={"sadness": 0.9},
        repeat_count=3,
        repeat_window_s=600,
        repeat_threshold=0.4,
        keywords=(),
        clock=clock,
    )
    assert rules.evaluate(ctx(sadness=0.5)) == []
    clock.now += 200
    assert rules.evaluate(ctx(sadness=0.5)) == []
    clock.now += 200
    [alert] = rules.evaluate(ctx(sadness=0.5))
    assert alert.rule == "emotion_repeat:sadness" and "3 times" in alert.message


def test_repeats_outside_the_window_do_not_count() -> None:
    clock = Clock()
    rules = AlertRules(
        emotions={"anger": 0.9}, repeat_count=2, repeat_window_s=60, keywords=(), clock=clock
    )
    assert rules.evaluate(ctx(anger=0.5)) == []
    clock.now += 61
    assert rules.evaluate(ctx(anger=0.5)) == []


def test_input_safety_hits_alert_by_category_with_severity() -> None:
    rules = AlertRules(emotions={}, keywords=())
    hits = [
        {"rule": "hurt_by_person", "category": "self_harm", "text": "i want to hurt myself"},
        {"rule": "hurt2", "category": "self_harm", "text": "again"},
        {"rule": "matches", "category": "weapons", "text": "where are the matches"},
    ]
    alerts = rules.evaluate(AlertContext("i", text="...", input_safety_hits=hits))
    assert [(a.rule, a.severity) for a in alerts] == [
        ("input_safety:self_harm", "urgent"),
        ("input_safety:weapons", "warning"),
    ]


def test_safety_categories_can_be_restricted() -> None:
    rules = AlertRules(emotions={}, keywords=(), safety_categories=["self-harm"])
    hits = [{"category": "weapons"}, {"category": "self_harm"}]
    alerts = rules.evaluate(AlertContext("i", input_safety_hits=hits))
    assert rules_of(alerts) == ["input_safety:self_harm"]


def test_keywords_match_whole_phrases_case_insensitively() -> None:
    rules = AlertRules(emotions={}, keywords=["hurt me", "don't tell"])
    assert rules_of(rules.evaluate(ctx("A big boy HURT ME today"))) == ["keyword:hurt me"]
    assert rules_of(rules.evaluate(ctx("He said don\u2019t  tell mum"))) == ["keyword:don't tell"]
    assert rules.evaluate(ctx("it hurt merrily")) == []


def test_transcript_can_be_left_out_of_messages() -> None:
    rules = AlertRules(emotions={}, keywords=["help me"], include_transcript=False)
    [alert] = rules.evaluate(ctx("please help me with my secret name"))
    assert "secret" not in alert.message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"emotions": {"grumpy": 0.5}}, "unknown emotion"),
        ({"emotions": {"fear": 1.5}}, "must be in"),
        ({"repeat_window_s": 0}, "repeat"),
    ],
)
def test_bad_rule_config_is_rejected_clearly(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        AlertRules(**kwargs)


def test_blocked_reply_sentences_alert_when_high_severity() -> None:
    rules = AlertRules(emotions={}, keywords=())
    hits = [
        {"rule": "model.water", "category": "water", "severity": "high", "text": "swim alone"},
        {"rule": "weapons.knives", "category": "water", "severity": "high", "text": "again"},
        {"rule": "model.scary_content", "category": "scary_content", "severity": "medium"},
    ]
    alerts = rules.evaluate(AlertContext("i", output_safety_hits=hits))
    assert [(a.rule, a.severity) for a in alerts] == [("output_safety:water", "warning")]
    assert "not spoken" in alerts[0].message


def test_output_safety_alerts_can_be_turned_off_or_restricted() -> None:
    hits = [{"category": "weapons", "severity": "high"}, {"category": "sexual", "severity": "high"}]
    off = AlertRules(emotions={}, keywords=(), output_safety=False)
    assert off.evaluate(AlertContext("i", output_safety_hits=hits)) == []
    only = AlertRules(emotions={}, keywords=(), safety_categories=["sexual"])
    assert rules_of(only.evaluate(AlertContext("i", output_safety_hits=hits))) == [
        "output_safety:sexual"
    ]
