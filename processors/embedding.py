"""The text embedding model shared by the emotion and safety stages: wordllama's weights from its
wheel, loaded once per process, never from the network."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any


def wordllama_dir() -> Path:
    """The installed wordllama package folder (its weights/ and tokenizers/ live there)."""
    import wordllama

    return Path(wordllama.__file__).parent


@functools.cache
def load_wordllama() -> Any:
    """Load the embedding model from the wheel; never touch the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from wordllama import WordLlama

    return WordLlama.load(cache_dir=wordllama_dir(), disable_download=True)
