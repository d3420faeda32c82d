"""PortAudio in the test process: re-enumerate devices for a new audio server, or let go for good.

PortAudio lists devices once, when it starts; ``sounddevice`` starts it at import. These use
``sounddevice``'s private start/stop because it has no public re-initialisation.
"""

from __future__ import annotations

import contextlib
import sys


def release_portaudio() -> None:
    """Terminate an imported ``sounddevice``'s PortAudio for good (nothing left at exit)."""
    sd = sys.modules.get("sounddevice")
    with contextlib.suppress(Exception):
        while sd is not None and sd._initialized > 0:
            sd._terminate()


def reinit_portaudio() -> None:
    """Make an already-imported ``sounddevice`` re-enumerate devices (PortAudio re-init)."""
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return
    with contextlib.suppress(Exception):
        sd._terminate()
    sd._initialize()
