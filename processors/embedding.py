"""The text embedding model shared by the emotion and safety stages.

WordLlama "l2_supercat" (256 dimensions): a static token-embedding table averaged over the words
of a sentence. Loaded here with numpy + `tokenizers` alone, without wordllama's code or its
compiled extensions, so it installs from wheels on every platform (issue 17):

* the weights and the tokenizer come from the `wordllama` distribution's package folder
  (`wordllama/weights/l2_supercat_256.safetensors`, `wordllama/tokenizers/...json`); teddy pins
  `wordllama==0.2.2.post0`, a pure-Python wheel (py3-none-any) whose weights file is byte-identical
  to 0.4.0.post1's (sha256 64b47a2d...) and whose tokenizer JSON is equal once parsed. 0.4.0.post1
  ships an x86_64 wheel only. wordllama's modules are never imported (they also call
  `logging.basicConfig` at import);
* `WordLlamaEmbedding.embed` reproduces `wordllama.WordLlamaInference.embed` (0.4.0.post1) step
  by step: batches of 64, the tokenizer with padding to the longest text in the batch and no
  truncation, no special tokens, ids clipped to the vocabulary, a float32 masked mean (an empty
  text pools to zeros) and, with `norm=True`, division by the L2 norm. The vectors are bitwise
  equal to wordllama's (tests/packaging/test_embedding_equality.py).

Nothing here touches the network.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tokenizers import Tokenizer

#: the model teddy uses, as wordllama names its files
CONFIG = "l2_supercat"
DIM = 256
WEIGHTS_FILE = f"{CONFIG}_{DIM}.safetensors"
TOKENIZER_FILE = f"{CONFIG}_tokenizer_config.json"
TENSOR_KEY = "embedding.weight"
#: wordllama's default batch size; padding is per batch, so it is kept for identical sums
BATCH_SIZE = 64

_SAFETENSORS_DTYPES: dict[str, type[np.floating[Any]]] = {"F16": np.float16, "F32": np.float32}


class EmbeddingModelMissing(RuntimeError):
    """The weights or the tokenizer file is not installed."""


def wordllama_dir() -> Path:
    """The installed wordllama package folder (its weights/ and tokenizers/ live there).

    Found without importing the package, so none of its code runs."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(
            "the embedding weights come from the `wordllama` package, which is not installed "
            "(pip install 'wordllama==0.2.2.post0')"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def map_safetensors(path: Path, key: str) -> npt.NDArray[np.floating[Any]]:
    """One tensor from a .safetensors file, memory-mapped read-only in the file's own dtype (the
    format: an 8-byte little-endian header length, a JSON header, then the raw tensors).

    Why: the float32 copy of the table cost ~31 MiB resident from the start (issue 11); mapped,
    only the rows of words actually heard are paged in (16 MiB at most, clean file pages)."""
    with path.open("rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
    if key not in header:
        raise EmbeddingModelMissing(f"{path} has no tensor {key!r}")
    entry = header[key]
    dtype = _SAFETENSORS_DTYPES.get(entry["dtype"])
    if dtype is None:
        raise EmbeddingModelMissing(f"{path}: unsupported dtype {entry['dtype']}")
    start, _ = (int(x) for x in entry["data_offsets"])
    shape = tuple(int(x) for x in entry["shape"])
    mapped = np.memmap(
        path,
        dtype=np.dtype(dtype).newbyteorder("<"),
        mode="r",
        offset=8 + header_len + start,
        shape=shape,
    )
    return np.asarray(mapped)  # a plain ndarray view of the mapping (numpy keeps it open)


def read_safetensors(path: Path, key: str) -> npt.NDArray[np.float32]:
    """One tensor from a .safetensors file as an in-memory float32 array (a copy of
    :func:`map_safetensors`' mapping, so the file is not kept open)."""
    return np.ascontiguousarray(map_safetensors(path, key).astype(np.float32))


class WordLlamaEmbedding:
    """`embed(texts, norm=False)` -> float32 array (n, 256), as wordllama's inference gives."""

    def __init__(self, embedding: npt.NDArray[np.floating[Any]], tokenizer: Tokenizer) -> None:
        # Kept in its stored dtype (float16, memory-mapped by from_files); rows are widened to
        # float32 as they are looked up, which is exact, so the vectors are unchanged.
        if embedding.dtype not in (np.float16, np.float32):
            embedding = embedding.astype(np.float32)
        self.embedding = embedding
        self.tokenizer = tokenizer
        # wordllama's settings for all inference: pad to the longest text, never truncate
        self.tokenizer.enable_padding()
        self.tokenizer.no_truncation()

    @property
    def dim(self) -> int:
        return int(self.embedding.shape[1])

    @classmethod
    def from_files(cls, weights: Path, tokenizer: Path) -> WordLlamaEmbedding:
        from tokenizers import Tokenizer

        for path in (weights, tokenizer):
            if not path.is_file():
                raise EmbeddingModelMissing(f"embedding model file not found: {path}")
        return cls(map_safetensors(weights, TENSOR_KEY), Tokenizer.from_file(str(tokenizer)))

    def embed(
        self, texts: str | list[str], norm: bool = False, batch_size: int = BATCH_SIZE
    ) -> npt.NDArray[np.float32]:
        """Mean of the texts' token vectors, optionally L2-normalised."""
        if isinstance(texts, str):
            texts = [texts]
        elif not isinstance(texts, list):
            raise TypeError("Input 'texts' must be a string or a list of strings")
        if texts and not isinstance(texts[0], str):
            raise TypeError("All elements in 'texts' must be strings")

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            encoded = self.tokenizer.encode_batch(
                texts[i : i + batch_size], is_pretokenized=False, add_special_tokens=False
            )
            ids = np.array([e.ids for e in encoded], dtype=np.int32)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
            np.clip(ids, 0, self.embedding.shape[0] - 1, out=ids)
            tokens = self.embedding[ids].astype(np.float32)
            mask_sum = np.maximum(mask.sum(axis=1, keepdims=True), 1.0).astype(np.float32)
            pooled = np.sum(tokens * mask[..., np.newaxis], axis=1, dtype=np.float32) / mask_sum
            if norm:
                pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            out[i : i + pooled.shape[0]] = pooled
        return out


@functools.cache
def load_wordllama() -> WordLlamaEmbedding:
    """Load the embedding model from the installed wheel; never touch the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    pkg = wordllama_dir()
    return WordLlamaEmbedding.from_files(
        pkg / "weights" / WEIGHTS_FILE, pkg / "tokenizers" / TOKENIZER_FILE
    )
