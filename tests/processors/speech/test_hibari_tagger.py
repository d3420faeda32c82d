"""hibari's tagger weights packed into arrays answer exactly like the original dicts."""

from __future__ import annotations

from hibari.g2p import G2P, _load_json

from processors.speech.tts.hibari import HibariBackend
from processors.speech.tts.hibari_tagger import PackedWeights, pack_tagger

TEXTS = [
    "I read that book yesterday, and now I read another one.",
    "Can you record the live record of the band?",
    "Mr. Bear lives at 42 Honey Lane since 1999; it's the best-loved den in the U.S.",
    "Why is the sky blue? Because sunlight scatters!",
    "She wound the bandage around the wound.",
]


def test_every_feature_gives_the_same_weights_in_the_same_order() -> None:
    model = _load_json("tagger.json.gz")
    packed = PackedWeights(model["weights"], model["tags"])
    assert len(packed) == len(model["weights"])
    for feature, row in model["weights"].items():
        assert list(packed.get(feature).items()) == list(row.items()), feature


def test_unknown_features_are_missing() -> None:
    model = _load_json("tagger.json.gz")
    packed = PackedWeights(model["weights"], model["tags"])
    assert packed.get("w=no-such-feature") is None
    assert packed.get("") is None
    assert packed.get("~~~~ after every key") is None


def test_pronunciations_are_unchanged() -> None:
    plain, packed = G2P(), G2P()
    pack_tagger(packed)
    pack_tagger(packed)  # a second call is a no-op
    assert isinstance(packed.tagger.weights, PackedWeights)
    for text in TEXTS:
        assert packed(text) == plain(text), text


def test_the_backend_loads_a_packed_tagger() -> None:
    backend = HibariBackend()
    backend.load()
    assert isinstance(backend._tts.g2p.tagger.weights, PackedWeights)
