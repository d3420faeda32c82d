"""PortAudio is process-wide: re-initialising it (capture's hot-plug retry) invalidates every open
stream, including the one the bear is speaking through. Playback counts its open streams here;
re-initialisation happens only while none is open (and blocks new ones while it runs)."""

from __future__ import annotations

import threading
from collections.abc import Callable

_cond = threading.Condition()
_open = 0


def stream_opening() -> None:
    """Call before opening an output stream (pair with :func:`stream_closed`)."""
    global _open
    with _cond:
        _open += 1


def stream_closed() -> None:
    global _open
    with _cond:
        _open = max(0, _open - 1)
        _cond.notify_all()


def open_streams() -> int:
    with _cond:
        return _open


def when_idle(action: Callable[[], None], timeout_s: float = 0.5) -> bool:
    """Run ``action`` once no stream is open (waiting up to ``timeout_s``); False if skipped."""
    with _cond:
        if not _cond.wait_for(lambda: _open == 0, timeout_s):
            return False
        action()
        return True
