"""Reply safety filter on the blind judging set, next to the filter it replaced, in one run.

Judging set (written by someone else, never trained or tuned on; format
``category<TAB>style<TAB>sentence``): tests/data/safety_judge_unsafe.tsv (styles gentle /
explicit) and tests/data/safety_judge_benign.tsv (styles advice / ordinary). Each sentence is
checked alone with ``SafetyFilter().check(sentence, "output")``, exactly as the reply stage checks
a reply's first sentence. Printed: block rate per category and per style, false blocks on advice
vs ordinary, and ms per sentence (model loaded, embedding included), for

* ``new``: rules (explicit ones alone, the others confirmed) + the trained classifier (issue 15);
* ``before``: the filter at commit BASELINE (rules + nearest-prototype semantic layer), loaded
  from git into a temporary package so both are measured on the same sentences and machine.

Targets (issue 15): block >= 0.95 (gentle >= 0.90), false blocks <= 0.03, <= 5 ms per sentence.
Also prints the tuning set (tests/data/safety_tune_*.tsv, thresholds were picked there).
    python benchmarks/safety.py [--no-baseline]
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from processors.reply.safety import SafetyFilter  # noqa: E402

DATA = ROOT / "tests" / "data"
BASELINE = "7f843ef028fee084c5985e4da8abca18ae692a6a"  # the filter before issue 15
_OLD_FILES = ("__init__.py", "filter.py", "rules.py", "rules.toml", "semantic.py", "prototypes.txt")
Row = tuple[str, str, str]  # category, style, sentence
Check = Callable[[str], bool]  # True when blocked


def load(name: str) -> list[Row]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            category, style, sentence = line.split("\t", 2)
            rows.append((category.strip(), style.strip(), sentence.strip()))
    return rows


def baseline_filter(workdir: Path) -> Check:
    """The old package, from git, importable as ``baseline_safety``."""
    package = workdir / "baseline_safety"
    package.mkdir()
    for name in _OLD_FILES:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BASELINE}:processors/reply/safety/{name}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        text = text.replace("processors.reply.safety.", "baseline_safety.")
        (package / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(workdir))
    old = importlib.import_module("baseline_safety").SafetyFilter()
    return lambda sentence: bool(old.check(sentence, "output"))


def measure(check: Check, unsafe: list[Row], benign: list[Row]) -> dict[str, float]:
    check(unsafe[0][2])  # load models before timing
    started = time.perf_counter()
    blocked_unsafe = [check(s) for _, _, s in unsafe]
    blocked_benign = [check(s) for _, _, s in benign]
    ms = (time.perf_counter() - started) / (len(unsafe) + len(benign)) * 1e3
    out: dict[str, float] = {"ms/sentence": ms}
    groups: dict[str, list[bool]] = defaultdict(list)
    for (category, style, _), hit in zip(unsafe, blocked_unsafe, strict=True):
        groups["block: all unsafe"].append(hit)
        groups[f"block: {style}"].append(hit)
        groups[f"block: {category}"].append(hit)
    for (category, style, _), hit in zip(benign, blocked_benign, strict=True):
        groups["false block: all benign"].append(hit)
        groups[f"false block: {style}"].append(hit)
        if category != "ordinary":
            groups[f"false block: {category}"].append(hit)
    for key, hits in groups.items():
        out[key] = sum(hits) / len(hits)
        out[f"n {key}"] = len(hits)
    return out


def report(title: str, results: dict[str, dict[str, float]]) -> None:
    names = list(results)
    print(f"\n== {title}")
    print(f"{'':42}" + "".join(f"{n:>10}" for n in names) + f"{'n':>6}")
    first = results[names[0]]
    ordered = [k for k in first if not k.startswith("n ")]
    head = [k for k in ordered if ":" not in k or k.endswith(("all unsafe", "all benign"))]
    style = [
        k for k in ordered if k.split(": ")[-1] in {"gentle", "explicit", "advice", "ordinary"}
    ]
    rest = sorted(k for k in ordered if k not in head and k not in style)
    for key in head + style + rest:
        cells = "".join(f"{results[n].get(key, float('nan')):10.3f}" for n in names)
        count = first.get(f"n {key}", "")
        print(f"{key:42}{cells}{count!s:>6}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the old filter")
    args = parser.parse_args()
    new = SafetyFilter()
    print(f"classifier available: {new.model is not None and new.model.available}")
    checks: dict[str, Check] = {"new": lambda s: bool(new.check(s, "output"))}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_baseline:
            checks["before"] = baseline_filter(Path(tmp))
        for title, (unsafe_file, benign_file) in {
            "tuning set (thresholds picked here)": (
                "safety_tune_unsafe.tsv",
                "safety_tune_benign.tsv",
            ),
            "BLIND judging set": ("safety_judge_unsafe.tsv", "safety_judge_benign.tsv"),
        }.items():  # fmt: skip
            unsafe, benign = load(unsafe_file), load(benign_file)
            report(title, {name: measure(check, unsafe, benign) for name, check in checks.items()})
    print("\ntargets: block >= 0.95, gentle >= 0.90, false block <= 0.03, <= 5 ms/sentence")
    return 0


if __name__ == "__main__":
    sys.exit(main())
