"""Desktop notification over D-Bus, through ``notify-send`` (libnotify-bin) when a session bus
exists. A system service has no session bus: the channel then reports itself skipped."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from processors.alerts.channels.base import Delivery

_URGENCY = {"info": "low", "warning": "normal", "urgent": "critical"}


def session_bus_env() -> dict[str, str] | None:
    """The environment for a session-bus client, or None if there is no session bus."""
    env = dict(os.environ)
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return env
    runtime = env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    bus = Path(runtime) / "bus"
    if bus.is_socket():
        env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={bus}"
        return env
    return None


class DesktopChannel:
    name = "desktop"

    def __init__(self, app_name: str = "teddy", timeout_s: float = 5.0) -> None:
        self.app_name = app_name
        self.timeout_s = timeout_s

    def unavailable_reason(self) -> str | None:
        if shutil.which("notify-send") is None:
            return "notify-send is not installed (Debian: libnotify-bin)"
        if session_bus_env() is None:
            return "no D-Bus session bus"
        return None

    async def send(self, event: dict[str, Any]) -> Delivery:
        reason = self.unavailable_reason()
        env = session_bus_env()
        if reason is not None or env is None:
            return Delivery(self.name, False, attempts=0, skipped=True, error=reason)
        alerts = event.get("alerts") or []
        severities = [str(a.get("severity", "warning")) for a in alerts]
        worst = (
            "urgent" if "urgent" in severities else "warning" if "warning" in severities else "info"
        )
        body = "\n".join(str(a.get("message", "")) for a in alerts)
        cmd = [
            "notify-send",
            f"--app-name={self.app_name}",
            f"--urgency={_URGENCY[worst]}",
            "--",
            str(event.get("title") or "Teddy: a message about your child"),
            body,
        ]
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            async with asyncio.timeout(self.timeout_s):
                _, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return Delivery(self.name, False, error=f"notify-send took over {self.timeout_s} s")
        except OSError as exc:
            return Delivery(self.name, False, error=str(exc))
        if proc.returncode != 0:
            return Delivery(self.name, False, error=err.decode(errors="replace").strip())
        return Delivery(self.name, True)
