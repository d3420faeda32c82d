"""The trained emotion regression: shipped file, fallback, fitting, cross-validation tools."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from processors.emotion import training
from processors.emotion.features import FEATURE_DIM, HASH_DIM, word_features
from processors.emotion.labels import EMOTIONS
from processors.emotion.model import SoftmaxModel, fit_softmax
from processors.emotion.text import HybridTextEmotion, HybridWeights

DATA = Path(__file__).resolve().parents[2] / "data"


def _toy_model() -> SoftmaxModel:
    rng = np.random.default_rng(0)
    return SoftmaxModel(rng.normal(size=(FEATURE_DIM, len(EMOTIONS))), np.zeros(9), alert_bias=1.0)


def test_the_default_backend_uses_the_shipped_model(text_backend: HybridTextEmotion) -> None:
    assert text_backend.trained is not None
    assert "CV" in text_backend.trained.note
    assert text_backend.trained.classes == list(EMOTIONS)


def test_model_roundtrips_through_npz(tmp_path: Path) -> None:
    model = _toy_model()
    model.save(tmp_path / "m.npz")
    loaded = SoftmaxModel.load(tmp_path / "m.npz")
    assert loaded.alert_bias == 1.0
    np.testing.assert_allclose(loaded.weights, model.weights, rtol=1e-6)


def test_alert_bias_raises_fear_and_sadness_only() -> None:
    model = _toy_model()
    x = np.zeros((1, FEATURE_DIM))
    shift = model.logits(x) - model.logits(x, alert_bias=0.0)
    expected = [1.0 if e in ("fear", "sadness") else 0.0 for e in EMOTIONS]
    np.testing.assert_allclose(shift[0], expected)


def test_a_model_that_does_not_fit_the_features_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, weights=np.zeros((3, 9)), bias=np.zeros(9), classes=np.array(EMOTIONS),
             alert_bias=np.array(0.0), note=np.array(""))  # fmt: skip
    with pytest.raises(ValueError, match="expected"):
        SoftmaxModel.load(bad)


def test_unusable_model_falls_back_to_the_hand_weighted_hybrid(
    tmp_path: Path, text_backend: HybridTextEmotion
) -> None:
    backend = HybridTextEmotion(model=text_backend.prototypes.model, model_path=tmp_path / "none")
    assert backend.trained is None
    assert backend.classify("I'm scared of the dark").primary == "fear"
    off = HybridTextEmotion(HybridWeights(trained=False), model=text_backend.prototypes.model)
    assert off.trained is None


def test_fit_softmax_separates_separable_classes() -> None:
    rng = np.random.default_rng(1)
    centers = np.eye(3) * 3
    y = np.repeat(np.arange(3), 20).astype(np.intp)
    x = centers[y] + rng.normal(scale=0.3, size=(60, 3))
    w, b = fit_softmax(x, y, 3, l2=1e-3)
    assert ((x @ w + b).argmax(axis=1) == y).all()


def test_stratified_folds_spread_every_class() -> None:
    y = np.repeat(np.arange(3), [10, 5, 7]).astype(np.intp)
    fold = training.stratified_folds(y, 5)
    for c in range(3):
        counts = np.bincount(fold[y == c], minlength=5)
        assert counts.max() - counts.min() <= 1


def test_choose_alert_bias_reaches_the_recall_target() -> None:
    fear, sadness, joy = (EMOTIONS.index(e) for e in ("fear", "sadness", "joy"))
    logits = np.zeros((4, 9))
    logits[:, joy] = 0.5  # everything leans joy; two of the rows are really fear/sadness
    logits[0, fear] = logits[1, sadness] = 0.2
    y = np.array([fear, sadness, joy, joy], dtype=np.intp)
    bias = training.choose_alert_bias(logits, y)
    # the smallest bias that recovers fear and sadness without costing the joy rows
    assert bias == pytest.approx(0.4)
    assert (training.with_bias(logits, bias) == y).all()


def test_unreachable_recall_target_costs_at_most_the_accuracy_budget() -> None:
    fear, joy = EMOTIONS.index("fear"), EMOTIONS.index("joy")
    logits = np.zeros((100, 9))
    logits[:, joy] = 1.0
    logits[:20, fear] = -5.0  # 20 fear rows no bias in the grid can recover
    logits[20:22, fear] = 0.95  # two that a small bias does recover
    y = np.array([fear] * 22 + [joy] * 78, dtype=np.intp)
    bias = training.choose_alert_bias(logits, y)
    accuracy = float((training.with_bias(logits, bias) == y).mean())
    assert bias >= 0.1  # the two fear rows are taken
    assert accuracy >= 0.80 - training.ACCURACY_BUDGET


def test_word_features_are_stable_and_see_word_pairs() -> None:
    a = word_features("I'm NOT scared")
    assert np.array_equal(a, word_features("i'm not scared"))
    assert a.shape == (HASH_DIM,)
    assert np.linalg.norm(a) == pytest.approx(1.0)
    assert not np.array_equal(a, word_features("not i'm scared"))  # order matters via pairs
    assert not word_features("!!!").any()


def test_unknown_label_in_a_set_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "set.jsonl"
    bad.write_text(json.dumps({"text": "hi", "emotion": "glee"}) + "\n")
    with pytest.raises(ValueError, match="glee"):
        training.load_rows(bad)


def test_holdout6_is_large_and_never_trained_on() -> None:
    rows = training.load_rows(DATA / "emotion_holdout6.jsonl")
    assert len(rows) >= 60
    assert "emotion_holdout6" not in training.TRAIN_SETS
    trained = {t.lower() for t, _ in training.train_sentences()}
    phrases = {t.lower() for t, _ in training.phrase_rows()}
    assert not {t.lower() for t, _ in rows} & (trained | phrases)


def test_training_uses_the_corpus_and_never_the_evaluation_sets() -> None:
    assert any(name.startswith("emotion_train_") for name in training.TRAIN_SETS)
    assert len(training.train_sentences()) >= 800
    for name in ("emotion_eval", "emotion_holdout6", "emotion_holdout7"):
        assert name not in training.TRAIN_SETS


def test_eval_sentences_are_not_in_the_training_corpus() -> None:
    rows = training.load_rows(DATA / "emotion_eval.jsonl")
    trained = {t.lower() for t, _ in training.train_sentences()}
    assert not {t.lower() for t, _ in rows} & trained
