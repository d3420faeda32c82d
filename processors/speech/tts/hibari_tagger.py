"""hibari's part-of-speech tagger, packed into arrays (issue 11, point 6: RSS at ready).

hibari's averaged perceptron keeps ~80 k features, each a Python dict of tag -> float: ~290 k
float objects and 80 k dicts, about 45 MiB of heap for a table the TTS reads a few features of
per word. Here the same numbers live in three flat arrays (tag index, float64 weight, offsets)
and ``get`` rebuilds one feature's small dict on lookup, in the original order with the original
float64 values, so the tagger's sums and tie-breaks, and so every pronunciation, are unchanged.
Its word -> tag dictionary and its vocabulary are packed too (``hibari_packed``: whatever of the
parse stays a Python object keeps the parse's memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from processors.speech.tts.hibari_packed import PackedStrings, SortedKeys, offsets_of


class PackedWeights:
    """Read-only stand-in for the tagger's ``{feature: {tag: weight}}``; only ``get`` is used."""

    def __init__(self, weights: Mapping[str, Mapping[str, float]], tags: list[str]) -> None:
        tag_index = {tag: i for i, tag in enumerate(tags)}
        features = sorted(weights)
        self._keys = SortedKeys([f.encode() for f in features])
        rows = [weights[f] for f in features]
        self._offsets = offsets_of(map(len, rows), len(rows))
        total = int(self._offsets[-1])
        self._tag_ids = np.fromiter((tag_index[t] for row in rows for t in row), np.uint8, total)
        self._values = np.fromiter((w for row in rows for w in row.values()), np.float64, total)
        self._tags = tags

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, feature: str, default: Any = None) -> dict[str, float] | Any:
        row = self._keys.row(feature)
        if row < 0:
            return default
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        tags = self._tags
        ids = self._tag_ids[start:end].tolist()
        return {tags[i]: w for i, w in zip(ids, self._values[start:end].tolist(), strict=True)}


def pack_tagger(g2p: Any) -> None:
    """Swap a loaded hibari G2P's tagger tables for packed ones (the dicts are then freed)."""
    tagger = g2p.tagger
    if isinstance(tagger.weights, PackedWeights):
        return
    tagger.weights = PackedWeights(tagger.weights, list(tagger.tags))
    tagger.tagdict = PackedStrings(tagger.tagdict.items())
    if tagger.vocab is not None:
        tagger.vocab = PackedStrings.of_keys(tagger.vocab)
