"""The daemon as a subprocess on replayed speech refuses to listen in quiet hours and after the
daily limit: no transcript, no history row of the child's words, and its line handed to the
speaker exactly once (there is no output device here, so the line itself is not heard)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from daemon.history.store import HistoryStore
from tests.daemon.hearing.speech import sentences_with_pauses, write
from tests.e2e.harness import DaemonProcess, free_port, http_get, wait_until

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, port: int, parental: str) -> Path:
    path = tmp_path / "teddy.toml"
    path.write_text(
        f'[history]\npath = "{tmp_path / "h.sqlite3"}"\n\n[health]\nport = {port}\n\n'
        f"[parental]\n{parental}\n"
    )
    return path


def _listening(port: int) -> dict[str, Any]:
    status, body = http_get(port, "/healthz")
    if status == 0:
        return {}
    check = json.loads(body)["checks"].get("listening", {})
    return dict(check)


def _rows(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM interactions")]


def _run(tmp_path: Path, parental: str, expect_state: str, line: str) -> dict[str, Any]:
    port = free_port()
    config = _config(tmp_path, port, parental)
    wav = write(tmp_path / "child.wav", sentences_with_pauses(tmp_path).audio)
    env = {"TZ": "UTC", "PULSE_SERVER": "unix:/nonexistent/pulse", "ANTHROPIC_API_KEY": ""}
    env["TEDDY_LOGGING__LEVEL"] = "INFO"
    args = ["run", "--config", str(config), "--input", f"replay:{wav}"]
    with DaemonProcess(args, env, tmp_path / "d.log") as d:

        def refused_all() -> bool:
            data = _listening(port).get("data", {})
            return bool(data) and data.get("refused", 0) >= 3

        wait_until(refused_all, 180, "three refused utterances", d)
        check = _listening(port)
        assert check["state"] == "ok", check  # the parent's wish, not a fault
        assert check["data"]["state"] == expect_state, check
        assert check["data"]["announced"] == {line: 1}, check
        status, body = http_get(port, "/status")
        assert status == 200 and json.loads(body)["parental"]["state"] == expect_state
        d.process.send_signal(signal.SIGTERM)
        assert d.process.wait(timeout=20) == 0, d.log_tail()
    log = d.log.read_text()
    assert log.count(f"parental: speaking the {line} line") == 1, log[-3000:]
    assert "utterance of" not in log  # nothing reached the pipeline
    return check


def test_quiet_hours_hear_nothing_and_say_sleeping_time_once(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    span = f"{now - dt.timedelta(minutes=2):%H:%M}-{now + dt.timedelta(minutes=60):%H:%M}"
    check = _run(tmp_path, f'quiet_hours = ["{span}"]', "sleeping", "sleeping")
    assert check["data"]["until"].startswith(f"{now + dt.timedelta(minutes=60):%Y-%m-%dT%H:%M}")
    assert _rows(tmp_path / "h.sqlite3") == []
    assert not any((tmp_path / "audio").glob("*")) if (tmp_path / "audio").exists() else True


def test_after_the_daily_limit_it_says_goodbye_once_and_keeps_the_count(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"

    async def talked_today() -> None:  # 90 s of talk already today, from an earlier run
        async with await HistoryStore.open(db) as store:
            now = dt.datetime.now(dt.UTC)
            iid = await store.record_captured(started_at=now - dt.timedelta(seconds=2))
            await store.finish(iid, "done", ended_at=now + dt.timedelta(seconds=88))

    asyncio.run(talked_today())
    check = _run(tmp_path, "daily_limit_min = 1", "limit_reached", "limit_reached")
    assert check["data"]["minutes_today"] >= 1.5 and check["data"]["limit_min"] == 1
    rows = _rows(db)
    assert len(rows) == 1 and rows[0]["transcript"] is None  # only the earlier row


def test_sighup_puts_the_bear_to_sleep_at_once(tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, port, "")
    env = {"TZ": "UTC", "PULSE_SERVER": "unix:/nonexistent/pulse", "ANTHROPIC_API_KEY": ""}
    with DaemonProcess(["run", "--config", str(config)], env, tmp_path / "d.log") as d:
        wait_until(lambda: bool(_listening(port)), 180, "the listening check", d)
        assert _listening(port)["data"]["state"] == "listening"
        now = dt.datetime.now(dt.UTC)
        span = f"{now - dt.timedelta(minutes=2):%H:%M}-{now + dt.timedelta(minutes=60):%H:%M}"
        config.write_text(config.read_text() + f'quiet_hours = ["{span}"]\n')
        d.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: _listening(port).get("data", {}).get("state") == "sleeping", 20, "sleep", d
        )
        assert "parental.quiet_hours" in d.log.read_text()
        d.process.send_signal(signal.SIGTERM)
        assert d.process.wait(timeout=20) == 0, d.log_tail()
