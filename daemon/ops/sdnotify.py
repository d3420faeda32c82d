"""systemd notifications (``sd_notify``) over ``$NOTIFY_SOCKET``, and the watchdog pinger.

The protocol is one datagram of ``KEY=value`` lines to a Unix socket; a leading ``@`` in the path
names an abstract socket. Outside systemd (no ``$NOTIFY_SOCKET``) every call is a cheap no-op.
Sending never raises: a lost notification must not take the daemon down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

HealthCheck = Callable[[], bool]


class Notifier:
    """``notify("READY=1")``; ``ready()``, ``stopping()``, ``status(text)``, ``watchdog()``."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        raw = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if raw.startswith("@"):
            self.address = "\0" + raw[1:]  # abstract namespace
        elif raw.startswith("/"):
            self.address = raw
        elif raw:
            log.warning("sd_notify: ignoring NOTIFY_SOCKET=%r (not a path or @abstract)", raw)
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *lines: str) -> bool:
        """Send one datagram; True if it was sent."""
        if self.address is None:
            return False
        payload = "\n".join(lines).encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, self.address)
        except OSError as exc:
            log.warning("sd_notify to %r failed: %s", self.address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *([f"STATUS={status}"] if status else []))

    def reloading(self) -> bool:
        return self.notify("RELOADING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text.replace(chr(10), ' ')}")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Half of ``$WATCHDOG_USEC`` in seconds, or None when no watchdog is asked for (or it is meant
    for another process, per ``$WATCHDOG_PID``)."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid.isdigit() and int(pid) != os.getpid()):
        return None
    return usec / 2 / 1_000_000


class Watchdog:
    """Pings ``WATCHDOG=1`` every ``interval`` seconds while ``healthy()`` holds.

    The ping comes from a task on the event loop, so a stalled loop stops it by itself; ``healthy``
    adds the daemon's own verdict (e.g. loop lag and processor alive). When it fails, no ping is
    sent and systemd restarts the service after WatchdogSec.
    """

    def __init__(
        self, notifier: Notifier, interval: float, healthy: HealthCheck | None = None
    ) -> None:
        if interval <= 0:
            raise ValueError(f"watchdog interval must be > 0, got {interval}")
        self.notifier = notifier
        self.interval = interval
        self.healthy = healthy
        self.pings = 0
        self.skipped = 0
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_env(
        cls,
        notifier: Notifier,
        healthy: HealthCheck | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Watchdog | None:
        interval = watchdog_interval(env)
        if interval is None or not notifier.enabled:
            return None
        return cls(notifier, interval, healthy)

    def beat(self) -> bool:
        """One check and, if it passes, one ping."""
        try:
            ok = self.healthy() if self.healthy is not None else True
        except Exception:
            log.exception("watchdog health check raised; not pinging")
            ok = False
        if not ok:
            self.skipped += 1
            return False
        self.pings += 1
        return self.notifier.watchdog()

    async def _run(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sd-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
