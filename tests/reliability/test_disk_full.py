"""The history's disk fills up mid-run (a real 2 MB tmpfs filled by a ballast file): the bear
answers every utterance anyway, health says the database is unhealthy and why, and once space
returns the held rows are written and health is healthy again."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import free_port, running_api
from tests.reliability.launcher import write_tones
from tests.reliability.rig import Bear, asked, health, rows, write_config

N = 8


@contextlib.contextmanager
def small_disk(where: Path, size: str = "2m") -> Iterator[Path]:
    where.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.strip()}); needs root/CAP_SYS_ADMIN")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    ballast = disk / "ballast"
    chunk = b"\0" * 65536
    with ballast.open("wb") as fh:
        while True:
            try:
                fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    return ballast


def test_disk_full_mid_run_keeps_answering_and_recovers(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk, running_api("I hear you, friend!") as api:
        db = disk / "history.sqlite3"
        port = free_port()
        config = write_config(tmp_path, api_url=api.base_url, db=db, port=port)
        replay = write_tones(tmp_path / "wav", list(range(N)))
        # real time: the utterances arrive one by one while the disk is full
        with Bear(config, tmp_path / "daemon.log", replay=replay, fast=False) as bear:
            bear.wait_ready()
            ballast = fill(disk)
            deadline = time.monotonic() + 60
            while len(asked(api)) < N and time.monotonic() < deadline:
                time.sleep(0.2)
            answered_while_full = sorted(asked(api))
            status, report = health(port)
            database = report["checks"]["database"]
            print(f"while full: answered {answered_while_full}; /healthz {status} {database}")
            assert answered_while_full == list(range(N)), bear.tail()
            assert status == 503 and database["state"] == "unhealthy", database
            assert "held in memory" in database["detail"] and database["data"]["held"] > 0
            ballast.unlink()  # space returns
            deadline = time.monotonic() + 30
            while (
                time.monotonic() < deadline
                and health(port)[1]["checks"]["database"]["state"] != "ok"
            ):
                time.sleep(0.2)
            status, report = health(port)
            print(f"after space returned: /healthz {status} {report['checks']['database']}")
            assert report["checks"]["database"]["state"] == "ok", bear.tail()
            bear.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            assert bear.process.wait(20) == 0  # type: ignore[union-attr]
        final = rows(db)
        print(f"rows: {[r['status'] for r in final]}")
        assert [r["status"] for r in final] == ["done"] * N
        assert all(r["reply"] == "I hear you, friend!" for r in final)
