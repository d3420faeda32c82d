"""Train the emotion classifier offline (cross-validated); write
processors/emotion/data/emotion_model.npz.

Training data: the example phrases (processors/emotion/data/emotion_prototypes.json) and the
labelled sentences in ``TRAIN_SETS``: the first sets (dev, holdout2-5, ~230 sentences) and the
training corpus tests/data/emotion_train_<class>.jsonl (~840 child-style utterances, written
fresh for training). emotion_eval is kept out (it is the set the issue asks us to report,
though earlier rules were tuned on it); emotion_holdout6 and emotion_holdout7 (blind) are never
read here.

Honest estimate: stratified k-fold over the labelled sentences (the phrases are always in the
training part); every sentence is predicted by a model that never saw it. The L2 strength and
the fear/sadness alert bias are chosen on those out-of-fold predictions; the final model is
then trained on everything.

    OMP_NUM_THREADS=1 .venv/bin/python -m processors.emotion.training [--folds 5] [--out FILE]

(one BLAS thread: the matrices are small, and threads only add overhead, ~2x here.)
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from processors.embedding import load_wordllama
from processors.emotion.features import featurize
from processors.emotion.labels import EMOTIONS
from processors.emotion.model import ALERT_CLASSES, SoftmaxModel, fit_softmax
from processors.emotion.text import load_prototypes

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TRAIN_SETS = (
    "emotion_dev",
    "emotion_holdout2",
    "emotion_holdout3",
    "emotion_holdout4",
    "emotion_holdout5",
    *sorted(p.stem for p in DATA.glob("emotion_train_*.jsonl")),
)
L2_GRID = (3e-5, 1e-5, 3e-6)
BIAS_GRID = tuple(round(0.1 * i, 1) for i in range(0, 31))
RECALL_TARGET = 0.9
#: when no bias reaches the recall target, the alert bias may cost at most this much accuracy
ACCURACY_BUDGET = 0.015
PHRASE_WEIGHT = 2.0  # by CV (0.25-8 tried; flat 0.5-4 on the 1160 sentences): curated phrases
Labels = npt.NDArray[np.intp]


def load_rows(path: Path) -> list[tuple[str, str]]:
    """(text, emotion) pairs of a JSONL set; ValueError on an unknown label."""
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if record["emotion"] not in EMOTIONS:
            raise ValueError(f"{path.name}:{n}: unknown emotion {record['emotion']!r}")
        rows.append((str(record["text"]), str(record["emotion"])))
    return rows


def train_sentences(data_dir: Path = DATA) -> list[tuple[str, str]]:
    return [row for name in TRAIN_SETS for row in load_rows(data_dir / f"{name}.jsonl")]


def describe_sets() -> str:
    """The training sets, short: dev+holdout2..5 + the emotion_train_* corpus."""
    corpus = [n for n in TRAIN_SETS if n.startswith("emotion_train_")]
    first = "+".join(n.removeprefix("emotion_") for n in TRAIN_SETS if n not in corpus)
    return f"{first} + emotion_train_* ({len(corpus)} files)" if corpus else first


def phrase_rows() -> list[tuple[str, str]]:
    return [(p, e) for e, phrases in load_prototypes().items() for p in phrases]


def labels(rows: Sequence[tuple[str, str]]) -> Labels:
    return np.array([EMOTIONS.index(e) for _, e in rows], dtype=np.intp)


def stratified_folds(y: Labels, k: int, seed: int = 0) -> Labels:
    """Fold id per row, each class spread evenly over the folds (deterministic)."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.intp)
    offset = 0
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return fold


@dataclass
class Dataset:
    """Features and labels of the phrases (always trained on) and the sentences (folded)."""

    x_phrases: npt.NDArray[np.float64]
    y_phrases: Labels
    x_sentences: npt.NDArray[np.float64]
    y_sentences: Labels
    texts: list[str]

    def fit(self, l2: float, rows: npt.NDArray[np.bool_] | None = None) -> SoftmaxModel:
        keep = np.ones(len(self.y_sentences), bool) if rows is None else rows
        x = np.vstack([self.x_phrases, self.x_sentences[keep]])
        y = np.concatenate([self.y_phrases, self.y_sentences[keep]])
        weight = np.concatenate([np.full(len(self.y_phrases), PHRASE_WEIGHT), np.ones(keep.sum())])
        w, b = fit_softmax(x, y, len(EMOTIONS), l2, weight)
        return SoftmaxModel(w, b)


def build_dataset(model: Any, vader: Any, sentences: Sequence[tuple[str, str]]) -> Dataset:
    phrases = phrase_rows()
    xp, _, _ = featurize(model, vader, [t for t, _ in phrases])
    xs, _, _ = featurize(model, vader, [t for t, _ in sentences])
    texts = [t for t, _ in sentences]
    return Dataset(xp, labels(phrases), xs, labels(sentences), texts)


