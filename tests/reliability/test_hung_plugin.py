"""A synchronous plug-in that never returns: SIGTERM still ends the daemon within
``shutdown_timeout_s`` + 2 s, and the interaction it held up is resumed by the next start."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.e2e.harness import free_port, running_api
from tests.reliability.launcher import write_tones
from tests.reliability.rig import FINAL, Bear, rows, write_config

GRACE_S = 3.0
HUNG = f"""
[processor]
shutdown_timeout_s = {GRACE_S}

[plugins]
stuck = "tests.reliability.plugins:hang_forever"

[[pipeline.steps]]
type = "stuck"
depends_on = ["transcription"]
timeout = 600.0
"""


def test_sigterm_ends_in_time_with_a_hung_sync_plugin(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with running_api("Hello!") as api:
        config = write_config(tmp_path, api_url=api.base_url, db=db, port=free_port(), extra=HUNG)
        replay = write_tones(tmp_path / "wav", [7])
        with Bear(config, tmp_path / "daemon.log", replay=replay) as bear:
            bear.wait_ready()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(r["reply"] for r in rows(db)):
                time.sleep(0.1)
            assert any(r["reply"] for r in rows(db)), bear.tail()
            sent = time.monotonic()
            bear.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            code = bear.process.wait(30)  # type: ignore[union-attr]
            took = time.monotonic() - sent
        log = (tmp_path / "daemon.log").read_text()
        print(f"hung plug-in: exit {code} after {took:.1f} s (limit {GRACE_S + 2:g} s)")
        assert took <= GRACE_S + 2.0, bear.tail()
        assert code in (0, 1), bear.tail()
        assert "a synchronous plug-in is stuck" in log or "abandoned" in log, bear.tail()
        (row,) = rows(db)
        assert row["status"] not in FINAL, "cut off, so it stays in the journal"
        # restart without the plug-in: the row is finished, its reply not asked for again
        config.write_text(config.read_text().split("[processor]")[0])
        with Bear(config, tmp_path / "restart.log") as again:
            again.wait_ready()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and rows(db)[0]["status"] not in FINAL:
                time.sleep(0.1)
            again.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            again.process.wait(20)  # type: ignore[union-attr]
        assert rows(db)[0]["status"] == "done"
        assert len(api.requests) == 1
