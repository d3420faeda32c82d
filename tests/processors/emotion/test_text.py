"""Text emotion: the hybrid classifier, its offline loading and the held-out evaluation set."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from processors.embedding import load_wordllama
from processors.emotion.labels import EMOTIONS
from processors.emotion.text import HybridTextEmotion, load_prototypes

EVAL = Path(__file__).resolve().parents[2] / "data" / "emotion_eval.jsonl"


def eval_rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in EVAL.read_text("utf-8").splitlines() if line.strip()]


def test_eval_set_is_large_labelled_and_disjoint_from_prototypes() -> None:
    rows = eval_rows()
    assert len(rows) >= 60
    assert {r["emotion"] for r in rows} <= set(EMOTIONS)
    prototypes = {p.lower() for phrases in load_prototypes().values() for p in phrases}
    assert not prototypes & {r["text"].lower() for r in rows}


def test_eval_accuracy_and_alert_recall_meet_targets(text_backend: HybridTextEmotion) -> None:
    rows = eval_rows()
    predicted = [text_backend.classify(r["text"]).primary for r in rows]
    accuracy = sum(p == r["emotion"] for p, r in zip(predicted, rows, strict=True)) / len(rows)
    assert accuracy >= 0.80
    for emotion in ("fear", "sadness"):
        hits = [
            p == emotion for p, r in zip(predicted, rows, strict=True) if r["emotion"] == emotion
        ]
        assert sum(hits) / len(hits) >= 0.90, emotion


def test_scores_cover_nine_classes_and_sum_to_one(text_backend: HybridTextEmotion) -> None:
    result = text_backend.classify("I'm scared of the big dog")
    assert set(result.scores) == set(EMOTIONS)
    assert sum(result.scores.values()) == pytest.approx(1.0)
    assert result.primary == "fear"
    assert 0.0 <= result.arousal <= 1.0


def test_valence_follows_polarity(text_backend: HybridTextEmotion) -> None:
    assert text_backend.classify("I love my new bike, it's awesome").valence > 0.3
    assert text_backend.classify("I hate this, it's horrible").valence < -0.3


def test_negation_flips_the_label(text_backend: HybridTextEmotion) -> None:
    assert text_backend.classify("I'm happy").primary == "joy"
    assert text_backend.classify("I'm not happy").primary == "sadness"


def test_plain_statement_is_neutral(text_backend: HybridTextEmotion) -> None:
    assert text_backend.classify("the table has four legs").primary == "neutral"


def test_empty_text_is_an_error(text_backend: HybridTextEmotion) -> None:
    with pytest.raises(ValueError, match="empty"):
        text_backend.classify("   ")


def test_wordllama_loads_from_the_wheel_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    model = load_wordllama()
    assert model.embed(["hello"]).shape == (1, 256)


def test_unknown_prototype_class_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "protos.json"
    bad.write_text(json.dumps({"prototypes": {"happiness": ["yay"]}}))
    with pytest.raises(ValueError, match="happiness"):
        load_prototypes(bad)
