"""Safety-filter quality: block rate on the unsafe corpus, false-block rate on the benign one.

Targets (issue 5): block rate >= 99 %, false-block rate <= 2 %. Exit 1 when missed.
    python benchmarks/safety.py [--verbose]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processors.safety import SafetyFilter  # noqa: E402

DATA = ROOT / "tests" / "data"
_PREFIX = re.compile(r"^\[(?P<category>[\w-]+)\]\s*")


def load_corpus(path: Path) -> list[tuple[str, str]]:
    """(category or "", sentence) for each non-comment line."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _PREFIX.match(line)
        category = match.group("category") if match else ""
        rows.append((category, line[match.end() :] if match else line))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list misses and false blocks")
    args = parser.parse_args()

    safety = SafetyFilter()
    unsafe = load_corpus(DATA / "safety_unsafe.txt")
    benign = load_corpus(DATA / "safety_benign.txt")

    started = time.perf_counter()
    missed = [(c, s) for c, s in unsafe if safety.is_safe(s)]
    false_blocks = [(s, safety.check(s)) for _, s in benign if not safety.is_safe(s)]
    elapsed = time.perf_counter() - started
    per_sentence_us = elapsed / (len(unsafe) + len(benign)) * 1e6

    block_rate = 1 - len(missed) / len(unsafe)
    false_rate = len(false_blocks) / len(benign)
    print(f"rules: {len(safety.rules.rules)} (version {safety.rules.version})")
    print(f"unsafe corpus: {len(unsafe)} sentences, block rate {block_rate:.1%} (target >= 99%)")
    print(
        f"benign corpus: {len(benign)} sentences, false-block rate {false_rate:.1%} (target <= 2%)"
    )
    print(f"filter cost: {per_sentence_us:.0f} us per sentence")
    if args.verbose or missed or false_blocks:
        for category, sentence in missed:
            print(f"  MISSED [{category}] {sentence}")
        for sentence, hits in false_blocks:
            print(f"  FALSE BLOCK {sentence}  <- {[(h.rule, h.match) for h in hits]}")
    ok = block_rate >= 0.99 and false_rate <= 0.02
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
