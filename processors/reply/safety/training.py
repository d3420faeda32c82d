"""Offline training of the safety classifier: ``python -m processors.reply.safety.training``.

Reads the contrastive training corpus ``tests/data/safety_train_*.tsv`` (label, category, style,
previous sentence, sentence) and the retired judging sets in ``RETIRED_TRAINING``, fits a
multinomial logistic regression with L2 (scipy L-BFGS, so no training-only dependency), compares
feature sets and penalties on the separate, hand-written tuning sets ``TUNING_SETS``, picks the
block thresholds there and writes ``data/safety_model.npz``. When the fine-tuned sentence encoder
(``encoder_training.py``) is there, its share of the averaged probabilities and the thresholds
for the mix are picked on the tuning sets too. The dev set, blind set 6 and any
judging set not yet used are never read here.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

from processors.reply.safety.encoder import DEFAULT_ENCODER, SentenceEncoder
from processors.reply.safety.features import EMBED_SCALE, HASH_DIM, featurise, ngrams
from processors.reply.safety.model import DEFAULT_MODEL, SAFE, Weights, verdict

DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
#: false blocks allowed on the tuning sets' benign sentences when picking the threshold. 3% (the
#: target) there landed at 4.0% on the dev set and 5.4% on blind set 5: the second tuning set
#: was written in the same week as most training lines and is easier than another hand's
#: sentences. 2% cost one point of tuning block rate (0.906 -> 0.895) for 1.3 points fewer
#: false blocks
MAX_TUNE_FALSE_BLOCKS = 0.02
#: hand-written, varied sentences (read like a bear's replies) weigh more than template-generated
#: lines, of which there are thousands of near-duplicates. Measured on the dev set at 3% false
#: blocks (2026-12-05 corpus): templates at 0.3 against hand-written at 3 blocked 0.871, at 1
#: 0.866, at 0.1 0.854
HAND_WRITTEN = ("safety_train_pairs", "safety_train_written")
HAND_WEIGHT = 3.0
TEMPLATE_WEIGHT = 0.3
#: judging sets once measured, and so spent (README: Data): written by four separate hands, they
#: are the most varied hand-written sentences there are. Three train, the largest tunes. Measured
#: 2026-12-06 on the dev set and blind set 6 against the new written files alone: block
#: 0.923 / 0.920 at false blocks 0.043 / 0.036 before, 0.930 / 0.914 at 0.027 / 0.021 after; at
#: 3% false blocks on each set 0.894 / 0.914 before, 0.935 / 0.932 after
RETIRED_TRAINING = ("safety_blind2", "safety_blind3", "safety_blind5")
TUNING_SETS = ("safety_tune", "safety_tune2", "safety_blind4")
#: a weaker penalty (listed later) must block this much more of the tuning sets to be chosen:
#: ~4 sentences, within what a second hand's sentences move it. It was one point when the tuning
#: sets held 371 unsafe lines; with blind set 4 they hold 833. At one point, 2026-12-06 training
#: kept l2 1e-5 over 1e-6 (0.927 vs 0.936 of the tuning sets), which blocked less on every set
#: it was never trained or tuned on (dev 0.938 vs 0.957, blind 6 0.920 vs 0.943, blind 8 0.923
#: vs 0.952) at no more false blocks (0.040 vs 0.040, 0.021 vs 0.015, 0.027 vs 0.024)
MIN_GAIN = 0.005
#: the fine-tuned encoder's share of the averaged probabilities, first choice first. 2026-12-06
#: (tuning sets, 2% false blocks): n-grams alone 0.936, encoder alone 0.968, share 0.3 0.956, 0.5
#: 0.971, 0.7 0.971; the larger of the two scores 0.976 and their geometric mean 0.965, neither
#: more than MIN_GAIN over the plain average
ENCODER_SHARES = (0.5, 0.3, 0.7)
Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Example:
    label: str  # "safe" or the unsafe category
    style: str
    previous: str
    text: str
    weight: float = 1.0  # in the loss; hand-written pairs count more than template lines


def load_training(data: Path = DATA, hand_weight: float = HAND_WEIGHT) -> list[Example]:
    rows = []
    for path in sorted(data.glob("safety_train_*.tsv")):
        weight = hand_weight if path.stem.startswith(HAND_WRITTEN) else TEMPLATE_WEIGHT
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 5:
                raise ValueError(f"{path}:{number}: expected 5 tab-separated fields")
            label, category, style, previous, text = parts
            rows.append(
                Example(category if label == "unsafe" else SAFE, style, previous, text, weight)
            )
    for stem in RETIRED_TRAINING:
        rows.extend(load_judged(data, stem, hand_weight))
    return rows


def load_tuning(data: Path = DATA) -> list[Example]:
    return [row for stem in TUNING_SETS for row in load_judged(data, stem)]


def load_judged(data: Path, stem: str, weight: float = 1.0) -> list[Example]:
    """A judging-format set: ``{stem}_unsafe.tsv`` and ``{stem}_benign.tsv``, each line
    category, style, sentence."""
    rows = []
    for side, unsafe in (("unsafe", True), ("benign", False)):
        for line in (data / f"{stem}_{side}.tsv").read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            category, style, text = line.split("\t")
            rows.append(Example(category if unsafe else SAFE, style, "", text, weight))
    return rows


def design(
    examples: list[Example], embeddings: Matrix, use_hash: bool = True, use_embedding: bool = True
) -> sparse.csr_matrix:
    """Rows = examples; columns = hashed n-grams, then the embedding (zeroed when unused)."""
    rows, cols, vals = [], [], []
    for i, example in enumerate(examples):
        if not use_hash:
            continue
        for index, value in ngrams(example.text, example.previous).items():
            rows.append(i)
            cols.append(index)
            vals.append(value)
    hashed = sparse.csr_matrix((vals, (rows, cols)), shape=(len(examples), HASH_DIM))
    dense = embeddings * EMBED_SCALE if use_embedding else np.zeros_like(embeddings)
    return sparse.hstack([hashed, sparse.csr_matrix(dense)], format="csr")


def class_balance(y: npt.NDArray[np.int64], classes: int) -> npt.NDArray[np.float64]:
    """Per example, its class's loss weight. Safe (class 0) weighs as much as all unsafe classes
    together, which share their half equally: the block score is 1 - P(safe), so "safe" must not
    be one small class among twenty-one."""
    counts = np.maximum(np.bincount(y, minlength=classes), 1).astype(np.float64)
    per_class = len(y) / (2 * (classes - 1) * counts)
    per_class[0] = len(y) / (2 * counts[0])
    balanced: npt.NDArray[np.float64] = per_class[y]
    return balanced


def fit(
    x: sparse.csr_matrix,
    y: npt.NDArray[np.int64],
    classes: int,
    l2: float,
    weight: npt.NDArray[np.float64] | None = None,
) -> Matrix:
    """Weights (features + 1 bias row, classes) minimising mean cross-entropy + l2 |W|^2."""
    n, d = x.shape
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1.0
    sample = class_balance(y, classes) * (1.0 if weight is None else weight)

    def loss(flat: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        w = flat.reshape(d + 1, classes)
        logits = x @ w[:-1] + w[-1]
        logits -= logits.max(1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        value = -(sample * (onehot * log_p).sum(1)).sum() / n + l2 * (w[:-1] ** 2).sum()
        delta = (np.exp(log_p) - onehot) * sample[:, None] / n
        grad = np.vstack([x.T @ delta + 2 * l2 * w[:-1], delta.sum(0)])
        return float(value), grad.ravel()

    start = np.zeros((d + 1) * classes)
    result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 1500})
    weights: Matrix = result.x.reshape(d + 1, classes).astype(np.float32)
    return weights


def to_weights(w: Matrix, classes: list[str], threshold: float, rule: float) -> Weights:
    return Weights(
        classes=tuple(classes),
        hashed=w[:HASH_DIM],
        embedded=w[HASH_DIM:-1],
        bias=w[-1],
        threshold=threshold,
        rule_threshold=rule,
    )


def scores(weights: Weights, examples: list[Example], embeddings: Matrix) -> Matrix:
    out = []
    for example, vector in zip(examples, embeddings, strict=True):
        features = featurise(example.text, example.previous, vector)  # as the filter does
        out.append(verdict(weights, weights.probabilities(features)).score)
    return np.array(out, np.float32)


def pick_threshold(unsafe: Matrix, benign: Matrix, max_false: float) -> float:
    """The lowest threshold whose false-block rate on the benign scores stays within budget."""
    allowed = int(np.floor(max_false * len(benign)))
    ordered = np.sort(benign)[::-1]
    # just above the (allowed+1)-th highest benign score
    return float(min(0.95, ordered[allowed] + 1e-4)) if len(ordered) > allowed else 0.5


def w_pred(w: Matrix, x: sparse.csr_matrix) -> npt.NDArray[np.int64]:
    predicted: npt.NDArray[np.int64] = np.asarray(x @ w[:-1] + w[-1]).argmax(1)
    return predicted


def rule_hits(examples: list[Example]) -> npt.NDArray[np.int8]:
    """Per example: 2 when an explicit rule fires (blocks alone), 1 another rule, 0 none."""
    from processors.reply.safety.filter import SafetyFilter

    rules = SafetyFilter(model=False)
    out = []
    for example in examples:
        hits = [rules.rules.by_id[h.rule] for h in rules.check(example.text)]
        out.append(2 if any(r.explicit for r in hits) else 1 if hits else 0)
    return np.array(out, np.int8)


def pick_rule_threshold(
    tuned: Matrix, unsafe: npt.NDArray[np.bool_], fired: npt.NDArray[np.int8], threshold: float
) -> float:
    """The lowest bar for sentences a topic rule flagged that keeps the filter's false blocks on
    the tuning set within budget (rules and classifier combined, as ``SafetyFilter`` does)."""
    best = threshold
    for bar in np.arange(threshold, 0.04, -0.02):
        blocked = (fired == 2) | ((fired == 1) & (tuned >= bar)) | (tuned >= threshold)
        if blocked[~unsafe].mean() > MAX_TUNE_FALSE_BLOCKS:
            break
        best = float(bar)
    combined = (fired == 2) | ((fired == 1) & (tuned >= best)) | (tuned >= threshold)
    print(
        f"  with rules: rule threshold {best:.2f}: tune block {combined[unsafe].mean():.3f}, "
        f"false {combined[~unsafe].mean():.3f}"
    )
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--encoder", type=Path, default=DEFAULT_ENCODER)
    args = parser.parse_args()
    from processors.embedding import load_wordllama

    model = load_wordllama()
    train, tune = load_training(), load_tuning()
    classes = [SAFE, *sorted({e.label for e in train} - {SAFE})]
    y = np.array([classes.index(e.label) for e in train], np.int64)
    embed_train = np.asarray(model.embed([e.text for e in train], norm=True), np.float32)
    embed_tune = np.asarray(model.embed([e.text for e in tune], norm=True), np.float32)
    tune_unsafe = np.array([e.label != SAFE for e in tune])
    fired = rule_hits(tune)
    unsafe_n, safe_n = int((y != 0).sum()), int((y == 0).sum())
    print(f"training: {len(train)} ({unsafe_n} unsafe, {safe_n} safe), tuning: {len(tune)}")
    best: tuple[float, Weights] | None = None
    for use_hash, use_emb, l2 in [  # strongest penalty first, see MIN_GAIN
        (True, False, 1e-5), (True, False, 3e-6), (True, False, 1e-6),
        (False, True, 1e-5), (True, True, 3e-6),
    ]:  # fmt: skip
        started = time.perf_counter()
        x = design(train, embed_train, use_hash, use_emb)
        w = fit(x, y, len(classes), l2, np.array([e.weight for e in train]))
        weights = to_weights(w, classes, 0.5, 0.5)  # unused columns were zero, so weights are 0
        tuned = scores(weights, tune, embed_tune)
        threshold = pick_threshold(tuned[tune_unsafe], tuned[~tune_unsafe], MAX_TUNE_FALSE_BLOCKS)
        block = float((tuned[tune_unsafe] >= threshold).mean())
        false = float((tuned[~tune_unsafe] >= threshold).mean())
        at_half = (
            float((tuned[tune_unsafe] >= 0.5).mean()),
            float((tuned[~tune_unsafe] >= 0.5).mean()),
        )
        train_ok = float((w_pred(w, x) == y).mean())
        print(
            f"train acc {train_ok:.3f} hash={use_hash!s:5} emb={use_emb!s:5} l2={l2:g}: "
            f"tune block {block:.3f} false {false:.3f} at threshold {threshold:.3f}; "
            f"at 0.5: {at_half[0]:.3f}/{at_half[1]:.3f}"
            f" ({time.perf_counter() - started:.0f} s)"
        )
        if best is None or block > best[0] + MIN_GAIN:
            rule = pick_rule_threshold(tuned, tune_unsafe, fired, threshold)
            best = (block, replace(weights, threshold=threshold, rule_threshold=rule))
    assert best is not None
    chosen = best[1]
    if args.encoder.exists():
        chosen = with_encoder(chosen, tune, embed_tune, fired, args.encoder)
    chosen.save(args.out)
    print(f"saved {args.out} (threshold {chosen.threshold:.3f}, encoder {chosen.encoder_share})")
    return 0


def with_encoder(
    weights: Weights,
    tune: list[Example],
    embeddings: Matrix,
    fired: npt.NDArray[np.int8],
    path: Path,
) -> Weights:
    """The encoder's share of the averaged probabilities, and the thresholds for it. The first
    share (an even mix) stays unless another blocks ``MIN_GAIN`` more of the tuning sets."""
    encoder = SentenceEncoder(path)
    if encoder.classes != weights.classes:
        raise SystemExit(f"{path}: its classes are not the n-gram model's; retrain the encoder")
    unsafe = np.array([e.label != SAFE for e in tune])
    ngram = scores(weights, tune, embeddings)
    safe = weights.classes.index(SAFE)
    read = np.array([1.0 - encoder.probabilities(e.text)[safe] for e in tune], np.float32)
    best: tuple[float, float, float, Matrix] | None = None  # block, share, threshold, scores
    for share in ENCODER_SHARES:
        mixed = (1.0 - share) * ngram + share * read
        threshold = pick_threshold(mixed[unsafe], mixed[~unsafe], MAX_TUNE_FALSE_BLOCKS)
        block = float((mixed[unsafe] >= threshold).mean())
        false = float((mixed[~unsafe] >= threshold).mean())
        print(f"encoder share {share}: tune block {block:.3f} false {false:.3f} at {threshold:.3f}")
        if best is None or block > best[0] + MIN_GAIN:
            best = (block, share, threshold, mixed)
    assert best is not None
    _, share, threshold, mixed = best
    rule = pick_rule_threshold(mixed, unsafe, fired, threshold)
    return replace(weights, threshold=threshold, rule_threshold=rule, encoder_share=share)


if __name__ == "__main__":
    sys.exit(main())
