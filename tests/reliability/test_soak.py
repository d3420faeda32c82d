"""Soak: 2,000 replayed interactions through the real daemon (tone transcriber, local
Messages-API server, speech off): memory stays flat after warm-up, every row ends final, and the
number of asyncio tasks does not grow."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from tests.e2e.harness import free_port, http_get, running_api
from tests.reliability.launcher import write_tones
from tests.reliability.rig import FINAL, Bear, rows, rss_kb, write_config

N = int(os.environ.get("SOAK_N", "2000").strip() or 2000)
WARM_UP = max(50, N // 10)
DISTINCT = 20


def _done(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM interactions WHERE status IN ('done','failed','rejected',"
            "'dropped','expired','interrupted')"
        ).fetchone()
    return int(count)


def _tasks(port: int) -> int:
    status, body = http_get(port, "/status")
    assert status == 200, body
    return int(json.loads(body)["asyncio_tasks"])


def test_soak_two_thousand_interactions(tmp_path: Path) -> None:
    base = write_tones(tmp_path / "base", list(range(DISTINCT)))
    replay = tmp_path / "wav"
    replay.mkdir()
    sources = sorted(base.iterdir())
    for n in range(N):  # hard links: 2,000 files, 20 files' worth of disk
        os.link(sources[n % DISTINCT], replay / f"{n:05d}.wav")
    db = tmp_path / "history.sqlite3"
    port = free_port()
    with running_api("Good job! Tell me more.") as api:
        config = write_config(tmp_path, api_url=api.base_url, db=db, port=port)
        with Bear(config, tmp_path / "daemon.log", replay=replay) as bear:
            bear.wait_ready()
            started = time.monotonic()
            deadline = started + 600
            while _done(db) < WARM_UP and time.monotonic() < deadline:
                time.sleep(0.5)
            warm_rss, warm_tasks, warm_at = rss_kb(bear.pid), _tasks(port), time.monotonic()
            peak = warm_rss
            while _done(db) < N and time.monotonic() < deadline:
                time.sleep(1.0)
                peak = max(peak, rss_kb(bear.pid))
            end_rss, end_tasks = rss_kb(bear.pid), _tasks(port)
            took = time.monotonic() - started
            rate = (N - WARM_UP) / max(1e-9, time.monotonic() - warm_at)
            bear.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            assert bear.process.wait(30) == 0, bear.tail()
        requests = len(api.requests)
    table = rows(db)
    growth = (end_rss - warm_rss) / warm_rss
    print(
        f"soak: {N} interactions in {took:.0f} s ({rate:.1f}/s after warm-up); RSS after "
        f"{WARM_UP} {warm_rss / 1024:.0f} MB, end {end_rss / 1024:.0f} MB (+{growth:.1%}), "
        f"peak {peak / 1024:.0f} MB; asyncio tasks {warm_tasks} -> {end_tasks}; "
        f"{requests} LLM requests"
    )
    assert len(table) == N, f"{len(table)} rows for {N} utterances"
    assert all(r["status"] in FINAL for r in table)
    assert sum(r["status"] == "done" for r in table) == N
    assert growth <= 0.10, f"RSS grew {growth:.1%} after warm-up"
    assert end_tasks <= warm_tasks + 2, "asyncio tasks leak"
    assert not any((tmp_path / "history.sqlite3.audio").glob("*.flac"))
