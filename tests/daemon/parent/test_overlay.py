"""The settings overlay in the loader: file < overlay < environment, for ``teddy run`` and reload;
a bad overlay value is one log line and that key is ignored, never a refused start."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from daemon.config import load_config, reload_config
from daemon.config.loader import overlay_path
from daemon.config.overlay import OverlayError, read_overlay, write_overlay
from daemon.history.db import default_history_path


def config_file(folder: Path) -> Path:
    path = folder / "teddy.toml"
    path.write_text(
        f'[history]\npath = "{folder / "history.sqlite3"}"\nretention_days = 10\n'
        '[child]\nname = "Sam"\nage = 6\n[parental]\nquiet_hours = ["20:00-07:00"]\n',
        encoding="utf-8",
    )
    return path


def overlay(folder: Path, values: dict[str, object]) -> Path:
    path = folder / "parent-settings.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def test_overlay_sits_between_file_and_environment(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    overlay(tmp_path, {"history.retention_days": 20, "child.name": "Mia"})
    config = load_config(path, env={})
    assert config.history.retention_days == 20 and config.child.name == "Mia"
    assert config.child.age == 6  # untouched keys come from the file
    env = {"TEDDY_HISTORY__RETENTION_DAYS": "5"}
    assert load_config(path, env=env).history.retention_days == 5


def test_bad_overlay_value_is_one_line_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = config_file(tmp_path)
    overlay(tmp_path, {"child.age": 99, "child.name": "Mia", "health.port": 1})
    with caplog.at_level(logging.ERROR):
        config = load_config(path, env={})
    assert config.child.age == 6 and config.child.name == "Mia"
    assert config.health.port == 8765  # not a key the page may set
    lines = [r.getMessage() for r in caplog.records]
    assert any("child.age = 99 ignored" in line and "\n" not in line for line in lines)
    assert any("'health.port' ignored" in line for line in lines)


def test_malformed_overlay_file_does_not_stop_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = config_file(tmp_path)
    (tmp_path / "parent-settings.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        config = load_config(path, env={})
    assert config.history.retention_days == 10
    assert "not JSON" in caplog.text


def test_reload_reads_the_overlay(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    before = load_config(path, env={})
    overlay(tmp_path, {"history.retention_days": 3})
    plan = reload_config(before, path, env={})
    assert plan.config.history.retention_days == 3
    assert plan.live == ("history.retention_days",)


def test_write_is_private_and_refuses_other_keys(tmp_path: Path) -> None:
    target = tmp_path / "state" / "parent-settings.json"
    write_overlay(target, {"child.name": "Mia"})
    assert target.stat().st_mode & 0o777 == 0o600
    assert read_overlay(target) == {"child.name": "Mia"}
    with pytest.raises(OverlayError, match=r"llm.model cannot be set"):
        write_overlay(target, {"llm.model": "x"})


def test_overlay_path_follows_the_history_database(tmp_path: Path) -> None:
    assert overlay_path({"history": {"path": str(tmp_path / "h.db")}}, {}) == (
        tmp_path / "parent-settings.json"
    )
    env = {"STATE_DIRECTORY": str(tmp_path)}
    assert overlay_path({}, env) == default_history_path(env).with_name("parent-settings.json")
    assert overlay_path({}, {}) == default_history_path({}).with_name("parent-settings.json")
