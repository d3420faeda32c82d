"""Shutdown that ends on time whatever plug-ins do.

Two holes close here. A stop signal is caught with ``signal.signal`` (which runs between
bytecodes even while a misbehaving plug-in holds the event loop) rather than only through the
loop, and it arms a last-resort timer: ``shutdown_timeout_s`` + ``margin_s`` after the first
signal the process exits, from a thread, whatever the loop is doing. The journal makes that
safe — an interaction cut off there keeps its last committed state and is resumed at the next
start. And a synchronous plug-in stuck in a worker thread cannot be stopped (Python has no
thread kill) and would hold up the interpreter's exit, which joins those threads:
:func:`exit_past_stuck_threads` ends the process without waiting for them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

#: exit status when the deadline forced the exit (not a clean stop, but nothing journaled is lost)
FORCED_EXIT = 1


class StopSignals:
    """SIGTERM/SIGINT → ``on_stop`` on the loop; a second signal exits at once; the first arms
    the deadline timer."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_stop: Callable[[signal.Signals], None],
        deadline_s: Callable[[], float],
        margin_s: float = 1.5,
    ) -> None:
        self._loop = loop
        self._on_stop = on_stop
        self._deadline_s = deadline_s
        self._margin_s = margin_s
        self._count = 0
        self._timer: threading.Timer | None = None

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handler)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        self._count += 1
        if self._count > 1:
            os.write(2, f"teddy: second {sig.name}: exiting at once\n".encode())
            os._exit(128 + signum)
        self.arm(self._deadline_s() + self._margin_s)
        self._loop.call_soon_threadsafe(self._on_stop, sig)

    def arm(self, after_s: float) -> None:
        if self._timer is None:
            self._timer = threading.Timer(after_s, _force_exit, args=(after_s,))
            self._timer.daemon = True
            self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _force_exit(after_s: float) -> None:
    # The loop may be held by a plug-in: write straight to stderr, do not go through logging.
    os.write(
        2,
        f"teddy: shutdown did not finish within {after_s:.1f} s (a plug-in holds the event loop "
        "or a thread); exiting now, unfinished interactions stay in the journal\n".encode(),
    )
    os._exit(FORCED_EXIT)


def stuck_threads() -> list[threading.Thread]:
    """Non-daemon threads still alive besides the main one (the interpreter would join them)."""
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and t.is_alive() and not t.daemon]


def exit_past_stuck_threads(code: int) -> int:
    """Return ``code``; but if worker threads are stuck (a hung synchronous plug-in), flush and
    end the process now instead of letting the interpreter wait for them forever."""
    stuck = stuck_threads()
    if not stuck:
        return code
    log.error(
        "exiting past %d thread(s) that did not stop (%s): a synchronous plug-in or a driver "
        "is stuck",
        len(stuck),
        ", ".join(sorted(t.name for t in stuck)),
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
