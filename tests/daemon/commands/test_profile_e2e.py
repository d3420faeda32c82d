"""The whole daemon, as `teddy chat` runs it (a subprocess, offline, real models and SQLite):
the child tells the bear about their dog, the parent sees it with `teddy profile show`, the bear
names the dog the next time, and after `teddy profile forget --all` it no longer can."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _teddy(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "teddy.toml"
    if not config.exists():
        config.write_text(f'[history]\npath = "{tmp_path / "h.sqlite3"}"\n')
    return subprocess.run(
        [sys.executable, "-m", "daemon", *argv, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANTHROPIC_API_KEY": ""},
    )


def _chat(tmp_path: Path, text: str) -> dict[str, Any]:
    out = _teddy(tmp_path, "chat", "--no-speak", "--json", text)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_the_daemon_remembers_shows_uses_and_forgets(tmp_path: Path) -> None:
    first = _chat(tmp_path, "My dog is called Rex. I love dinosaurs!")
    assert first["offline"] is True and "Rex" not in first["reply"]

    shown = _teddy(tmp_path, "profile", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    assert {(r["kind"], r["subject"], r["value"]) for r in rows} == {
        ("pet", "dog", "Rex"),
        ("likes", "", "dinosaurs"),
    }
    assert {r["interaction_id"] for r in rows} == {first["interaction_id"]}

    second = _chat(tmp_path, "Yay! I played ball with my dog, it was so much fun!")
    assert second["reply"].endswith("I remember Rex, your dog!")

    forgot = _teddy(tmp_path, "profile", "forget", "--all")
    assert forgot.returncode == 0 and "forgot 2 fact(s)" in forgot.stdout
    third = _chat(tmp_path, "Yay! I played ball with my dog, it was so much fun!")
    assert "Rex" not in third["reply"]


def test_memory_off_keeps_nothing(tmp_path: Path) -> None:
    (tmp_path / "teddy.toml").write_text(
        f'[history]\npath = "{tmp_path / "h.sqlite3"}"\n\n[memory]\nenabled = false\n'
    )
    _chat(tmp_path, "My dog is called Rex.")
    shown = _teddy(tmp_path, "profile", "show", "--json")
    assert shown.returncode == 0 and shown.stdout == ""
