"""PortAudio is process-wide: re-initialising it (capture's hot-plug retry) invalidates every open
stream, including the one the bear is speaking through. Playback counts its open streams here;
re-initialisation happens only while none is open (and blocks new ones while it runs). A stream
kept open while idle (the output line) registers :func:`on_idle`: it is asked to close first."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

_cond = threading.Condition()
_open = 0
_idle_holders: list[Callable[[], bool]] = []  # each closes its idle stream; True if it did


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


def on_idle(step_aside: Callable[[], bool]) -> None:
    """``step_aside()`` closes a stream that is open but idle; called before a re-initialisation."""
    with _cond:
        if step_aside not in _idle_holders:
            _idle_holders.append(step_aside)


def forget_idle(step_aside: Callable[[], bool]) -> None:
    with _cond:
        if step_aside in _idle_holders:
            _idle_holders.remove(step_aside)


def when_idle(action: Callable[[], None], timeout_s: float = 0.5) -> bool:
    """Run ``action`` once no stream is open (waiting up to ``timeout_s``); False if skipped."""
    with _cond:
        holders = list(_idle_holders)
    for step_aside in holders:  # outside the lock: closing a stream reports back here
        try:
            step_aside()
        except Exception:  # a holder that cannot let go only delays the re-initialisation
            logging.getLogger(__name__).exception("closing an idle stream before re-initialising")
    with _cond:
        if not _cond.wait_for(lambda: _open == 0, timeout_s):
            return False
        action()
        return True
