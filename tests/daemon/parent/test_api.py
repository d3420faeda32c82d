"""The parent JSON API on a real server and a real SQLite history: search, feelings, alerts,
settings through the overlay and the reload path, test alerts, export and delete, bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon.parent.harness import TOKEN, Served
from tests.processors.alerts.receiver import webhook_receiver

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def call(served: Served, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as s,
        s.request(method, served.url + path, headers=AUTH, json=body) as resp,
    ):
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.read()


async def test_interactions_newest_first_with_search_and_dates(served: Served) -> None:
    status, body = await call(served, "GET", "/api/interactions")
    assert status == 200
    rows = body["interactions"]
    assert [r["emotion"] for r in rows] == ["sadness", "fear", "joy"]
    assert [r["offline"] for r in rows] == [False, True, False]
    assert rows[1]["alerts"][0]["severity"] == "high"
    _, body = await call(served, "GET", "/api/interactions?q=DARK")
    assert [r["emotion"] for r in body["interactions"]] == ["fear"]
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)).isoformat()
    _, body = await call(served, "GET", f"/api/interactions?since={yesterday.replace('+', '%2B')}")
    assert [r["emotion"] for r in body["interactions"]] == ["sadness"]
    _, body = await call(served, "GET", "/api/interactions?limit=1")
    assert len(body["interactions"]) == 1
    _, body = await call(served, "GET", "/api/interactions?q=100%25_")
    assert body["interactions"] == []  # LIKE wildcards are literal


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/api/interactions?since=yesterday", "since='yesterday' is not an ISO date"),
        ("/api/interactions?limit=many", "limit='many' is not a whole number"),
        ("/api/interactions?limit=0", "limit=0 is out of range"),
        ("/api/feelings?bucket=week", "bucket='week': use one of day, hour"),
        ("/api/feelings?days=1000", "days=1000 is out of range"),
        ("/api/alerts/abc/ack", "alert id 'abc' is not a number"),
    ],
)
async def test_bad_parameters_get_one_clear_line(served: Served, path: str, words: str) -> None:
    method = "POST" if path.endswith("/ack") else "GET"
    status, body = await call(served, method, path)
    assert status == 400
    assert words in body["error"] and "\n" not in body["error"]


async def test_delete_needs_before(served: Served) -> None:
    status, body = await call(served, "DELETE", "/api/interactions")
    assert status == 400 and "before= is required" in body["error"]


async def test_feelings_per_day_and_by_hour(served: Served) -> None:
    status, body = await call(served, "GET", "/api/feelings?days=7&bucket=day")
    assert status == 200
    assert len(body["buckets"]) == 7
    counts: dict[str, int] = {}
    for b in body["buckets"]:
        for emotion, n in b["counts"].items():
            counts[emotion] = counts.get(emotion, 0) + n
    assert counts == {"joy": 1, "fear": 1, "sadness": 1}
    assert [m["emotion"] for m in body["moments"]] == ["fear", "sadness"]
    _, body = await call(served, "GET", "/api/feelings?days=30&bucket=hour")
    assert [b["key"] for b in body["buckets"]] == [f"{h:02d}" for h in range(24)]
    assert sum(b["total"] for b in body["buckets"]) == 3
    _, body = await call(served, "GET", "/api/feelings?days=1")
    assert sum(b["total"] for b in body["buckets"]) <= 1  # only today's sadness (if still today)


async def test_alerts_listed_and_acknowledged_once(served: Served) -> None:
    _, body = await call(served, "GET", "/api/alerts")
    (alert,) = body["alerts"]
    assert alert["severity"] == "high" and alert["acknowledged_at"] is None
    assert alert["transcript"] == "I am scared of the dark at night"
    status, first = await call(served, "POST", f"/api/alerts/{alert['id']}/ack")
    assert status == 200 and first["acknowledged_at"]
    _, again = await call(served, "POST", f"/api/alerts/{alert['id']}/ack")
    assert again["acknowledged_at"] == first["acknowledged_at"]
    status, _ = await call(served, "POST", "/api/alerts/9999/ack")
    assert status == 404


async def test_settings_change_overlay_and_apply_live(served: Served, tmp_path: Path) -> None:
    change = {"history.retention_days": 45, "child.name": "Mia", "alerts.urls": ["json://x/y"]}
    status, body = await call(served, "PUT", "/api/settings", change)
    assert status == 200, body
    assert "applied now" in body["applied"] and "history.retention_days" in body["applied"]
    assert served.parts.config.history.retention_days == 45  # the running config changed
    assert served.parts.config.child.name == "Mia"
    overlay = tmp_path / "parent-settings.json"
    assert json.loads(overlay.read_text()) == change
    assert overlay.stat().st_mode & 0o777 == 0o600
    fields = {f["key"]: f for f in body["fields"]}
    assert fields["child.name"]["from_overlay"] and fields["child.name"]["value"] == "Mia"
    status, body = await call(served, "DELETE", "/api/settings")
    assert status == 200 and not overlay.exists()
    assert served.parts.config.history.retention_days == 30


async def test_bad_setting_refused_with_one_line_and_nothing_written(
    served: Served, tmp_path: Path
) -> None:
    status, body = await call(
        served, "PUT", "/api/settings", {"parental.quiet_hours": ["25:00-07:00"]}
    )
    assert status == 400
    assert "parental.quiet_hours" in body["error"] and "00-23" in body["error"]
    status, body = await call(served, "PUT", "/api/settings", {"health.token": "x"})
    assert status == 400 and "cannot be set from the parent page" in body["error"]
    status, body = await call(served, "PUT", "/api/settings", ["not", "an", "object"])
    assert status == 400
    assert not (tmp_path / "parent-settings.json").exists()


async def test_env_pinned_key_is_shown_and_refused(tmp_path: Path) -> None:
    served = await Served.start(tmp_path, env={"TEDDY_HISTORY__RETENTION_DAYS": "7"})
    try:
        _, body = await call(served, "GET", "/api/settings")
        fields = {f["key"]: f for f in body["fields"]}
        assert fields["history.retention_days"]["pinned_by"] == "TEDDY_HISTORY__RETENTION_DAYS"
        assert fields["history.retention_days"]["value"] == 7
        status, body = await call(served, "PUT", "/api/settings", {"history.retention_days": 10})
        assert status == 400 and "TEDDY_HISTORY__RETENTION_DAYS" in body["error"]
    finally:
        await served.stop()


async def test_send_test_alert_reports_each_channel(tmp_path: Path) -> None:
    async with webhook_receiver() as rx:
        served = await Served.start(tmp_path, extra_toml=f'webhook_url = "{rx.url}"\n')
        try:
            status, body = await call(served, "POST", "/api/alerts/test")
        finally:
            await served.stop()
    assert status == 200
    assert [(d["channel"], d["ok"]) for d in body["deliveries"]] == [("webhook", True)]
    assert rx.requests[0].json["alerts"][0]["rule"] == "test"


async def test_export_zip_holds_everything_and_audio_when_stored(tmp_path: Path) -> None:
    served = await Served.start(tmp_path, store_audio=True)
    try:
        status, data = await call(served, "GET", "/api/export")
        _, wav = await call(served, "GET", f"/api/interactions/{served.ids[0]}/audio")
    finally:
        await served.stop()
    assert status == 200
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        doc = json.loads(zf.read("teddy-export.json"))
        names = zf.namelist()
    assert len(doc["interactions"]) == 3 and len(doc["alerts"]) == 1
    assert sorted(n for n in names if n.startswith("audio/")) == sorted(
        f"audio/{i}.wav" for i in served.ids
    )
    assert wav[:4] == b"RIFF"


async def test_no_audio_when_store_audio_is_off(served: Served) -> None:
    status, body = await call(served, "GET", f"/api/interactions/{served.ids[0]}/audio")
    assert status == 404 and "store_audio is off" in body["error"]
    _, data = await call(served, "GET", "/api/export")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["teddy-export.json"]


async def test_delete_before_a_date(served: Served) -> None:
    cut = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    status, body = await call(
        served, "DELETE", f"/api/interactions?before={cut.replace('+', '%2B')}"
    )
    assert status == 200 and body["deleted"] == 2
    _, body = await call(served, "GET", "/api/interactions")
    assert [r["emotion"] for r in body["interactions"]] == ["sadness"]
    _, body = await call(served, "GET", "/api/alerts")
    assert body["alerts"] == []  # the fear alert went with its conversation


async def test_now_reports_state_minutes_and_last(served: Served) -> None:
    status, body = await call(served, "GET", "/api/now")
    assert status == 200
    assert body["state"] == "listening"
    assert body["last"]["transcript"] == "my fish died today"
    rows = await served.parts.store.fetch("SELECT started_at FROM interactions")  # type: ignore[union-attr]
    today = dt.datetime.now().astimezone().date()
    local_days = [dt.datetime.fromisoformat(r["started_at"]).astimezone().date() for r in rows]
    assert body["minutes_today"] == round(12 * local_days.count(today) / 60, 1)  # 12 s each


async def test_a_restart_key_can_be_set_back(served: Served, tmp_path: Path) -> None:
    """parental.* waits for a restart today: setting it back must still reach the overlay."""
    overlay = tmp_path / "parent-settings.json"
    status, _ = await call(served, "PUT", "/api/settings", {"parental.daily_limit_min": 45})
    assert status == 200
    assert json.loads(overlay.read_text()) == {"parental.daily_limit_min": 45}
    status, body = await call(served, "PUT", "/api/settings", {"parental.daily_limit_min": 0})
    assert status == 200
    assert json.loads(overlay.read_text()) == {"parental.daily_limit_min": 0}
    fields = {f["key"]: f for f in body["fields"]}
    assert fields["parental.daily_limit_min"]["value"] == 0
