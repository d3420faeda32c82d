"""The safety filter's sentence encoder: its token layout, the shipped model, its share in the
classifier's verdict, what a blocked sentence does to the next one, and what happens when it
cannot load."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import processors.reply.safety.model as model_module
from processors.reply.llm.offline import _LINES
from processors.reply.llm.sentences import split_sentences
from processors.reply.safety import ReplyFilter, SafetyClassifier, SafetyFilter
from processors.reply.safety.encoder import DEFAULT_ENCODER, MAX_TOKENS, SentenceEncoder, Tokens
from processors.reply.safety.model import DEFAULT_MODEL, SAFE, Weights

LONG = " ".join(["the little bear walked to the big green hill and sat down"] * 8)


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


def test_a_sentence_is_one_window_of_wordpieces(tokens: Tokens) -> None:
    (ids,) = tokens.windows("Wear your helmet.")
    assert ids.shape[0] == 1
    assert ids[0].tolist() == [tokens.cls, *tokens.pieces("Wear your helmet."), tokens.sep]


def test_a_sentence_longer_than_a_window_is_read_from_both_ends(tokens: Tokens) -> None:
    text = "Hold the match to the curtain. " + LONG + " Now light the match yourself."
    first, last = tokens.windows(text)
    pieces = tokens.pieces(text)
    assert first.shape == last.shape == (1, MAX_TOKENS)
    assert first[0][1:-1].tolist() == pieces[: MAX_TOKENS - 2]
    assert last[0][1:-1].tolist() == pieces[-(MAX_TOKENS - 2) :]


def test_the_encoder_ships_with_the_weights_classes(encoder: SentenceEncoder) -> None:
    weights = Weights.load(DEFAULT_MODEL)
    assert weights.encoder_share > 0  # training chose the mix
    assert encoder.classes == weights.classes
    p = encoder.probabilities("Let's count the stars together.")
    assert p.shape == (len(weights.classes),) and np.isclose(p.sum(), 1.0, atol=1e-4)
    again = encoder.probabilities("Let's count the stars together.")
    assert np.array_equal(p, again)


def test_the_long_sentence_takes_its_least_safe_window(encoder: SentenceEncoder) -> None:
    harm = "Take the pills from the top shelf and eat them all like sweets."
    text = LONG + " " + harm
    p = encoder.probabilities(text)
    first = encoder.probabilities(LONG)
    safe = encoder.classes.index(SAFE)
    assert p[safe] < first[safe]  # the end of the sentence decides, not its harmless start


def test_a_blocked_sentence_does_not_block_the_kind_ones_after_it() -> None:
    # the encoder once read the previous sentence too and learnt that whatever follows danger is
    # danger: "Ask your mum to help you." after the knife scored 1.00, and the reply went silent
    reply = ReplyFilter(SafetyFilter())
    assert reply.apply("Grab the big knife from the drawer and cut it yourself.") != (
        "Grab the big knife from the drawer and cut it yourself."
    )
    for kind in ("Ask your mum to help you.", "Bye!", "Let's count the stars together."):
        assert reply.apply(kind) == kind


class _Fixed:
    def __init__(self, classes: tuple[str, ...], row: np.ndarray) -> None:
        self.classes = classes
        self._row = row.astype(np.float32)

    def probabilities(self, text: str) -> np.ndarray:
        return self._row


def test_the_verdict_averages_ngrams_and_encoder_by_the_share() -> None:
    weights = Weights.load(DEFAULT_MODEL)
    sentence = "Take the big kitchen knife and cut the rope yourself."
    safe = np.zeros(len(weights.classes))
    safe[weights.classes.index(SAFE)] = 1.0
    mixed = SafetyClassifier(DEFAULT_MODEL, encoder=_Fixed(weights.classes, safe))  # type: ignore[arg-type]
    alone = replace(weights, encoder_share=0.0)
    ngram_only = SafetyClassifier(DEFAULT_MODEL)
    ngram_only._weights = alone
    a, b = mixed.check(sentence), ngram_only.check(sentence)
    assert a is not None and b is not None
    # the encoder says "safe" for sure, so it takes its share of the n-grams' score away
    assert np.isclose(a.score, (1.0 - weights.encoder_share) * b.score, atol=1e-5)


def test_an_encoder_that_cannot_load_leaves_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> SentenceEncoder:
        raise FileNotFoundError("safety_encoder.onnx")

    monkeypatch.setattr(model_module, "SentenceEncoder", missing)
    classifier = SafetyClassifier(DEFAULT_MODEL)
    assert not classifier.available
    hits = SafetyFilter(model=classifier).check("Grab the big knife.")
    assert [h.rule for h in hits] == ["weapons.knives"]


def test_an_encoder_with_other_classes_is_refused() -> None:
    weights = Weights.load(DEFAULT_MODEL)
    other = _Fixed(tuple(reversed(weights.classes)), np.ones(len(weights.classes)))
    classifier = SafetyClassifier(DEFAULT_MODEL, encoder=other)  # type: ignore[arg-type]
    assert not classifier.available


def test_weights_without_an_encoder_share_load_as_ngrams_only(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    shutil.copyfile(DEFAULT_MODEL, path)
    with np.load(path) as data:
        old = {k: data[k] for k in data.files if k != "encoder_share"}
    np.savez_compressed(path, **old)  # the format before the encoder
    assert Weights.load(path).encoder_share == 0.0
    classifier = SafetyClassifier(path)
    assert classifier.available and classifier._encoder is None


# The offline responder's own lines, sentence by sentence as the reply stage filters them.
# Known false blocks, kept visible (strict): short everyday lines, of which the training corpus
# has few (0.7 % under 6 words). Blind set 12 (everyday bear talk) put the filter's false blocks
# on short lines at 0.046 before and after the encoder; these four are where it falls here.
# "What happens next?" was blocked before the encoder too (n-grams 0.62).
OFFLINE_MISSES = {
    "I'm sorry you feel sad. I'm here, and I'm listening.",
    "Sad feelings are okay. Would a big teddy hug help a little?",
    "I love your questions! I'm not sure right now. Maybe a grown-up can help us find out.",
    "That sounds interesting! What happens next?",
}


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(line, marks=pytest.mark.xfail(strict=True, reason="known false block"))
        if line in OFFLINE_MISSES
        else line
        for lines in _LINES.values()
        for line in lines
    ],
)
def test_the_offline_responders_own_lines_pass(line: str) -> None:
    reply = ReplyFilter(SafetyFilter())
    for sentence in split_sentences(line):
        assert reply.apply(sentence) == sentence


def test_the_weights_are_memory_mapped_not_copied(encoder: SentenceEncoder) -> None:
    """The weights live beside the graph; onnxruntime maps that file, so the word-embedding
    rows no sentence used stay on disk (RSS at ready, issue 11)."""
    graph = DEFAULT_ENCODER
    weights = graph.with_name(graph.name + ".data")
    assert graph.stat().st_size < 1_000_000 < 20_000_000 < weights.stat().st_size
    encoder.probabilities("Let us count the stars together.")
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc: cannot see the mapping")
    assert str(weights.resolve()) in maps.read_text()
