"""Regenerate tests/packaging/data/wordllama_reference.npz: sentences and the vectors wordllama
0.4.0.post1's own code gives for them (norm False and True), which teddy's loader must equal.

Needs wordllama 0.4.0.post1 importable (x86_64 only), e.g. in a scratch folder:
    .venv/bin/pip install --no-deps --target /tmp/wl04 wordllama==0.4.0.post1
    PYTHONPATH=/tmp/wl04 .venv/bin/python tests/packaging/make_reference_vectors.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
OUT = Path(__file__).resolve().parent / "data" / "wordllama_reference.npz"
#: beyond the corpora: case, unicode, emoji, punctuation only, a text longer than any batch
EXTRA = [
    "I'm NOT happy!!!",
    "ÜNICODE ünïcödé 🧸 teddy",
    "?!...",
    "the the the the the the the the the the the the the the the the the",
    " ".join(["why is the sky blue and the grass green"] * 60),
]


def sentences(every: int = 8) -> list[str]:
    """Every `every`-th sentence of the emotion and safety corpora (sorted files), plus EXTRA."""
    texts: list[str] = []
    for path in sorted(DATA.glob("emotion_*.jsonl")):
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        texts += [json.loads(ln)["text"] for ln in lines]
    for path in sorted(DATA.glob("safety_*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        texts += [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    picked = texts[::every]
    return picked + [t.lower() for t in picked[:40]] + EXTRA


def main() -> int:
    import wordllama
    from wordllama import WordLlama

    if wordllama.__version__ != "0.4.0.post1":
        print(f"need wordllama 0.4.0.post1, found {wordllama.__version__}", file=sys.stderr)
        return 1
    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    texts = sentences()
    raw = model.embed(texts, norm=False)
    normed = model.embed(texts, norm=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT, texts=np.array(texts), raw=raw, normed=normed, version=wordllama.__version__
    )
    print(f"{OUT}: {len(texts)} sentences, {OUT.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
