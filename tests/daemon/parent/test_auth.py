"""Passwords, sessions and login backoff (with a hand-driven clock), and `teddy parent
set-password` as a subprocess reading stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.parent.auth import LoginLimiter, PasswordError, PasswordFile, Sessions

REPO = Path(__file__).resolve().parents[3]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_password_file_is_an_argon2_hash_private_to_the_user(tmp_path: Path) -> None:
    pw = PasswordFile(tmp_path / "state" / "parent-password")
    assert not pw.is_set() and not pw.verify("anything at all")
    pw.set("long enough secret")
    text = pw.path.read_text()
    assert text.startswith("$argon2id$") and "long enough" not in text
    assert pw.path.stat().st_mode & 0o777 == 0o600
    assert pw.verify("long enough secret") and not pw.verify("long enough secreT")
    with pytest.raises(PasswordError, match="too short: 5 characters; use at least 8"):
        pw.set("short")


def test_sessions_expire_and_drop() -> None:
    clock = Clock()
    sessions = Sessions(ttl_s=60, clock=clock)
    sid, session = sessions.create()
    assert sessions.get(sid) is session and session.csrf
    clock.now += 61
    assert sessions.get(sid) is None
    sid, _ = sessions.create()
    sessions.drop(sid)
    assert sessions.get(sid) is None and sessions.get(None) is None


def test_login_backoff_doubles_per_address_and_resets() -> None:
    clock = Clock()
    limiter = LoginLimiter(free=3, max_wait_s=8, clock=clock)
    assert [limiter.failed("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.failed("a") == 1.0
    assert limiter.wait_s("b") == 0.0  # another address is not punished
    clock.now += 1
    assert limiter.failed("a") == 2.0
    clock.now += 2
    assert limiter.failed("a") == 4.0
    clock.now += 4
    assert limiter.failed("a") == 8.0
    clock.now += 8
    assert limiter.failed("a") == 8.0  # capped
    limiter.succeeded("a")
    assert limiter.wait_s("a") == 0.0


def _set_password(tmp_path: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STATE_DIRECTORY": str(tmp_path), "TEDDY_CONFIG": ""}
    return subprocess.run(
        [sys.executable, "-m", "daemon", "parent", "set-password"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def test_set_password_reads_stdin_with_optional_confirmation(tmp_path: Path) -> None:
    done = _set_password(tmp_path, "a good password\na good password\n")
    assert done.returncode == 0, done.stderr
    assert PasswordFile(tmp_path / "parent-password").verify("a good password")
    done = _set_password(tmp_path, "another password\n")
    assert done.returncode == 0
    assert PasswordFile(tmp_path / "parent-password").verify("another password")


@pytest.mark.parametrize(
    ("stdin", "line"),
    [
        ("short\n", "password too short: 5 characters; use at least 8"),
        ("first password\nsecond password\n", "confirming second line differs"),
        ("", "no password on stdin"),
    ],
)
def test_set_password_refuses_with_one_line(tmp_path: Path, stdin: str, line: str) -> None:
    done = _set_password(tmp_path, stdin)
    assert done.returncode == 1
    assert line in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "parent-password").exists()
