"""hibari's pronunciation lexicons, packed into arrays (issue 11, point 6: RSS at ready).

hibari reads its gold and silver lexicons (~180 k words) into Python dicts of str -> str: two str
objects and a dict slot per word, ~45 MiB of heap. Here the words are one sorted bytes array
(binary search), the pronunciations one UTF-8 blob with offsets; the ~800 part-of-speech entries
(``{"DEFAULT": ..., "VERB": ...}``) stay Python dicts. ``get`` answers exactly what the dict did,
which is all hibari's lexicon wrapper asks of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt


class PackedLexicon:
    """Read-only stand-in for a ``{word: phonemes | {tag: phonemes}}`` dict; only ``get``."""

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self._tagged = {w: v for w, v in entries.items() if not isinstance(v, str)}
        plain = sorted((w.encode(), v.encode()) for w, v in entries.items() if isinstance(v, str))
        self._words = np.array([w for w, _ in plain], dtype=np.bytes_)
        sizes = np.fromiter((len(v) for _, v in plain), np.int64, len(plain))
        self._offsets: npt.NDArray[np.int64] = np.concatenate(([0], np.cumsum(sizes)))
        self._blob = b"".join(v for _, v in plain)

    def __len__(self) -> int:
        return len(self._words) + len(self._tagged)

    def get(self, word: str, default: Any = None) -> Any:
        tagged = self._tagged.get(word)
        if tagged is not None:
            return tagged
        key = word.encode()
        row = int(np.searchsorted(self._words, key))
        if row == len(self._words) or self._words[row] != key:
            return default
        return self._blob[int(self._offsets[row]) : int(self._offsets[row + 1])].decode()


def pack_lexicon(g2p: Any) -> None:
    """Swap a loaded hibari G2P's gold and silver dicts for packed ones (the dicts are freed)."""
    for table in (g2p.lexicon.golds, g2p.lexicon.silvers):
        if not isinstance(table.d, PackedLexicon):
            table.d = PackedLexicon(table.d)
