"""teddy's numpy + tokenizers loader gives wordllama 0.4.0.post1's vectors, bit for bit, from the
weights of the wordllama wheel that installs everywhere (issue 17)."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from processors.embedding import (
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    WordLlamaEmbedding,
    load_wordllama,
    read_safetensors,
    wordllama_dir,
)

REFERENCE = Path(__file__).parent / "data" / "wordllama_reference.npz"
#: sha256 of wordllama/weights/l2_supercat_256.safetensors, identical in 0.2.2.post0 and 0.4.0.post1
WEIGHTS_SHA256 = "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


def test_installed_weights_are_the_ones_wordllama_0_4_ships() -> None:
    digest = hashlib.sha256((wordllama_dir() / "weights" / WEIGHTS_FILE).read_bytes()).hexdigest()
    assert digest == WEIGHTS_SHA256


def test_tokenizer_parses_to_the_same_config() -> None:
    config = json.loads((wordllama_dir() / "tokenizers" / TOKENIZER_FILE).read_text())
    assert config["model"]["type"] == "BPE" and len(config["model"]["vocab"]) == 32000


@pytest.mark.parametrize("norm", [False, True])
def test_vectors_equal_wordllama_0_4(reference: dict[str, Any], norm: bool) -> None:
    texts = [str(t) for t in reference["texts"]]
    expected = reference["normed" if norm else "raw"]
    got = load_wordllama().embed(texts, norm=norm)
    assert got.dtype == np.float32 and got.shape == expected.shape == (len(texts), 256)
    diff = float(np.abs(got - expected).max())
    assert np.array_equal(got, expected), f"max abs diff {diff:.3g} over {len(texts)} sentences"


def test_one_text_and_batches_agree(reference: dict[str, Any]) -> None:
    texts = [str(t) for t in reference["texts"][:70]]  # crosses the 64-text batch boundary
    model = load_wordllama()
    single = np.vstack([model.embed(t, norm=True) for t in texts])
    assert np.allclose(single, model.embed(texts, norm=True), atol=1e-6)
    assert model.embed("hello").shape == (1, 256)


def test_empty_text_pools_to_zeros_like_wordllama() -> None:
    assert not load_wordllama().embed(["", "hi"]).any(axis=1)[0]


def test_rejects_what_wordllama_rejects() -> None:
    model = load_wordllama()
    with pytest.raises(TypeError):
        model.embed(("a", "b"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        model.embed([1, 2])  # type: ignore[list-item]


def test_loads_offline_without_importing_wordllama(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    before = "wordllama" in sys.modules
    pkg = wordllama_dir()
    model = WordLlamaEmbedding.from_files(
        pkg / "weights" / WEIGHTS_FILE, pkg / "tokenizers" / TOKENIZER_FILE
    )
    assert model.embed(["hello"]).shape == (1, 256)
    assert ("wordllama" in sys.modules) == before


def test_safetensors_reader_reads_float16_as_float32(tmp_path: Path) -> None:
    table = np.arange(12, dtype=np.float16).reshape(3, 4)
    header = json.dumps(
        {"embedding.weight": {"dtype": "F16", "shape": [3, 4], "data_offsets": [0, table.nbytes]}}
    ).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + table.tobytes())
    got = read_safetensors(path, "embedding.weight")
    assert got.dtype == np.float32 and np.array_equal(got, table.astype(np.float32))
