"""hibari's pronunciation lexicons, packed into arrays (issue 11, point 6: RSS at ready).

hibari reads its gold and silver lexicons (~180 k words) into Python dicts of str -> str: two str
objects and a dict slot per word, ~45 MiB of heap. Here the words are one sorted bytes array
(binary search), the pronunciations one UTF-8 blob with offsets (``hibari_packed``). The ~800
part-of-speech entries (``{"DEFAULT": ..., "VERB": ...}``) are kept as JSON text and parsed on
lookup: kept as dicts, they would pin the memory of the parse they came from. ``get`` answers
exactly what the dict did, which is all hibari's lexicon wrapper asks of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from processors.speech.tts.hibari_packed import PackedStrings


class PackedLexicon:
    """Read-only stand-in for a ``{word: phonemes | {tag: phonemes}}`` dict; only ``get``."""

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self._plain = PackedStrings((w, v) for w, v in entries.items() if isinstance(v, str))
        self._tagged = PackedStrings(
            (w, json.dumps(v, ensure_ascii=False))
            for w, v in entries.items()
            if not isinstance(v, str)
        )

    def __len__(self) -> int:
        return len(self._plain) + len(self._tagged)

    def get(self, word: str, default: Any = None) -> Any:
        plain = self._plain.get(word)  # most words: one search
        if plain is not None:
            return plain
        tagged = self._tagged.get(word)
        return default if tagged is None else json.loads(tagged)  # a fresh dict: hibari reads it


def pack_lexicon(g2p: Any) -> None:
    """Swap a loaded hibari G2P's gold and silver dicts for packed ones (the dicts are freed)."""
    for table in (g2p.lexicon.golds, g2p.lexicon.silvers):
        if not isinstance(table.d, PackedLexicon):
            table.d = PackedLexicon(table.d)
