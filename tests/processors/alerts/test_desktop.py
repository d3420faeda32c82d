"""Desktop notifications: skipped cleanly without a session bus; notify-send called when one
exists (a recording stand-in for notify-send on PATH)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from processors.alerts.channels import DesktopChannel

EVENT = {"alerts": [{"severity": "urgent", "message": "Your child needs you."}]}


async def test_skipped_without_a_session_bus(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no bus socket in it
    delivery = await DesktopChannel().send(EVENT)
    assert delivery.skipped and not delivery.ok and delivery.error


async def test_notify_send_gets_urgency_and_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "args"
    script = tmp_path / "notify-send"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    delivery = await DesktopChannel().send(EVENT)
    assert delivery.ok
    args = log.read_text().splitlines()
    assert "--urgency=critical" in args and args[-1] == "Your child needs you."
