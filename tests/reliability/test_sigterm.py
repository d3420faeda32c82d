"""SIGTERM with 10 utterances in flight: the daemon exits within 12 s, nothing is lost, and the
next start answers what was left."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.e2e.harness import free_port, running_api
from tests.reliability.launcher import write_tones
from tests.reliability.rig import FINAL, Bear, rows, write_config

N = 10


def test_sigterm_with_ten_in_flight_exits_in_time_and_resumes(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    # ~1.2 s per answer, as measured against the real API in the issue
    with running_api("It is bedtime soon. Sleep tight!", initial_delay_s=1.2) as api:
        config = write_config(tmp_path, api_url=api.base_url, db=db, port=free_port(), pending=N)
        replay = write_tones(tmp_path / "wav", list(range(N)))
        with Bear(config, tmp_path / "daemon.log", replay=replay) as bear:
            bear.wait_ready()
            deadline = time.monotonic() + 30
            while len(rows(db)) < N and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(rows(db)) == N, "all ten are journaled before the signal"
            time.sleep(1.0)
            sent = time.monotonic()
            bear.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            code = bear.process.wait(30)  # type: ignore[union-attr]
            took = time.monotonic() - sent
        after_stop = rows(db)
        done_before = sum(r["status"] == "done" for r in after_stop)
        print(f"SIGTERM: exit {code} after {took:.1f} s; {done_before} done, rest unfinished")
        assert code == 0 and took <= 12.0, bear.tail()
        assert len(after_stop) == N
        with Bear(config, tmp_path / "restart.log") as again:
            again.wait_ready()
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not all(r["status"] in FINAL for r in rows(db)):
                time.sleep(0.2)
            again.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            again.process.wait(30)  # type: ignore[union-attr]
    final = rows(db)
    print(f"after restart: {[r['status'] for r in final]}")
    assert [r["status"] for r in final] == ["done"] * N
    assert all(r["reply"] for r in final)
    assert "resuming" in (tmp_path / "restart.log").read_text()
