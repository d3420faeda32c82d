"""Misbehaving plug-ins for the fault suite (loaded through the config's ``[plugins]``)."""

from __future__ import annotations

import time
from typing import Any


def hang_forever(task: Any) -> dict[str, Any]:
    """A synchronous plug-in that never returns (a stuck driver, a dead network share)."""
    time.sleep(3600)
    return {}


async def block_the_loop(task: Any) -> dict[str, Any]:
    """An async plug-in that blocks instead of awaiting."""
    time.sleep(5)  # noqa: ASYNC251 - the misbehaviour under test
    return {"blocked": True}
