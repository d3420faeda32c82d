"""The semantic (nearest-prototype) safety layer and how the filter combines it with the rules."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from processors.reply.safety import ReplyFilter, SafetyFilter, SemanticLayer, shared_semantic
from processors.reply.safety.semantic import load_prototypes

# paraphrases no rule matches (checked below) but whose meaning is near the unsafe prototypes
UNSEEN_UNSAFE = "Go find the thing in the kitchen drawer that cuts meat and wave it around."
UNSEEN_POISON = "Drink the blue liquid from the bottle under the sink."


@pytest.fixture(scope="module")
def safety() -> SafetyFilter:
    return SafetyFilter()


def test_catches_a_paraphrase_the_rules_miss(safety: SafetyFilter) -> None:
    assert SafetyFilter(semantic=False).check(UNSEEN_UNSAFE) == []
    hits = safety.check(UNSEEN_UNSAFE)
    assert [(h.rule, h.category, h.severity) for h in hits] == [
        ("semantic.weapons", "weapons", "medium")
    ]
    assert hits[0].match.startswith("similar to: ")


def test_safety_advice_is_left_to_the_rules(safety: SafetyFilter) -> None:
    assert safety.check(UNSEEN_POISON) != []
    assert safety.check("Never drink the blue liquid from the bottle under the sink.") == []


def test_semantic_layer_checks_replies_only(safety: SafetyFilter) -> None:
    assert safety.check(UNSEEN_UNSAFE, "input") == []


def test_rule_hits_skip_the_semantic_layer(safety: SafetyFilter) -> None:
    assert [h.rule for h in safety.check("Grab the big knife.")] == ["weapons.knives"]


def test_reply_filter_redirects_a_semantic_hit(safety: SafetyFilter) -> None:
    reply = ReplyFilter(safety)
    assert reply.apply(UNSEEN_UNSAFE) == safety.rules.redirects["weapons"]
    assert reply.hits[0]["rule"] == "semantic.weapons"


def test_the_layer_is_shared_and_loaded_once() -> None:
    assert SafetyFilter().semantic is SafetyFilter().semantic is shared_semantic()


class _BrokenModel:
    def embed(self, texts: list[str]) -> Any:
        raise RuntimeError("no weights")


def test_unloadable_model_degrades_to_rules_only(caplog: pytest.LogCaptureFixture) -> None:
    safety = SafetyFilter(semantic=SemanticLayer(model=_BrokenModel()))
    with caplog.at_level(logging.ERROR):
        assert safety.check(UNSEEN_UNSAFE) == []
    assert [h.rule for h in safety.check("Grab the big knife.")] == ["weapons.knives"]
    assert "semantic layer unavailable" in caplog.text
    assert safety.semantic is not None and not safety.semantic.available


def test_malformed_prototype_line_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "prototypes.txt"
    bad.write_text("# comment\n[weapons] Grab the knife.\nno category here\n")
    with pytest.raises(ValueError, match=r"prototypes.txt:3: expected"):
        load_prototypes(bad)


def test_shipped_prototypes_cover_every_output_category(safety: SafetyFilter) -> None:
    categories = {c for c, _ in load_prototypes()}
    assert "benign" in categories
    assert categories - {"benign"} <= set(safety.rules.redirects)
