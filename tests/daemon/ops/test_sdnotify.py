"""sd_notify over a real datagram socket (path and abstract) and the watchdog pinger."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.ops.sdnotify import Notifier, Watchdog, watchdog_interval


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(2)
    yield sock, path
    sock.close()


def _recv(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_status_stopping_over_a_path_socket(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("listening")
    assert _recv(sock) == "READY=1\nSTATUS=listening"
    assert notifier.status("degraded:\nno microphone")
    assert _recv(sock) == "STATUS=degraded: no microphone"
    assert notifier.watchdog() and _recv(sock) == "WATCHDOG=1"
    assert notifier.stopping() and _recv(sock) == "STOPPING=1"
    notifier.close()


def test_abstract_socket() -> None:
    name = f"teddy-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        notifier = Notifier({"NOTIFY_SOCKET": "@" + name})
        assert notifier.ready()
        assert _recv(sock) == "READY=1"
        notifier.close()
    finally:
        sock.close()


def test_without_notify_socket_everything_is_a_no_op() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.stopping() is False


def test_unreachable_socket_does_not_raise(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.ready() is False


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "x"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}) == 1.0
    assert watchdog_interval({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}) is None


def test_watchdog_pings_only_while_healthy(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    healthy = True
    dog = Watchdog(Notifier({"NOTIFY_SOCKET": path}), 1.0, lambda: healthy)
    assert dog.beat() and _recv(sock) == "WATCHDOG=1"
    healthy = False
    assert dog.beat() is False and dog.skipped == 1
    sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        sock.recv(100)


def test_a_raising_health_check_means_no_ping() -> None:
    def broken() -> bool:
        raise RuntimeError("boom")

    dog = Watchdog(Notifier({}), 1.0, broken)
    assert dog.beat() is False and dog.skipped == 1


async def test_watchdog_task_pings_from_the_loop(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    dog = Watchdog.from_env(
        Notifier({"NOTIFY_SOCKET": path}), env={"WATCHDOG_USEC": "20000"}
    )  # 10 ms interval
    assert dog is not None and dog.interval == 0.01
    dog.start()
    first = await asyncio.wait_for(loop.sock_recv(sock, 100), 2)
    second = await asyncio.wait_for(loop.sock_recv(sock, 100), 2)
    await dog.stop()
    assert first == second == b"WATCHDOG=1" and dog.pings >= 2


def test_no_watchdog_without_socket_or_usec(tmp_path: Path) -> None:
    assert Watchdog.from_env(Notifier({}), env={"WATCHDOG_USEC": "1000000"}) is None
    assert Watchdog.from_env(Notifier({"NOTIFY_SOCKET": str(tmp_path / "s")}), env={}) is None
