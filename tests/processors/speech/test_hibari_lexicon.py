"""hibari's lexicons packed into arrays answer exactly like the original dicts."""

from __future__ import annotations

import pytest
from hibari.g2p import G2P, _load_json

from processors.speech.tts.hibari import HibariBackend
from processors.speech.tts.hibari_lexicon import PackedLexicon, pack_lexicon

TEXTS = [
    "I read that book yesterday, and now I read another one.",
    "Can you record the live record of the band? AA batteries, please.",
    "Grandpa gave me a puppy; Zürich and naïve café are words too.",
    "She wound the bandage around the wound. Used cars are used.",
]


@pytest.mark.parametrize("name", ["us_gold", "us_silver", "gb_gold", "gb_silver"])
def test_every_word_gives_the_same_entry(name: str) -> None:
    entries = _load_json(f"lexicon_{name}.json.gz")
    packed = PackedLexicon(entries)
    assert len(packed) == len(entries)
    for word, entry in entries.items():
        assert packed.get(word) == entry, word


def test_unknown_words_are_missing() -> None:
    packed = PackedLexicon({"bear": "bɛɹ", "used": {"DEFAULT": "juzd", "VBD": "just"}})
    assert packed.get("bear") == "bɛɹ"
    assert packed.get("used") == {"DEFAULT": "juzd", "VBD": "just"}
    for word in ("", "bea", "bears", "Bear", "zzz", "a"):
        assert packed.get(word) is None, word


def test_pronunciations_are_unchanged() -> None:
    plain, packed = G2P(), G2P()
    pack_lexicon(packed)
    pack_lexicon(packed)  # a second call is a no-op
    assert isinstance(packed.lexicon.golds.d, PackedLexicon)
    for text in TEXTS:
        assert packed(text) == plain(text), text


def test_the_backend_loads_packed_lexicons() -> None:
    backend = HibariBackend()
    backend.load()
    assert isinstance(backend._tts.g2p.lexicon.silvers.d, PackedLexicon)
