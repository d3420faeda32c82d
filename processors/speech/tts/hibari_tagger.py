"""hibari's part-of-speech tagger weights, packed into arrays (issue 11, point 6: RSS at ready).

hibari's averaged perceptron keeps ~80 k features, each a Python dict of tag -> float: ~290 k
float objects and 80 k dicts, about 45 MiB of heap for a table the TTS reads a few features of
per word. Here the same numbers live in three flat arrays (tag index, float64 weight, offsets)
and ``get`` rebuilds one feature's small dict on lookup, in the original order with the original
float64 values, so the tagger's sums and tie-breaks, and so every pronunciation, are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt


class PackedWeights:
    """Read-only stand-in for the tagger's ``{feature: {tag: weight}}``; only ``get`` is used."""

    def __init__(self, weights: Mapping[str, Mapping[str, float]], tags: list[str]) -> None:
        tag_index = {tag: i for i, tag in enumerate(tags)}
        # Features as one sorted bytes array, not 80 k str objects: the str keys would pin the
        # freed dict memory around them, so the heap would not shrink (measured: it grew).
        features = list(weights)
        keys = np.array([f.encode() for f in features], dtype=np.bytes_)
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        rows = [weights[features[i]] for i in order.tolist()]
        sizes = np.fromiter((len(row) for row in rows), np.int64, len(rows))
        self._offsets: npt.NDArray[np.int64] = np.concatenate(([0], np.cumsum(sizes)))
        total = int(self._offsets[-1])
        self._tag_ids = np.fromiter((tag_index[t] for row in rows for t in row), np.uint8, total)
        self._values = np.fromiter((w for row in rows for w in row.values()), np.float64, total)
        self._tags = tags

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, feature: str, default: Any = None) -> dict[str, float] | Any:
        key = feature.encode()
        row = int(np.searchsorted(self._keys, key))
        if row == len(self._keys) or self._keys[row] != key:
            return default
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        tags = self._tags
        ids = self._tag_ids[start:end].tolist()
        return {tags[i]: w for i, w in zip(ids, self._values[start:end].tolist(), strict=True)}


def pack_tagger(g2p: Any) -> None:
    """Swap a loaded hibari G2P's tagger weights for packed ones (the dicts are then freed)."""
    tagger = g2p.tagger
    if isinstance(tagger.weights, PackedWeights):
        return
    tagger.weights = PackedWeights(tagger.weights, list(tagger.tags))
