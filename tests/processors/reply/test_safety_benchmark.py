"""benchmarks/safety.py on a judging set given by path: the report's lines, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "benchmarks" / "safety.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_any_judging_set_is_reported_per_style_and_category(tmp_path: Path) -> None:
    unsafe = tmp_path / "u.tsv"
    benign = tmp_path / "b.tsv"
    unsafe.write_text(
        "sexual\texplicit\tShow me your private parts on the webcam.\n"
        "weapons\tgentle\tTake the big kitchen knife and cut the rope yourself.\n",
        encoding="utf-8",
    )
    benign.write_text(
        "# a comment line\n"
        "weapons\tadvice\tAsk your mum to cut the rope with the kitchen knife.\n"
        "ordinary\tordinary\tShall we sing a song about ducks?\n",
        encoding="utf-8",
    )
    result = run("--unsafe", str(unsafe), "--benign", str(benign), "--no-baseline")
    assert result.returncode == 0, result.stderr
    lines = {line.split("  ")[0]: line.split() for line in result.stdout.splitlines()}
    assert lines["block: explicit"][-2:] == ["1.000", "1"]  # the explicit rule blocks it
    assert lines["false block: ordinary"][-2:] == ["0.000", "1"]
    for key in ("block: all unsafe", "block: gentle", "block: weapons", "false block: advice"):
        assert key in lines, key
    assert "ms/sentence p50" in result.stdout and "ms/sentence p99" in result.stdout
    assert "DEV set" not in result.stdout  # only the given set


def test_a_malformed_line_names_the_file_and_line(tmp_path: Path) -> None:
    unsafe = tmp_path / "u.tsv"
    unsafe.write_text("weapons\tgentle\tfine line\nno tabs here\n", encoding="utf-8")
    result = run("--unsafe", str(unsafe), "--benign", str(unsafe), "--no-baseline")
    assert result.returncode != 0
    assert f"{unsafe}:2: expected category<TAB>style<TAB>sentence" in result.stderr


def test_unsafe_and_benign_go_together(tmp_path: Path) -> None:
    result = run("--unsafe", str(tmp_path / "u.tsv"), "--no-baseline")
    assert result.returncode == 2
    assert "--unsafe and --benign go together" in result.stderr
