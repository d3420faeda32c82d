"""A plug-in package installed with pip joins a real interaction through its entry point."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "teddy_wordcount_plugin"


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def installed_plugin() -> Iterator[None]:
    # Offline and without build isolation: setuptools is already in the test venv.
    _pip("install", "--no-deps", "--no-index", "--no-build-isolation", str(PLUGIN))
    try:
        yield
    finally:
        _pip("uninstall", "-y", "teddy-wordcount-plugin")


def _chat(tmp_path: Path, config: str, text: str) -> dict[str, object]:
    path = tmp_path / "teddy.toml"
    path.write_text(f'[history]\npath = "{tmp_path / "h.sqlite3"}"\n\n{config}')
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon",
            "chat",
            "--no-speak",
            "--json",
            "--config",
            str(path),
            text,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANTHROPIC_API_KEY": ""},
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_an_entry_point_plugin_runs_inside_an_interaction(
    installed_plugin: None, tmp_path: Path
) -> None:
    steps = '[[pipeline.steps]]\ntype = "word_count"\ndepends_on = ["reply"]\ntimeout = 5.0\n'
    result = _chat(tmp_path, steps, "can we read a story about a dragon")
    step = result["steps"]["word_count"]  # type: ignore[index]
    assert step["status"] == "completed", step
    assert step["result"]["heard_words"] == 8
    assert step["result"]["reply_words"] > 0
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        rows = db.execute("SELECT type, status FROM tasks WHERE step = 'word_count'").fetchall()
    assert rows == [("word_count", "completed")]


def test_a_config_plugin_uses_the_same_registry(installed_plugin: None, tmp_path: Path) -> None:
    config = (
        '[plugins]\nwords = "teddy_wordcount:count_words"\n\n'
        '[[pipeline.steps]]\ntype = "words"\ndepends_on = ["reply"]\n'
    )
    result = _chat(tmp_path, config, "hello teddy")
    assert result["steps"]["words"]["result"]["heard_words"] == 2  # type: ignore[index]


def test_a_missing_plugin_fails_only_its_own_step(tmp_path: Path) -> None:
    steps = '[[pipeline.steps]]\ntype = "not_installed"\ndepends_on = ["reply"]\n'
    result = _chat(tmp_path, steps, "hello teddy")
    assert result["reply"]
    assert result["status"] == "done"
    step = result["steps"]["not_installed"]  # type: ignore[index]
    assert step["status"] == "failed" and "not_installed" in step["error"]
