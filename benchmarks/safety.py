"""Safety-filter quality: block rate on unsafe corpora, false-block rate on benign ones.

Rules only and rules + semantic layer, measured in the same run, on:
* the tuning corpora (tests/data/safety_unsafe.txt, safety_benign.txt) - issue 5 targets:
  block >= 99 %, false block <= 2 %; exit 1 when the shipped filter misses them. The semantic
  layer's prototypes ARE these sentences, so its numbers here are in-sample.
* held-out corpora, never tuned on: safety_holdout_* (written first, but by the author of the
  broad rules, so optimistic), safety_fresh_* (written after the rules, never looked into) and
  safety_fresh2_* / safety_fresh3_* (each written after a filter change and measured once).
    python benchmarks/safety.py [--verbose] [--show-heldout]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from processors.reply.safety import SafetyFilter  # noqa: E402

DATA = ROOT / "tests" / "data"
_PREFIX = re.compile(r"^\[(?P<category>[\w-]+)\]\s*")
SETS = {  # name -> (unsafe file, benign file)
    "tuning": ("safety_unsafe.txt", "safety_benign.txt"),
    "holdout": ("safety_holdout_unsafe.txt", "safety_holdout_benign.txt"),
    "fresh": ("safety_fresh_unsafe.txt", "safety_fresh_benign.txt"),
    "fresh2": ("safety_fresh2_unsafe.txt", "safety_fresh2_benign.txt"),
    "fresh3": ("safety_fresh3_unsafe.txt", "safety_fresh3_benign.txt"),
}


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


def evaluate(
    safety: SafetyFilter, unsafe: list[tuple[str, str]], benign: list[tuple[str, str]]
) -> tuple[float, float, float, list[str]]:
    """Block rate, false-block rate, ms per sentence, and the errors (for --verbose)."""
    started = time.perf_counter()
    missed = [f"MISSED [{c}] {s}" for c, s in unsafe if safety.is_safe(s)]
    blocked = [(s, safety.check(s)) for _, s in benign]
    elapsed = time.perf_counter() - started
    false_blocks = [
        f"FALSE BLOCK {s}  <- {[(h.rule, h.match) for h in hits]}" for s, hits in blocked if hits
    ]
    ms = elapsed / (len(unsafe) + len(benign)) * 1e3
    return 1 - len(missed) / len(unsafe), len(false_blocks) / len(benign), ms, missed + false_blocks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list tuning misses/false blocks")
    parser.add_argument(
        "--show-heldout",
        action="store_true",
        help="also list held-out errors (do NOT tune on them)",
    )
    args = parser.parse_args()

    rules_only = SafetyFilter(semantic=False)
    combined = SafetyFilter()
    started = time.perf_counter()
    semantic_ok = combined.semantic is not None and combined.semantic.available
    load_s = time.perf_counter() - started
    print(f"rules: {len(rules_only.rules.rules)} (version {rules_only.rules.version})")
    print(f"semantic layer: {'loaded' if semantic_ok else 'UNAVAILABLE'} in {load_s:.2f} s")
    head = ("corpus", "filter", "unsafe", "block", "benign", "f-block", "ms/sent")
    print("{:8} {:8} {:>6} {:>7} {:>6} {:>7} {:>7}".format(*head))
    ok = True
    for name, (unsafe_file, benign_file) in SETS.items():
        unsafe, benign = load_corpus(DATA / unsafe_file), load_corpus(DATA / benign_file)
        for label, safety in (("rules", rules_only), ("combined", combined)):
            block, false, ms, errors = evaluate(safety, unsafe, benign)
            sizes = f"{len(unsafe):6} {block:7.1%} {len(benign):6} {false:7.1%}"
            print(f"{name:8} {label:8} {sizes} {ms:7.3f}")
            if name == "tuning" and label == "combined":
                ok = block >= 0.99 and false <= 0.02
            show = args.show_heldout if name != "tuning" else args.verbose or not ok
            if show and label == "combined":
                for line in errors:
                    print(f"  {line}")
    print(
        "tuning targets (combined): block >= 99 %, false block <= 2 %:", "met" if ok else "MISSED"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
