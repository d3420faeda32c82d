"""SIGHUP reload planning: live keys apply, the rest waits for a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, TeddyConfig, load_config, plan_reload, reload_config


def _cfg(tmp_path: Path, text: str) -> TeddyConfig:
    path = tmp_path / "t.toml"
    path.write_text(text)
    return load_config(path, env={}, search=())


def test_nothing_changed() -> None:
    plan = plan_reload(TeddyConfig(), TeddyConfig())
    assert not plan.changed and plan.config == TeddyConfig()
    assert plan.summary() == "config reloaded: nothing changed"


def test_live_keys_apply_and_restart_keys_keep_running_values(tmp_path: Path) -> None:
    new = _cfg(
        tmp_path,
        '[logging]\nlevel = "DEBUG"\n[vad]\nthreshold = 0.6\n[llm]\nsystem_prompt = "Be brief."\n'
        '[health]\nport = 9999\n[stt]\nmodel = "base"\n',
    )
    plan = plan_reload(TeddyConfig(), new)
    assert plan.live == ("llm.system_prompt", "logging.level", "vad.threshold")
    assert plan.restart == ("health.port", "stt.model")
    assert plan.config.logging.level == "DEBUG" and plan.config.vad.threshold == 0.6
    assert plan.config.llm.system_prompt == "Be brief."
    assert plan.config.health.port == 8765 and plan.config.stt.model == "tiny.en"
    assert "need a restart (running values kept): health.port, stt.model" in plan.summary()


def test_alert_rules_are_live(tmp_path: Path) -> None:
    new = _cfg(
        tmp_path,
        '[alerts]\nmax_alerts = 2\nkeywords = ["ouch"]\nemotions = { fear = 0.8 }\n',
    )
    plan = plan_reload(TeddyConfig(), new)
    assert plan.restart == ()
    assert set(plan.live) == {
        "alerts.max_alerts",
        "alerts.keywords",
        "alerts.emotions.fear",
        "alerts.emotions.sadness",
        "alerts.emotions.anger",
    }
    assert plan.config.alerts.emotions == {"fear": 0.8} and plan.config.alerts.keywords == ["ouch"]


def test_added_and_removed_table_entries_are_changes(tmp_path: Path) -> None:
    old = _cfg(tmp_path, '[plugins]\na = "m:f"\n')
    new = _cfg(tmp_path, '[plugins]\nb = "m:g"\n')
    plan = plan_reload(old, new)
    assert plan.restart == ("plugins.a", "plugins.b")
    assert plan.config.plugins == {"a": "m:f"}


def test_reload_from_file_and_bad_file_keeps_running_config(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[child]\nage = 7\n")
    plan = reload_config(TeddyConfig(), path, env={}, search=())
    assert plan.live == ("child.age",) and plan.config.child.age == 7
    path.write_text("[child]\nage = 70\n")
    with pytest.raises(ConfigError, match=r"child\.age = 70"):
        reload_config(plan.config, path, env={}, search=())


def test_first_entry_of_an_empty_table(tmp_path: Path) -> None:
    plan = plan_reload(TeddyConfig(), _cfg(tmp_path, '[plugins]\nwc = "m:f"\n'))
    assert plan.restart == ("plugins.wc",) and plan.live == ()
