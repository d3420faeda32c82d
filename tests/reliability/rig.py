"""The fault suite's rig: a real daemon subprocess (tone transcriber, see ``launcher.py``) against
the local Messages-API server, with its journal read straight from SQLite."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.e2e.harness import ROOT, NotifySocket, free_port, http_get, wait_until

FINAL = {"done", "failed", "rejected", "dropped", "expired", "interrupted"}
QUESTION = re.compile(r"question number (\d+)")


def write_config(
    folder: Path,
    *,
    api_url: str,
    db: Path,
    port: int,
    extra: str = "",
    pending: int = 8,
    **history: Any,
) -> Path:
    lines = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in history.items())
    lines = lines.replace("True", "true").replace("False", "false")
    path = folder / "teddy.toml"
    path.write_text(
        f"""
[llm]
base_url = "{api_url}"
timeout_s = 20.0
max_retries = 0
history_turns = 2

[vad]
backend = "energy"

[pipeline]
speak = false
max_pending = {pending}

[history]
path = "{db}"
{lines}
[health]
port = {port}
{extra}
""".lstrip()
    )
    return path


class Bear:
    """One daemon process: started, waited for READY, signalled; killed if still alive."""

    def __init__(
        self, config: Path, log: Path, *, replay: Path | None = None, fast: bool = True
    ) -> None:
        self.config = config
        self.log = log
        self.args = ["run", "--config", str(config)]
        if replay is not None:
            self.args += ["--input", f"replay:{replay}"] + (["--fast"] if fast else [])
        self.process: subprocess.Popen[bytes] | None = None
        self._notify: NotifySocket | None = None
        self.started_at = 0.0

    def __enter__(self) -> Bear:
        sock = self.log.with_suffix(f".{time.monotonic_ns()}.sock")
        self._notify = NotifySocket(sock).__enter__()
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "ANTHROPIC_API_KEY": "test-key",
            "NOTIFY_SOCKET": str(sock),
            # no audio server to reach: a replay is the only input
            "PULSE_SERVER": "unix:/nonexistent/pulse",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.launcher", *self.args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.started_at = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self._notify is not None:
            self._notify.__exit__(None, None, None)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def wait_ready(self, timeout: float = 120.0) -> None:
        assert self._notify is not None
        notify = self._notify
        wait_until(lambda: "READY=1" in notify.received(), timeout, "READY=1", self)  # type: ignore[arg-type]

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_tail(self, lines: int = 40) -> str:  # the harness's wait_until reads this
        return self.tail(lines)


def rows(db: Path) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    for _ in range(50):  # the daemon may hold the write lock for a moment
        try:
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                conn.row_factory = sqlite3.Row
                return [
                    dict(r)
                    for r in conn.execute("SELECT * FROM interactions ORDER BY started_at, rowid")
                ]
        except sqlite3.OperationalError:
            time.sleep(0.1)
    raise AssertionError(f"cannot read {db}")


def question_of(row: dict[str, Any]) -> int | None:
    match = QUESTION.search(row.get("transcript") or "")
    return int(match.group(1)) if match else None


def asked(api: Any) -> list[int]:
    """The question numbers in the Messages-API requests, in arrival order."""
    return [k for _, k, _ in asked_at(api)]


def asked_at(api: Any) -> list[tuple[float, int, str]]:
    """(arrival time, question number, the last message) of each request that asks one."""
    out: list[tuple[float, int, str]] = []
    for request in list(api.requests):
        last = request.json["messages"][-1]["content"]
        text = last if isinstance(last, str) else " ".join(p.get("text", "") for p in last)
        found = QUESTION.findall(text)
        if found:
            out.append((request.received_at, int(found[-1]), text[:80]))
    return out


def health(port: int) -> tuple[int, dict[str, Any]]:
    import json

    status, body = http_get(port, "/healthz")
    return status, (json.loads(body) if body else {})


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


__all__: Sequence[str] = (
    "FINAL",
    "Bear",
    "asked",
    "asked_at",
    "free_port",
    "health",
    "question_of",
    "rows",
    "rss_kb",
    "write_config",
)
