"""The parent page inside the real daemon (``Daemon`` headless: no microphone, real stages, real
HTTP server, real history): the Now state, settings applied through ``Daemon.reload`` (the SIGHUP
path), the test alert through the daemon's live alert stage; and the quiet-hours clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from daemon.app import Daemon
from daemon.config import load_config
from daemon.parent.wiring import in_quiet_hours
from tests.daemon.parent.harness import TOKEN, write_config
from tests.processors.alerts.receiver import webhook_receiver

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("spans", "now", "inside"),
    [
        (["19:30-07:00"], dt.time(23, 0), "19:30-07:00"),
        (["19:30-07:00"], dt.time(6, 59), "19:30-07:00"),
        (["19:30-07:00"], dt.time(7, 0), None),
        (["13:00-14:30", "20:00-06:00"], dt.time(13, 30), "13:00-14:30"),
        ([], dt.time(3, 0), None),
    ],
)
def test_quiet_hours_cross_midnight(spans: list[str], now: dt.time, inside: str | None) -> None:
    assert in_quiet_hours(spans, now) == inside


@pytest.mark.slow
async def test_page_served_by_the_daemon_reloads_like_sighup(tmp_path: Path) -> None:
    async with webhook_receiver() as rx:
        path = write_config(tmp_path, f'webhook_url = "{rx.url}"\n[pipeline]\nspeak = false\n')
        env = {"ANTHROPIC_API_KEY": ""}
        daemon = Daemon(load_config(path, env), config_path=path, env=env, listen=False)
        await daemon.start()
        try:
            assert daemon.http is not None
            url = daemon.http.url
            async with aiohttp.ClientSession(headers=AUTH) as s:
                async with s.get(url + "/api/now") as resp:
                    now = await resp.json()
                assert now["state"] == "starting"  # no microphone: capture never ready
                assert now["last"] is None and now["minutes_today"] == 0.0
                body = {"history.retention_days": 12, "child.name": "Mia"}
                async with s.put(url + "/api/settings", json=body) as resp:
                    assert resp.status == 200
                    applied = (await resp.json())["applied"]
                async with s.post(url + "/api/alerts/test") as resp:
                    deliveries = (await resp.json())["deliveries"]
                async with s.get(url + "/healthz") as resp:
                    assert resp.status in (200, 503)  # the health paths still answer the token
        finally:
            await daemon.stop()
    assert "applied now: child.name, history.retention_days" in applied
    assert daemon.config.history.retention_days == 12 and daemon.config.child.name == "Mia"
    assert json.loads((tmp_path / "parent-settings.json").read_text()) == body
    assert [(d["channel"], d["ok"]) for d in deliveries] == [("webhook", True)]
    assert len(rx.requests) == 1  # sent by the daemon's own alert stage
    # the next start reads the overlay too (teddy run)
    assert load_config(path, env).child.name == "Mia"


def test_teddy_run_refuses_a_lan_bind_without_a_parent_password(tmp_path: Path) -> None:
    config = tmp_path / "teddy.toml"
    config.write_text(
        f'[history]\npath = "{tmp_path / "history.sqlite3"}"\n'
        f'[health]\nhost = "0.0.0.0"\nport = 0\ntoken = "{TOKEN}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "run", "--config", str(config), "--input", "replay:/x"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "TEDDY_CONFIG": ""},
        timeout=120,
    )
    assert done.returncode != 0
    refusal = [line for line in done.stderr.splitlines() if "refusing" in line]
    assert len(refusal) == 1 and "teddy parent set-password" in refusal[0]


async def test_now_follows_the_parental_gate_and_extend_reaches_it(tmp_path: Path) -> None:
    """The Now state is the gate's verdict (its limit, its minutes), and "extend today" on the
    page extends the gate's limit."""
    from daemon.config.family import ParentalConfig
    from daemon.hearing.gate import ListeningGate
    from daemon.history.store import HistoryStore
    from daemon.ops.health import HealthRegistry
    from daemon.parent.wiring import live_status
    from tests.daemon.parent.harness import Parts

    noon = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    config = ParentalConfig(daily_limit_min=1, quiet_hours=["11:30-12:30"])
    gate = ListeningGate(config, clock=lambda: noon)
    store = await HistoryStore.open(tmp_path / "history.sqlite3")
    try:
        path = write_config(tmp_path)
        health = HealthRegistry(ready_flags=())
        parts = Parts(load_config(path, {}), {}, store, health=health, gate=gate)
        status = await live_status(parts)
        assert (status["state"], status["limit_min"]) == ("sleeping", 1)
        gate.apply(ParentalConfig(daily_limit_min=1))
        assert (await live_status(parts))["state"] == "listening"
        gate.extend_today(15)
        assert (await live_status(parts))["limit_min"] == 16
    finally:
        await store.close()
