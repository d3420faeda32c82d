"""Read-only string tables in numpy arrays, for hibari's G2P data (issue 11, point 6: RSS at ready).

hibari parses its lexicons and tagger from JSON into dicts of str objects. Packing only the big
tables is not enough: every str or dict from the same parse that stays alive pins the 1 MiB
pymalloc arena it sits in, so the arenas the freed objects shared are never returned (measured:
26 arenas, 26 MiB, stayed after the weights and lexicons were packed, for 4.6 MB of live
objects). So every table that outlives the load lives here, outside Python's object heap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import overload

import numpy as np
import numpy.typing as npt


class SortedKeys:
    """Byte-string keys in one sorted fixed-width array; ``row`` is a binary search."""

    def __init__(self, keys: list[bytes]) -> None:
        """``keys``: distinct, already sorted (str order is UTF-8 byte order)."""
        self._keys = np.array(keys, dtype=np.bytes_)

    def __len__(self) -> int:
        return len(self._keys)

    def row(self, key: str) -> int:
        """The key's index, or -1 when absent."""
        encoded = key.encode()
        row = int(np.searchsorted(self._keys, encoded))
        if row == len(self._keys) or self._keys[row] != encoded:
            return -1
        return row


def offsets_of(sizes: Iterable[int], count: int) -> npt.NDArray[np.int64]:
    """Row i's items are ``[offsets[i], offsets[i + 1])`` of a flat array."""
    return np.concatenate(([0], np.cumsum(np.fromiter(sizes, np.int64, count))))


class PackedStrings:
    """A read-only ``{str: str}`` (``get``, ``in``, ``len``): sorted keys, values in one blob."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        rows = sorted(pairs)
        self._keys = SortedKeys([key.encode() for key, _ in rows])
        values = [value.encode() for _, value in rows]
        self._offsets = offsets_of(map(len, values), len(values))
        self._blob = b"".join(values)

    @classmethod
    def of_keys(cls, keys: Iterable[str]) -> PackedStrings:
        """A read-only set: ``in`` and ``len``."""
        return cls((key, "") for key in keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._keys.row(key) >= 0

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._keys.row(key)
        if row < 0:
            return default
        return self._blob[int(self._offsets[row]) : int(self._offsets[row + 1])].decode()