def out_of_fold_logits(
    data: Dataset, l2: float, k: int, seed: int = 0
) -> tuple[npt.NDArray[np.float64], Labels]:
    """Logits (without alert bias) of each sentence from the model of the fold that held it out."""
    fold = stratified_folds(data.y_sentences, k, seed)
    logits = np.zeros((len(fold), len(EMOTIONS)))
    for f in range(k):
        model = data.fit(l2, fold != f)
        logits[fold == f] = model.logits(data.x_sentences[fold == f], alert_bias=0.0)
    return logits, fold


def with_bias(logits: npt.NDArray[np.float64], bias: float) -> Labels:
    shifted = logits.copy()
    for name in ALERT_CLASSES:
        shifted[:, EMOTIONS.index(name)] += bias
    return np.asarray(shifted.argmax(axis=1), dtype=np.intp)


def recall(pred: Labels, y: Labels, emotion: str) -> float:
    mask = y == EMOTIONS.index(emotion)
    return float((pred[mask] == y[mask]).mean()) if mask.any() else float("nan")


def choose_alert_bias(logits: npt.NDArray[np.float64], y: Labels) -> float:
    """The smallest bias with the best accuracy among those giving fear and sadness recall >=
    target; if none does, the largest bias within ``ACCURACY_BUDGET`` of the best accuracy.

    (Chasing an unreachable recall target pushed the bias to the top of the grid and cost 10+
    points of accuracy for a few points of recall.)
    """
    preds = {b: with_bias(logits, b) for b in BIAS_GRID}
    accuracy = {b: float((p == y).mean()) for b, p in preds.items()}
    met = [
        b for b, p in preds.items() if min(recall(p, y, e) for e in ALERT_CLASSES) >= RECALL_TARGET
    ]
    if met:
        return max(met, key=lambda b: (accuracy[b], -b))
    best = max(accuracy.values())
    return max(b for b in BIAS_GRID if accuracy[b] >= best - ACCURACY_BUDGET)


def subset(data: Dataset, rows: npt.NDArray[np.bool_]) -> Dataset:
    """The same phrases with only the chosen sentences."""
    texts = [t for t, keep in zip(data.texts, rows, strict=True) if keep]
    return Dataset(
        data.x_phrases, data.y_phrases, data.x_sentences[rows], data.y_sentences[rows], texts
    )


def cross_validate(data: Dataset, l2: float, k: int = 5, seed: int = 0) -> tuple[Labels, Labels]:
    """Out-of-fold predictions with the alert bias calibrated INSIDE each training part.

    Returns (predicted class index per sentence, fold id per sentence): no sentence's label
    influenced the model or the bias that predicted it (L2 is fixed by the caller).
    """
    fold = stratified_folds(data.y_sentences, k, seed)
    pred = np.zeros(len(fold), dtype=np.intp)
    for f in range(k):
        train_rows = fold != f
        inner_logits, _ = out_of_fold_logits(subset(data, train_rows), l2, k, seed)
        bias = choose_alert_bias(inner_logits, data.y_sentences[train_rows])
        model = data.fit(l2, train_rows)
        pred[fold == f] = with_bias(model.logits(data.x_sentences[fold == f], 0.0), bias)
    return pred, fold


def train(
    k: int = 5, seed: int = 0, out: Path | None = None
) -> tuple[SoftmaxModel, dict[str, Any]]:
    """Choose L2 and alert bias by k-fold CV, train on everything, optionally save."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    data = build_dataset(load_wordllama(), SentimentIntensityAnalyzer(), train_sentences())
    scores: dict[float, tuple[float, float, npt.NDArray[np.float64]]] = {}
    for l2 in L2_GRID:
        logits, _ = out_of_fold_logits(data, l2, k, seed)
        bias = choose_alert_bias(logits, data.y_sentences)
        scores[l2] = (float((with_bias(logits, bias) == data.y_sentences).mean()), bias, logits)
    l2 = max(L2_GRID, key=lambda v: scores[v][0])
    accuracy, bias, _ = scores[l2]
    model = data.fit(l2)
    model.alert_bias = bias
    model.note = (
        f"trained on {len(data.y_phrases)} phrases + {len(data.y_sentences)} sentences "
        f"({describe_sets()}); l2={l2} alert_bias={bias} by {k}-fold CV "
        f"(out-of-fold accuracy {accuracy:.3f})"
    )
    if out is not None:
        model.save(out)
    return model, {
        "l2": l2,
        "alert_bias": bias,
        "cv_accuracy": accuracy,
        "grid": {str(v): {"accuracy": s[0], "alert_bias": s[1]} for v, s in scores.items()},
    }


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "processors" / "data" / "emotion_model.npz"
    )
    args = parser.parse_args()
    model, info = train(args.folds, out=args.out)
    print(json.dumps(info, indent=1))
    print(model.note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
