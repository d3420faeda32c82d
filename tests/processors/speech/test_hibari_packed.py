"""The packed string tables behind hibari's G2P answer exactly like the dicts and sets they
replace, for every key hibari ships and for keys it does not have."""

from __future__ import annotations

from hibari.g2p import _load_json

from processors.speech.tts.hibari import HibariBackend
from processors.speech.tts.hibari_packed import PackedStrings

MISSING = ("", "zzzz-not-a-word", "\x00", "naïve-ish", "~~~~ after every key")


def test_every_tagdict_word_gives_the_same_tag() -> None:
    tagdict = _load_json("tagger.json.gz")["tagdict"]
    packed = PackedStrings(tagdict.items())
    assert len(packed) == len(tagdict)
    for word, tag in tagdict.items():
        assert packed.get(word) == tag, word
        assert word in packed
    for word in MISSING:
        assert packed.get(word) is None and packed.get(word, "NN") == "NN" and word not in packed


def test_the_vocabulary_as_a_set() -> None:
    vocab = set(_load_json("tagger.json.gz")["vocab"])
    packed = PackedStrings.of_keys(vocab)
    assert len(packed) == len(vocab)
    assert all(word in packed for word in vocab)
    assert not any(word in packed for word in MISSING if word not in vocab)
    assert 42 not in packed  # not a str: absent, as in a set of str


def test_non_ascii_keys_and_values_and_an_empty_table() -> None:
    packed = PackedStrings([("café", "kæfe"), ("Zürich", "zʊɹæk"), ("a", "")])
    assert packed.get("café") == "kæfe" and packed.get("Zürich") == "zʊɹæk"
    assert packed.get("a") == "" and "a" in packed
    assert packed.get("cafe") is None
    empty = PackedStrings([])
    assert len(empty) == 0 and empty.get("a") is None and "a" not in empty


def test_the_backend_keeps_no_tagger_table_as_python_objects() -> None:
    backend = HibariBackend()
    backend.load()
    tagger = backend._tts.g2p.tagger
    assert isinstance(tagger.tagdict, PackedStrings)
    assert isinstance(tagger.vocab, PackedStrings)
